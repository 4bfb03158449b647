/**
 * SQLite for every store and read model: import Database from here, never from 'better-sqlite3'
 * (types may come from there); two releases are installed, one per runtime (database.ts says why).
 */
export { default, sqliteDriverFor } from './database';
