import { EventStore, SqliteEventStore } from '@medrec/event-store';
import type { AppConfig } from '../config/app-config';

export function createEventStore(config: AppConfig): EventStore {
  if (config.eventStore.kind === 'sqlite') return new SqliteEventStore({ filename: config.eventStore.filename });
  // Loaded only when chosen, so the embedded default never pulls in gRPC.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { EventStoreDbEventStore } = require('@medrec/event-store/eventstoredb') as typeof import('@medrec/event-store/eventstoredb');
  return new EventStoreDbEventStore(config.eventStore.connectionString);
}
