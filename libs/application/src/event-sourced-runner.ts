import { eventHash, GENESIS } from '@medrec/crypto';
import { fold } from '@medrec/domain';
import { EventMetadata, EventStore, ExpectedRevision, NewEvent, StoredEvent, uuidv7, WrongExpectedRevisionError } from '@medrec/event-store';
import type { CommandContext } from './command-context';
import type { Decider, DomainEvent } from './decider';
import type { DecodedEvent, PhiCodec } from './phi-codec';

export const SCHEMA_VERSION = 1;

export interface LoadedStream<State, Event extends DomainEvent> {
  state: State;
  /** Last revision, or null when the stream does not exist. */
  revision: number | null;
  /** Hash of the last event: the next event's prevHash. */
  lastHash: string;
  events: DecodedEvent<Event>[];
}

export interface RunResult<State> {
  state: State;
  /** Revision of the stream after the command (unchanged when the command decided nothing). */
  revision: number | null;
  /** Global position of the last appended event (null when nothing was appended). */
  position: number | null;
  appended: StoredEventRef[];
}

export interface StoredEventRef {
  id: string;
  type: string;
  revision: number;
}

export interface RunOptions<Command, Event extends DomainEvent, State> {
  stream: string;
  /** Whose data key seals the events' PHI (the record id); null for streams without PHI. */
  keyId: string | null;
  decider: Decider<Command, Event, State>;
  command: Command;
  context: CommandContext;
  /** The revision the client last saw (If-Match); a stream that has moved on answers a conflict. */
  expectedRevision?: number;
  /** An earlier load of the stream to catch up from instead of reading it whole. */
  since?: LoadedStream<State, Event>;
}

export interface RunAllOptions<Command, Event extends DomainEvent, State> extends Omit<RunOptions<Command, Event, State>, 'command' | 'context'> {
  /** The commands in order, each with the context its events are attributed to. */
  steps: Array<{ command: Command; context: CommandContext }>;
}

/**
 * The one command-handling helper: read the stream, fold, decide, append with the expected
 * revision. A concurrent write surfaces as WrongExpectedRevisionError and is never retried here,
 * because a retry could decide something different from what the client asked against.
 */
export class EventSourcedRunner {
  constructor(
    private readonly store: EventStore,
    private readonly codec: PhiCodec,
  ) {}

  /**
   * Reads and folds a stream. Given `since` (an earlier load of the same stream), only the events
   * appended after it are read and folded onto its state.
   */
  async load<Command, Event extends DomainEvent, State>(
    stream: string,
    keyId: string | null,
    decider: Decider<Command, Event, State>,
    since?: LoadedStream<State, Event>,
  ): Promise<LoadedStream<State, Event>> {
    const fromRevision = since && since.revision !== null ? since.revision + 1 : 0;
    const stored = await this.store.readStream(stream, { fromRevision });
    if (since && stored.length === 0) return since;
    const decoded = keyId ? await this.codec.decodeAll<Event>(keyId, stored) : stored.map((s) => plain<Event>(s));
    const state = fold(
      decider,
      since ? since.state : decider.initialState(),
      decoded.map((d) => d.event),
    );
    const last = stored[stored.length - 1];
    return {
      state,
      revision: last ? last.revision : (since?.revision ?? null),
      lastHash: last ? hashOf(last) : (since?.lastHash ?? GENESIS),
      events: since ? [...since.events, ...decoded] : decoded,
    };
  }

  async run<Command, Event extends DomainEvent, State>(options: RunOptions<Command, Event, State>): Promise<RunResult<State>> {
    const { command, context, ...rest } = options;
    return this.runAll({ ...rest, steps: [{ command, context }] });
  }

  /**
   * Several commands on one stream, in one append: each decided on the state the events decided
   * before it lead to, its events attributed to its own context and chained onto the previous
   * ones. One read, one revision check, one write: a command that throws appends nothing at all.
   */
  async runAll<Command, Event extends DomainEvent, State>(options: RunAllOptions<Command, Event, State>): Promise<RunResult<State>> {
    const { stream, keyId, decider } = options;
    const loaded = await this.load(stream, keyId, decider, options.since);
    if (options.expectedRevision !== undefined && options.expectedRevision !== loaded.revision) {
      throw new WrongExpectedRevisionError(stream, options.expectedRevision, loaded.revision ?? 'no_stream');
    }
    let state = loaded.state;
    let prevHash = loaded.lastHash;
    const newEvents: NewEvent[] = [];
    for (const { command, context } of options.steps) {
      const decided = decider.decide(command, state);
      if (decided.length === 0) continue;
      const prepared = await this.prepare(keyId, decided, context, prevHash);
      prevHash = prepared[prepared.length - 1].metadata.hash as string;
      newEvents.push(...prepared);
      state = fold(decider, state, decided);
    }
    if (newEvents.length === 0) return { state: loaded.state, revision: loaded.revision, position: null, appended: [] };

    const result = await this.store.append(stream, newEvents, loaded.revision ?? 'no_stream');
    const first = result.nextRevision - newEvents.length + 1;
    return {
      state,
      revision: result.nextRevision,
      position: result.position,
      appended: newEvents.map((e, i) => ({ id: e.id!, type: e.type, revision: first + i })),
    };
  }

  /** Encodes (PHI sealed), chains (prevHash/hash) and appends events to a stream. */
  async appendChained(
    stream: string,
    keyId: string | null,
    events: DomainEvent[],
    context: CommandContext,
    expected: ExpectedRevision,
    prevHash: string,
  ): Promise<{ nextRevision: number; position: number; appended: StoredEventRef[] }> {
    const newEvents = await this.prepare(keyId, events, context, prevHash);
    const result = await this.store.append(stream, newEvents, expected);
    const first = result.nextRevision - newEvents.length + 1;
    return {
      ...result,
      appended: newEvents.map((e, i) => ({ id: e.id!, type: e.type, revision: first + i })),
    };
  }

  async prepare(keyId: string | null, events: DomainEvent[], context: CommandContext, prevHash: string): Promise<NewEvent[]> {
    const encoded: DomainEvent[] = [];
    for (const event of events) {
      encoded.push({ type: event.type, data: keyId ? await this.codec.encode(keyId, event) : event.data });
    }
    return chainEvents(encoded, context, prevHash);
  }
}

/** Gives already-encoded events their ids and metadata, each carrying its predecessor's hash. */
export function chainEvents(events: DomainEvent[], context: CommandContext, prevHash: string): NewEvent[] {
  let previous = prevHash;
  return events.map((event) => {
    const data = { ...(event.data as Record<string, unknown>) };
    const metadata: EventMetadata = {
      actor: context.actor.username,
      actorId: context.actor.userId,
      role: context.actor.role,
      ...(context.purpose ? { purpose: context.purpose } : {}),
      correlationId: context.correlationId,
      causationId: context.causationId ?? context.correlationId,
      occurredAt: context.at,
      schemaVersion: SCHEMA_VERSION,
      prevHash: previous,
    };
    metadata.hash = eventHash({ type: event.type, data, metadata });
    previous = metadata.hash;
    // Time-ordered ids keep the store's id index append-mostly.
    return { id: uuidv7(), type: event.type, data, metadata };
  });
}

export function hashOf(event: StoredEvent): string {
  return typeof event.metadata.hash === 'string' ? event.metadata.hash : GENESIS;
}

function plain<E extends DomainEvent>(stored: StoredEvent): DecodedEvent<E> {
  return { event: { type: stored.type, data: stored.data } as unknown as E, stored, phiReadable: true };
}
