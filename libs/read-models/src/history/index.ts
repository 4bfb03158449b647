import { disclosuresProjection } from './disclosures.projection';
import { recordStatsProjection } from './record-stats.projection';
import { recordTimelineProjection } from './record-timeline.projection';

export * from './disclosures.projection';
export * from './record-stats.projection';
export * from './record-timeline.projection';
export * from './timeline-page';

/** The projections behind the history, accesses, disclosures and stats views. */
export const HISTORY_PROJECTIONS = [recordTimelineProjection, disclosuresProjection, recordStatsProjection] as const;
