import { SqliteEventStore } from '@medrec/event-store';
import { countingAppends } from './counting-event-store';

describe('countingAppends', () => {
  it('counts the events of each append that succeeds, and passes every other call through', async () => {
    const store = new SqliteEventStore({ filename: ':memory:' });
    let counted = 0;
    const counting = countingAppends(store, { eventsAppended: (n) => (counted += n) });
    const metadata = { actor: 'test', role: 'system', correlationId: 'c', causationId: 'c', occurredAt: new Date(0).toISOString(), schemaVersion: 1 };
    const event = { type: 'Tested', data: {}, metadata };
    await counting.append('s-1', [event, event], 'no_stream');
    await expect(counting.append('s-1', [event], 'no_stream')).rejects.toThrow();
    expect(counted).toBe(2);
    expect(await counting.headPosition()).toBe(await store.headPosition());
    expect((await counting.readStream('s-1')).length).toBe(2);
    await counting.close();
  });
});
