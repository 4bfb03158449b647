export * from './search-query';
export * from './search.projection';
export * from './search.service';
export { listPartitions, PARTITION_ROWS } from './search-partitions';
