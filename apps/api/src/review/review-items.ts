import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CommandContext, EventSourcedRunner, nameBasedUuid } from '@medrec/application';
import {
  DomainError,
  KnownReviewItem,
  ResolveReviewItem,
  ReviewAction,
  reviewItemDecider,
  reviewItemStream,
  ReviewSubject,
  requireLiveRecord,
} from '@medrec/domain';
import { isDocumentContentType } from '@medrec/ingest/inspect/document-content-type';
import { rasterizePage } from '@medrec/ingest/rasterize/rasterize-page';
import { APP_CONFIG, AppConfig } from '@medrec/platform';
import { auditRecordRead } from '../records/audited-record-read';
import { AmendRecordCommand } from '../records/commands/record-commands';
import { RecordContent, UploadedFile } from '../records/record-content';
import { RecordRepository } from '../records/record-repository';
import { CoverSheets } from '../cover-sheets/cover-sheets.service';
import { Stacks } from '../stacks/stacks.service';

export interface ResolveInput {
  action: ReviewAction;
  recordId?: string;
  coverSheetId?: string;
}

export interface ResolvedItem {
  id: string;
  status: string;
  action: ReviewAction;
  resolvedBy: string;
  resolvedAt: string;
  recordId?: string;
  version?: number;
  position: number;
}

/** The reason every version made by an assignment carries (fixed text: nothing of the patient in it). */
const ASSIGNED_REASON = 'Page(s) filed from the quality-review queue';

/**
 * Resolving review items (`review-item-<id>` streams, reviewItemDecider). `assign` with a record
 * files the item's page(s) in that record as a new `late-entry` version, through the same command
 * as any amendment (inspection, limits, encryption with the target's key), then records the
 * resolution naming that version.
 *
 * Where the pages come from depends on the item's subject (pagesOf): a page of a record's version
 * is rendered from that version's stored content (as OCR saw it: 8-bit grey PNG at its own
 * resolution), the read audited on the source record (purpose operations); pages of a stack are
 * copied out of the stack's stored original as scanned (Stacks.spoolPages). `assign` with a cover
 * sheet makes a new record of the pages with the sheet's details (the sheet is then used); the
 * resolution of a stack's item may let the stack's original go (Stacks.settle).
 *
 * A crash between the new version and the resolution leaves the item open with the version made:
 * assigning it to a record again makes a second version (the record keeps both; nothing is lost);
 * assigning it to the cover sheet again finds the record made (see fileUnderCoverSheet).
 */
