import { Query } from '@nestjs/cqrs';
import type { CommandContext } from '@medrec/application';
import type { PurposeOfUse } from '@medrec/domain';
import type { AccessEntry, Disclosure, PageRequest, RecordStats, TimelineEntry } from '@medrec/read-models';
import type { VersionView } from '../../records/record-view';
import type { TimeWindow } from '../time-window';
import { DEFAULT_PAGE_SIZE } from '../timeline-paging';
import type { DiffHunk } from '../word-diff';

type ReadContext = CommandContext & { purpose: PurposeOfUse };

export interface RecordHistoryView {
  id: string;
  status: string;
  currentVersion: number;
  versions: VersionView[];
  timeline: TimelineEntry[];
  /** More timeline entries follow: pass it as `?cursor=` (the versions come with every page). */
  nextCursor: string | null;
}

/** Every version and every lifecycle event of a record (audited as an access, what 'history'). */
export class GetRecordHistoryQuery extends Query<RecordHistoryView> {
  constructor(
    readonly recordId: string,
    readonly context: ReadContext,
    /** `?after=`: the raw query parameter, checked by parseAfter. */
    readonly after?: unknown,
    readonly page: PageRequest = { limit: DEFAULT_PAGE_SIZE },
  ) {
    super();
  }
}

export interface VersionDiffView {
  a: { version: number; ocr: VersionView['ocr'] };
  b: { version: number; ocr: VersionView['ocr'] };
  /** False while either version has no recognised text (OCR pending or failed): hunks is then empty. */
  complete: boolean;
  /** False when the texts were too different to diff in time: all of a deleted, all of b inserted. */
  exact: boolean;
  hunks: DiffHunk[];
}

/** A word diff of the recognised text of two versions (audited as one access per version, what 'diff'). */
export class GetVersionDiffQuery extends Query<VersionDiffView> {
  constructor(
    readonly recordId: string,
    readonly a: number,
    readonly b: number,
    readonly context: ReadContext,
    readonly after?: unknown,
  ) {
    super();
  }
}

/** Who read the record (audited itself, what 'accesses'). */
export class GetRecordAccessesQuery extends Query<{ accesses: AccessEntry[]; nextCursor: string | null }> {
  constructor(
    readonly recordId: string,
    readonly context: ReadContext,
    readonly after?: unknown,
    readonly page: PageRequest = { limit: DEFAULT_PAGE_SIZE },
  ) {
    super();
  }
}

export interface DisclosuresView {
  from: string;
  to: string;
  disclosures: Disclosure[];
}

/** The accounting of disclosures of one patient (audited as a query over patient data). */
export class GetDisclosuresQuery extends Query<DisclosuresView> {
  constructor(
    readonly mrn: string,
    readonly window: TimeWindow,
    readonly format: 'json' | 'csv',
    readonly context: ReadContext,
    readonly after?: unknown,
  ) {
    super();
  }
}

/** Counts only: no patient data, not audited. */
export class GetStatsQuery extends Query<RecordStats & { position: number }> {
  constructor(
    readonly uploads: { from?: string; to?: string },
    readonly after?: unknown,
  ) {
    super();
  }
}
