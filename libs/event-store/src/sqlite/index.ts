export { SqliteEventStore } from './sqlite-event-store';
export type { SqliteEventStoreOptions, SqliteEventStoreStats } from './sqlite-event-store';
export { uuidv7 } from './uuid-v7';
