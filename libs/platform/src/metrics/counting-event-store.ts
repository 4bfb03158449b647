import type { EventStore } from '@medrec/event-store';
import type { Metrics } from './metrics.port';

/**
 * The event store, counting the events appended through it. A proxy rather than a class of every
 * method: only `append` changes, and whatever else an adapter offers stays reachable as it is.
 */
export function countingAppends(store: EventStore, metrics: Pick<Metrics, 'eventsAppended'>): EventStore {
  const append: EventStore['append'] = async (stream, events, expectedRevision) => {
    const result = await store.append(stream, events, expectedRevision);
    metrics.eventsAppended(events.length);
    return result;
  };
  return new Proxy(store, {
    get(target, property) {
      if (property === 'append') return append;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value.bind(target) as unknown) : value;
    },
  });
}
