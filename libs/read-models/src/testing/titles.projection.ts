import type { Projection } from '../projection';

/** The runner tests' events: records and a note of the test's own. */
export type TitlesEvent = { type: 'RecordCreated' | 'Noted'; data: { recordId?: string; title?: string } };

/** For runner tests: counts the events it sees and keeps the decrypted title of each record until it is destroyed; fails on demand. */
export function titlesProjection(options: { failOn?: string } = {}): Projection<TitlesEvent> {
  return {
    name: 'titles',
    version: 1,
    handles: new Set(['RecordCreated', 'Noted'] as const),
    migrate: (db) => db.exec('CREATE TABLE IF NOT EXISTS titles (position INTEGER PRIMARY KEY, record_id TEXT, title TEXT, readable INTEGER)'),
    drop: (db) => db.exec('DROP TABLE IF EXISTS titles'),
    apply(db, event) {
      if (options.failOn !== undefined && event.data.title === options.failOn) throw new Error('projection bug');
      db.prepare('INSERT INTO titles VALUES (?, ?, ?, ?)').run(
        event.stored.position,
        event.data.recordId ?? null,
        event.data.title ?? null,
        event.phiReadable ? 1 : 0,
      );
    },
    purge: (db, recordId) => db.prepare('DELETE FROM titles WHERE record_id = ?').run(recordId),
  };
}

/** The same, as a replay thread loads projections: by module and export name. */
export const TITLES = titlesProjection();
export const TITLES_FAILING_ON_BOOM = titlesProjection({ failOn: 'boom' });

/**
 * For runner tests: what a replay thread's projection is sent of each record created: what
 * prepare() answered here, the metadata's actor, the data's fields. `slim`: it reads no metadata
 * and only the title.
 */
export function seenProjection(slim: boolean): Projection<TitlesEvent> {
  return {
    name: 'seen',
    version: 1,
    handles: new Set(['RecordCreated'] as const),
    readsMetadata: !slim,
    ...(slim && { reads: { RecordCreated: ['title'] } }),
    migrate: (db) => db.exec('CREATE TABLE IF NOT EXISTS seen (position INTEGER PRIMARY KEY, prepared TEXT, actor TEXT, fields TEXT)'),
    drop: (db) => db.exec('DROP TABLE IF EXISTS seen'),
    prepare: (event) => event.data.title?.toUpperCase(),
    apply(db, event) {
      const metadata = event.stored.metadata as Partial<typeof event.stored.metadata> | undefined;
      db.prepare('INSERT INTO seen VALUES (?, ?, ?, ?)').run(
        event.stored.position,
        event.prepared?.seen ?? null,
        metadata?.actor ?? null,
        Object.keys(event.data).sort().join(' '),
      );
    },
  };
}

export const SEEN = seenProjection(false);
export const SEEN_SLIM = seenProjection(true);
