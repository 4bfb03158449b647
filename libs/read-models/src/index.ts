export * from './projection';
export * from './projection-runner';
export * from './content-index.projection';
export * from './search';
export * from './history';
