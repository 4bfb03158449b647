export * from './search-query';
export * from './search.projection';
export * from './search.service';
export { listPartitions } from './search-partitions';
