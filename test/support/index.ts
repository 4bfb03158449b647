export * from './fake-eventstoredb';
