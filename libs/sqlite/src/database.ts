import type BetterSqlite3 from 'better-sqlite3';

/**
 * The better-sqlite3 release for a runtime with this Node-API version (`process.versions.napi`);
 * both are installed, with the same API:
 *
 * - 13.x (the `better-sqlite3-13` alias) is a Node-API addon built for Node-API 10 (Node.js >=
 *   22.14); on Node 20 (Node-API 9) it crashes as soon as a database opens.
 * - 12.x derives its objects from `node::ObjectWrap`. Compiled against Node >= 24.19's headers,
 *   whose ObjectWrap destructor removes an environment cleanup hook and asserts that an
 *   environment is current, it aborts the process (`RemoveEnvironmentCleanupHook … (env) !=
 *   nullptr`) whenever the garbage collector frees a statement while no JavaScript context is
 *   entered (a collection V8 finishes from a task of its own, between two callbacks).
 *   Closing databases does not avoid it: each statement object still goes through that destructor.
 */
export function sqliteDriverFor(nodeApiVersion: string | undefined): 'better-sqlite3' | 'better-sqlite3-13' {
  return Number(nodeApiVersion) >= 10 ? 'better-sqlite3-13' : 'better-sqlite3';
}

/** better-sqlite3's Database, from the release that works on the running Node.js. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- only the release chosen may load
const Database = require(sqliteDriverFor(process.versions.napi)) as typeof BetterSqlite3;

// The driver's types under the same name, as 'better-sqlite3' declares them.
// eslint-disable-next-line @typescript-eslint/no-namespace
declare namespace Database {
  type Database = BetterSqlite3.Database;
  type Options = BetterSqlite3.Options;
  type RunResult = BetterSqlite3.RunResult;
  type Statement<BindParameters extends unknown[] | object = unknown[], Result = unknown> = BetterSqlite3.Statement<BindParameters, Result>;
}

export default Database;
