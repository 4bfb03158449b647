export * from './projection';
export * from './projection-runner';
export * from './read-models';
export type { ReplayThreadOptions } from './replay-thread-client';
export { readCheckpoints } from './read-model-db';
export * from './content-index.projection';
export * from './search';
export * from './history';
export * from './retention';
