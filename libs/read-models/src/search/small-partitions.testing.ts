import { createSearchProjection } from './search.projection';

/** The search projection with text partitions of 16 rows: for specs, whose replay threads load it by name. */
export const smallPartitionsSearchProjection = createSearchProjection({ partitionRows: 16 });
