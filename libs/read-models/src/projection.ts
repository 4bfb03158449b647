import type Database from 'better-sqlite3';
import type { RecordDestroyed, RecordEvent } from '@medrec/domain';
import type { StoredEvent } from '@medrec/event-store';

/** The least an event is: what every stored event decodes to. */
export interface EventShape {
  type: string;
  data: object;
}

/**
 * An event as projections see it: the domain event, its PHI decrypted where the record's key
 * remains, beside the stored event. When `phiReadable` is false the key was destroyed and the
 * sealed fields (RECORD_PHI_FIELDS) are absent whatever the type says: read them only after
 * checking it.
 */
export type ProjectedEvent<E extends EventShape = EventShape> = E & {
  stored: ProjectedStored;
  phiReadable: boolean;
  /** What projections' prepare() worked out for the event, by projection name (only where some did). */
  prepared?: Readonly<Record<string, unknown>>;
};

/**
 * What projections read of the stored event: its position and metadata. No more, so that the
 * replay thread is sent no more (each field costs its copy into the thread). The replay thread is
 * sent the metadata only when one of its projections says it reads it (Projection.readsMetadata).
 */
export type ProjectedStored = Pick<StoredEvent, 'position' | 'metadata'>;

export const RECORD_DESTROYED: RecordDestroyed['type'] = 'RecordDestroyed';

/**
 * A projection writes rows of its own tables. `apply` runs inside the runner's transaction,
 * together with the projection's new checkpoint: a crash anywhere gives exactly-once effects.
 */
export interface Projection<E extends EventShape = EventShape> {
  readonly name: string;
  /** Bump to have the runner drop and rebuild the projection's tables from the log. */
  readonly version: number;
  /** Creates the projection's tables (idempotent). */
  migrate(db: Database.Database): void;
  /** Drops the projection's tables (for a rebuild). */
  drop(db: Database.Database): void;
  /** Event types `apply` reads; others are skipped without decoding. */
  readonly handles: ReadonlySet<E['type']>;
  /** Synchronous: runs inside the transaction that also stores the checkpoint. */
  apply(db: Database.Database, event: ProjectedEvent<E>): void;
  /**
   * True when apply reads `event.stored.metadata`: without it, a replay thread is not sent the
   * metadata of the events (nine strings an event, each copied into the thread).
   */
  readonly readsMetadata?: boolean;
  /**
   * Optional: the fields of `event.data` apply and purge read, by event type (a type left out: all
   * of them). A replay thread whose projections all say so is sent only those fields: each field
   * costs its copy into the thread, where the replay is busiest.
   */
  readonly reads?: Readonly<Partial<Record<E['type'] | RecordDestroyed['type'], readonly string[]>>>;
  /**
   * Optional: the work on an event of a handled type that needs no database (checking and
   * cleaning texts, deriving column values), done where events are decoded rather than where they
   * are applied. In a replay that is the runner's thread, while the replay thread, the busier one,
   * applies the batch before: both cores share the work. Its result (undefined: none) reaches
   * apply and applyBatch as `event.prepared[name]`; both must leave the same rows whether it is
   * there or not (events applied without the runner have none). It must not change the event.
   */
  prepare?(event: ProjectedEvent<E>): unknown;
  /**
   * Forgets a destroyed record: deletes every row that holds its PHI. The runner calls it for
   * each `RecordDestroyed`, in the same transaction, instead of `apply`.
   */
  purge?(db: Database.Database, recordId: string): void;
  /**
   * Optional: several events at once (a batch, in log order, inside the runner's transaction):
   * those of the handled types and, when the projection purges, the destructions. It must leave
   * exactly what `project()` of each event in turn leaves; it may write with fewer statements.
   */
  applyBatch?(db: Database.Database, events: ReadonlyArray<ProjectedEvent<E> | ProjectedEvent<RecordDestroyed>>): void;
  /**
   * Indexes that only queries read (apply never does): a replay from the start of the log in the
   * replay thread drops them first and builds them again when it ends (one sort instead of a
   * random insert per row; at a million rows the random inserts rewrite most of each index at
   * every commit). migrate() must create them too (IF NOT EXISTS): a replay that died half-way
   * leaves them to the next start.
   */
  readonly queryIndexes?: { drop(db: Database.Database): void; create(db: Database.Database): void };
  /**
   * Settings for a replay from the start of the log in the replay thread, set when it starts and
   * reset when it ends or stops (as queryIndexes). migrate() must reset them too: a replay that
   * died half-way leaves them to the next start.
   */
  readonly replaySettings?: { set(db: Database.Database): void; reset(db: Database.Database): void };
}

/** A projection of the record events of these types: `apply` sees each as its own type. */
export type RecordProjection<T extends RecordEvent['type']> = Projection<Extract<RecordEvent, { type: T }>>;

/** The types a projection needs decoded: those it applies, and destructions when it purges. */
export function typesRead(projection: Projection): string[] {
  return [...projection.handles, ...(projection.purge ? [RECORD_DESTROYED] : [])];
}

/** Hands one event to a projection: a destruction to `purge`, a handled type to `apply`. */
export function project(db: Database.Database, projection: Projection, event: ProjectedEvent): void {
  if (event.type === RECORD_DESTROYED && projection.purge) {
    projection.purge(db, (event.data as RecordDestroyed['data']).recordId);
  } else if (projection.handles.has(event.type)) {
    projection.apply(db, event);
  }
}

/** Runs the projections' prepare() on the events of the types each handles, and keeps what they answer on the events. */
export function prepareEvents(projections: readonly Projection[], events: readonly ProjectedEvent[]): void {
  const preparing = projections.filter((p) => p.prepare !== undefined);
  if (preparing.length === 0) return;
  for (const event of events) {
    let prepared: Record<string, unknown> | undefined;
    for (const projection of preparing) {
      if (!projection.handles.has(event.type)) continue;
      const result = projection.prepare!(event);
      if (result !== undefined) (prepared ??= {})[projection.name] = result;
    }
    if (prepared) event.prepared = prepared;
  }
}

/**
 * The fields of each event type's data that a group of projections reads (Projection.reads): null
 * when one of them does not say (all fields are read), and a type absent from the map is read whole.
 */
export function fieldsRead(projections: readonly Projection[]): ReadonlyMap<string, readonly string[]> | null {
  if (projections.some((p) => !p.reads)) return null;
  const fields = new Map<string, Set<string>>();
  const whole = new Set<string>();
  for (const projection of projections) {
    const reads = projection.reads as Readonly<Record<string, readonly string[] | undefined>>;
    for (const type of typesRead(projection)) {
      const named = reads[type];
      if (!named) whole.add(type);
      else for (const field of named) (fields.get(type) ?? fields.set(type, new Set()).get(type)!).add(field);
    }
  }
  for (const type of whole) fields.delete(type);
  return new Map([...fields].map(([type, names]) => [type, [...names]]));
}

/** Hands a batch of events (in log order) to a projection: to `applyBatch` when it has one, else one by one to project(). */
export function projectBatch(db: Database.Database, projection: Projection, events: readonly ProjectedEvent[]): void {
  if (!projection.applyBatch) {
    for (const event of events) project(db, projection, event);
    return;
  }
  const purges = projection.purge !== undefined;
  const read = events.filter((e) => (e.type === RECORD_DESTROYED && purges) || projection.handles.has(e.type));
  if (read.length > 0) projection.applyBatch(db, read);
}

export { clearStatementCache, statement } from './statement-cache';