@Injectable()
export class ReviewItems {
  constructor(
    private readonly eventSourced: EventSourcedRunner,
    private readonly records: RecordRepository,
    private readonly content: RecordContent,
    private readonly commands: CommandBus,
    private readonly stacks: Stacks,
    private readonly coverSheets: CoverSheets,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async resolve(itemId: string, input: ResolveInput, context: CommandContext): Promise<ResolvedItem> {
    const loaded = await this.eventSourced.load(reviewItemStream(itemId), null, reviewItemDecider);
    if (loaded.state.status === 'absent') throw new DomainError('not-found', 'No such review item');
    const item = loaded.state;
    const command: ResolveReviewItem = { type: 'ResolveReviewItem', itemId, ...input, actor: context.actor, at: context.at };
    // Checked before anything is filed anywhere: 409 for an item already resolved, 400 for a wrong target.
    reviewItemDecider.decide(input.recordId !== undefined ? { ...command, version: 1 } : command, item);
    let position = 0;
    let filedUnderSheet: { recordId: string; version: number } | undefined;
    if (input.action === 'assign' && input.recordId !== undefined) {
      const filed = await this.fileIn(input.recordId, item, context);
      command.version = filed.version;
      position = filed.position ?? 0;
    }
    if (input.action === 'assign' && input.coverSheetId !== undefined) {
      const created = await this.fileUnderCoverSheet(input.coverSheetId, item, context);
      position = created.position ?? 0;
      filedUnderSheet = { recordId: created.id, version: 1 };
    }
    const done = await this.eventSourced.run({ stream: reviewItemStream(itemId), keyId: null, decider: reviewItemDecider, command, context, since: loaded });
    // The stack's original goes once every one of its pages is accounted for.
    if ('stackId' in item.subject) await this.stacks.settle(item.subject.stackId, context);
    const resolved = done.state as KnownReviewItem;
    const last = resolved.resolutions.at(-1)!;
    return {
      id: itemId,
      status: resolved.status,
      action: last.action,
      resolvedBy: last.by,
      resolvedAt: last.at,
      ...(last.recordId !== undefined ? { recordId: last.recordId, version: last.version } : (filedUnderSheet ?? {})),
      position: Math.max(position, done.position ?? 0),
    };
  }

  /** The item's page(s) as a new version of `recordId`. */
  private async fileIn(recordId: string, item: KnownReviewItem, context: CommandContext): Promise<{ version: number; position: number | null }> {
    // The target first: an unknown or destroyed record is answered before the source is read.
    requireLiveRecord((await this.records.load(recordId)).state);
    const page = await this.pagesOf(item.subject, context);
    try {
      return await this.commands.execute(new AmendRecordCommand(recordId, { kind: 'late-entry', reason: ASSIGNED_REASON }, page, context));
    } finally {
      await rm(page.path, { force: true });
    }
  }

  /**
   * The item's page(s) as a new record with the cover sheet's details; the sheet is then used. The
   * sheet is claimed for the item first: a stack being split that holds it (and may still file it)
   * is a 409, and so is a stack that claims it while this record is made. The record's id is
   * derived from the item and the sheet: assigning again after a try that died makes nothing twice
   * (the record it made is found, and the sheet used for it, if that was not done yet).
   */
  private async fileUnderCoverSheet(coverSheetId: string, item: KnownReviewItem, context: CommandContext): Promise<{ id: string; position: number | null }> {
    const recordId = assignedRecordId(item.itemId, coverSheetId);
    const stackId = 'stackId' in item.subject ? item.subject.stackId : undefined;
    // Used for this very record by a try that died before the resolution: only the resolution is left.
    const { state: sheet } = await this.coverSheets.load(coverSheetId);
    if (sheet.status === 'used' && sheet.recordId === recordId) return { id: recordId, position: null };
    // The sheet first: unknown (404), used, voided or claimed by a filing under way (409) is answered before the source is read.
    await this.coverSheets.claim(coverSheetId, { reviewItemId: item.itemId }, context);
    try {
      let position: number | null = null;
      if ((await this.records.load(recordId)).state.status === 'absent') {
        const pages = await this.pagesOf(item.subject, context);
        try {
          const from = 'stackId' in item.subject ? { stackId: item.subject.stackId, pages: pageList(item.subject.pageRange) } : undefined;
          position = (await this.stacks.createUnderCoverSheet(coverSheetId, recordId, pages, context, from)).position ?? null;
        } finally {
          await rm(pages.path, { force: true });
        }
      }
      await this.coverSheets.use(coverSheetId, recordId, context, stackId, item.itemId);
      return { id: recordId, position };
    } catch (error) {
      // Filed nothing (a refused page, an unreadable original): the sheet can file something else.
      // A record made under it keeps the claim, so that assigning again uses the sheet for it.
      if ((await this.records.load(recordId)).state.status === 'absent') {
        await this.coverSheets.release(coverSheetId, { reviewItemId: item.itemId }, 'filing-failed', context);
      }
      throw error;
    }
  }

  /** The subject's page(s) as a document in the upload spool (owner-only; removed by the caller). */
  private async pagesOf(subject: ReviewSubject, context: CommandContext): Promise<UploadedFile> {
    if ('stackId' in subject) {
      // The stack's original, stored as scanned: its pages copied out as they are (no rendering).
      return this.stacks.spoolPages(await this.stacks.loadKnown(subject.stackId), pageList(subject.pageRange));
    }
    const read = await auditRecordRead(this.records, subject.recordId, { ...context, purpose: 'operations' }, 'content', [subject.version]);
    const { content } = read.state.versions.find((v) => v.version === subject.version)!;
    if (!isDocumentContentType(content.contentType)) throw new Error(`Cannot render content of type ${content.contentType}`);
    const bytes = await this.content.read(subject.recordId, content);
    const { maxPixelsPerPage, minPageSidePixels, maxPageAspectRatio } = this.config.limits;
    const rendered = await rasterizePage(bytes, content.contentType, subject.page, { maxPixelsPerPage, minPageSidePixels, maxPageAspectRatio });
    if (!rendered) throw new DomainError('not-found', `Version ${subject.version} has no page ${subject.page}`);
    const path = join(this.config.dataDir, 'tmp', 'uploads', `review-${randomUUID()}.png`);
    await writeFile(path, rendered.png, { mode: 0o600 });
    return { path, size: rendered.png.length };
  }
}

/** Namespace of the records made by assigning a review item to a cover sheet (name-based UUIDs). */
const ASSIGNMENT_NAMESPACE = Buffer.from('a4c37e0b5d1f48e29b6a0c7d3e8f1b52', 'hex');

/** The id of the record an assignment of `itemId` to `coverSheetId` makes. */
export const assignedRecordId = (itemId: string, coverSheetId: string): string => nameBasedUuid(ASSIGNMENT_NAMESPACE, `${itemId}/${coverSheetId}`);

const pageList = ({ first, last }: { first: number; last: number }): number[] => Array.from({ length: last - first + 1 }, (_, i) => first + i);
