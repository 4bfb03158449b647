import type Database from 'better-sqlite3';

const caches = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/**
 * `db.prepare(sql)`, prepared once per database connection and SQL text: better-sqlite3 does not
 * cache statements, and preparing costs more than running a small INSERT. For projections, which
 * run the same few statements for every event:
 *
 *   statement(db, 'INSERT INTO t (a, b) VALUES (?, ?)').run(a, b);
 *   statement<[string], { mrn: string }>(db, 'SELECT mrn FROM t WHERE id = ?').get(id);
 *
 * The SQL must be a constant (values go in parameters, never in the text: each distinct text
 * stays cached as long as the connection lives). Don't change a cached statement's mode
 * (pluck/raw/expand/safeIntegers), others share it; prepare a separate one for that. Don't use
 * `iterate()` on one either (a statement can't be run again while an iterator is open).
 * A statement survives DROP and re-CREATE of its tables (SQLite re-prepares it on schema
 * change); clearStatementCache() drops a connection's statements all the same (the runner calls it
 * after dropping projections' tables).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- better-sqlite3's own Statement<BindParameters extends unknown[] | {}> bound
export function statement<BindParameters extends unknown[] | {} = unknown[], Result = unknown>(
  db: Database.Database,
  sql: string,
): Database.Statement<BindParameters, Result> {
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  let prepared = cache.get(sql);
  if (!prepared) {
    prepared = db.prepare(sql);
    cache.set(sql, prepared);
  }
  return prepared as unknown as Database.Statement<BindParameters, Result>;
}

/** Forgets the connection's cached statements (after a schema change, or before closing). */
export function clearStatementCache(db: Database.Database): void {
  caches.delete(db);
}
