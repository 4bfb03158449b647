import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { CommandContext, EventSourcedRunner, systemActor, WorkLoop } from '@medrec/application';
import {
  coverSheetsToFile,
  CoverSheetStatus,
  DomainError,
  KnownStack,
  PlanStackSplitPart,
  planStackSegment,
  reviewItemDecider,
  reviewItemStream,
  StackDocument,
  StackReviewItem,
  StackSegment,
  StackSegmenter,
} from '@medrec/domain';
import { WrongExpectedRevisionError } from '@medrec/event-store';
import { IngestRefusal } from '@medrec/ingest/inspect/ingest-refusal';
import { reviewItemId } from '@medrec/ingest/quality/review-items';
import { StackPages } from '@medrec/ingest/stacks/extract-pages';
import { scanStackPages } from '@medrec/ingest/stacks/scan-stack-pages';
import { APP_CONFIG, AppConfig, loadOrCreateNodeId } from '@medrec/platform';
import { ReadModels } from '@medrec/read-models';
import { CoverSheets } from '../cover-sheets/cover-sheets.service';
import { BoundedTasks } from '../common/bounded-tasks';
import { RecordRepository } from '../records/record-repository';
import { Stacks } from './stacks.service';

/** How long a claim holds unless renewed (renewed every third of it while the stack is split). */
const LEASE_MS = 5 * 60_000;
const MAX_ATTEMPTS = 3;
const POLL_MS = 250;
/** Filing tasks (a cover sheet's records, a review item) under way at once. */
const FILING_CONCURRENCY = 3;

/**
 * Splits received stacks, off the request, as the OCR job runner works through OCR: the work list
 * is derived from the log (the `stacks` projection), each stack is claimed on its own stream with a
 * lease (stackDecider, the lease rules OCR jobs use), renewed while it is split; a node that dies
 * leaves a claim another node (or itself, restarted) takes over when the lease runs out. Every step
 * is idempotent: the plan is recorded once, part by part as the stack is scanned, with its record ids; each document is filed once, review
 * items have derived ids, and a cover sheet is used once. One stack at a time per node: OCR of the
 * records made is what takes the time, and it runs in the OCR pool (in process or in workers).
 */
@Injectable()
export class StackSplitter implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Stacks');
  private readonly nodeId: string;
  private readonly loop = new WorkLoop(
    'Stack loop',
    POLL_MS,
    () => this.splitNext(),
    (message) => this.logger.warn(message),
  );
  /** Stacks ended here, until the projection shows it. */
  private readonly finished = new Set<string>();
  /** Stacks received by this node, split before the projection lists them (it applies StackReceived a moment later). */
  private readonly received: string[] = [];
  private readonly notBefore = new Map<string, number>();

  constructor(
    private readonly stacks: Stacks,
    private readonly coverSheets: CoverSheets,
    private readonly records: RecordRepository,
    private readonly eventSourced: EventSourcedRunner,
    private readonly readModels: ReadModels,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.nodeId = loadOrCreateNodeId(join(config.dataDir, 'node.id'));
  }

  /**
   * Runs in every API process (unless MEDREC_STACKS_SPLIT=false), whether or not it runs OCR itself:
   * filing needs the API's record commands, and the OCR of the records made follows wherever OCR
   * jobs are worked on.
   */
  onApplicationBootstrap(): void {
    if (this.config.stacks.split) this.loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
  }

  /** Looks for work at once: `stackId` was just received here. */
  poke(stackId: string): void {
    if (!this.loop.isRunning) return; // this node does not split (MEDREC_STACKS_SPLIT=false)
    if (!this.received.includes(stackId)) this.received.push(stackId);
    this.loop.poke();
  }

  /** Splits the next stack waiting, if any: true when there was one. */
  private async splitNext(): Promise<boolean> {
    const now = Date.now();
    const ready = (id: string) => !this.finished.has(id) && (this.notBefore.get(id) ?? 0) <= now;
    // One not ready now is left to the projection's list.
    while (this.received.length > 0 && !ready(this.received[0])) this.received.shift();
    const next = this.received.shift() ?? this.readModels.pendingStacks(8).find(ready);
    if (!next) return false;
    await this.process(next);
    return true;
  }

  private context(): CommandContext {
    return { actor: systemActor(`stacks@${this.nodeId}`), correlationId: randomUUID(), at: new Date().toISOString() };
  }

  private async process(stackId: string): Promise<void> {
    const context = this.context();
    try {
      await this.stacks.run({ type: 'ClaimStackSplit', stackId, nodeId: this.nodeId, at: context.at, leaseMs: LEASE_MS, maxAttempts: MAX_ATTEMPTS }, context);
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError || (error instanceof DomainError && error.kind === 'conflict')) {
        this.notBefore.set(stackId, Date.now() + 30_000);
        return;
      }
      if (error instanceof DomainError && error.kind === 'gone') {
        await this.fail(stackId, `The stack could not be split in ${MAX_ATTEMPTS} attempts`);
        return;
      }
      throw error;
    }
    const renewal = setInterval(() => {
      const renewContext = this.context();
      this.stacks
        .run({ type: 'RenewStackSplitLease', stackId, nodeId: this.nodeId, at: renewContext.at, leaseMs: LEASE_MS }, renewContext)
        .catch((error) => this.logger.warn(`Stack ${stackId}: lease not renewed (${(error as Error).name})`));
    }, LEASE_MS / 3);
    renewal.unref();
    try {
      await this.split(stackId, context);
      this.finished.add(stackId);
      this.logger.log(`Stack ${stackId} split`);
    } catch (error) {
      if (error instanceof IngestRefusal) {
        // The content itself cannot be split (a page refused by the rasterizer's limits): another attempt would refuse it again.
        await this.fail(stackId, `The stack cannot be split (${error.reason})`);
        return;
      }
      this.notBefore.set(stackId, Date.now() + 5_000);
      this.logger.warn(`Stack ${stackId}: split failed (${(error as Error).name}); will retry`);
    } finally {
      clearInterval(renewal);
    }
  }

  private async fail(stackId: string, reason: string): Promise<void> {
    const context = this.context();
    // Claims first: a crash in between leaves the stack pending, failed again (and its claims settled) by its next attempt.
    await this.settleClaims(stackId, context);
    await this.stacks.run({ type: 'FailStackSplit', stackId, reason, at: context.at }, context);
    this.finished.add(stackId);
    this.logger.warn(`Stack ${stackId}: ${reason}`);
  }

  /**
   * Plans and files the stack as it is scanned: each part of the plan (the pages up to the next cover
   * sheet or unreadable code: StackSegmenter) is recorded on the stack's stream, then its review items
   * are opened and its documents filed while the rest is scanned, so OCR starts on the first document
   * at once. The parts already recorded (a retried split) are filed as recorded; the stack is scanned
   * again and only the parts after them are recorded. Then each document marked filed, the split
   * completed, the original settled.
   */
  async split(stackId: string, context: CommandContext): Promise<void> {
    const stack = await this.stacks.loadKnown(stackId);
    const planned = stack.plannedThrough === stack.original.pages;
    const unfiled = (stack.plan?.documents ?? []).some((d) => !stack.filed.includes(d.recordId));
    const original = !planned || unfiled ? await this.stacks.original(stack) : undefined;
    const source = original && (await this.stacks.openPages(stack, original));
    const filing = new BoundedTasks(FILING_CONCURRENCY);
    const file = (part: { documents: StackDocument[]; reviews: StackReviewItem[] }) => {
      for (const item of part.reviews) filing.add(() => this.openReviewItem(stackId, item, context));
      for (const [coverSheetId, documents] of bySheet(part.documents)) filing.add(() => this.fileSheet(stack, coverSheetId, documents, source, context));
    };
    try {
      if (stack.plan) file(stack.plan);
      if (!planned) await this.planAsScanned(stack, original!, context, file, filing);
    } finally {
      await filing.settled();
    }
    filing.throwIfFailed();

    const done = await this.stacks.loadKnown(stackId);
    for (const document of done.plan?.documents ?? []) {
      if (!done.filed.includes(document.recordId))
        await this.stacks.run({ type: 'FileStackDocument', stackId, recordId: document.recordId, at: context.at }, context);
    }
    await this.stacks.run({ type: 'CompleteStackSplit', stackId, at: new Date().toISOString() }, context);
    await this.stacks.settle(stackId, context);
  }

  /**
   * Scans the stack page by page and records each part of its plan after the parts already recorded
   * (with the record ids its documents will have: a retried split creates each once), handing it to
   * `file` as soon as it is recorded. A filing that failed stops the scan.
   */
  private async planAsScanned(
    stack: KnownStack,
    original: Buffer,
    context: CommandContext,
    file: (part: { documents: StackDocument[]; reviews: StackReviewItem[] }) => void,
    filing: BoundedTasks,
  ): Promise<void> {
    const { maxPixelsPerPage, minPageSidePixels, maxPageAspectRatio } = this.config.limits;
    const segmenter = new StackSegmenter();
    const seen = new Set<string>();
    let plannedThrough = stack.plannedThrough;
    const planSegment = async (segment: StackSegment) => {
      const through = segment.first + segment.pages.length - 1;
      if (through <= plannedThrough) {
        // Recorded already: planned again only for the cover sheets it met (their status no longer matters).
        planStackSegment(segment, () => 'absent', seen);
        return;
      }
      if (segment.first !== plannedThrough + 1) throw new Error('The stack no longer scans into the parts of its recorded plan');
      // The sheets the plan would file under are claimed for this stack first: of two stacks holding one sheet, one files it.
      const statuses = new Map<string, CoverSheetStatus>();
      for (const id of coverSheetsToFile(segment, seen)) statuses.set(id, await this.claimFor(stack.stackId, id, context));
      const plan = planStackSegment(segment, (id) => statuses.get(id) ?? 'absent', seen);
      const documents: StackDocument[] = plan.documents.map((d) => ({ ...d, recordId: randomUUID() }));
      const reviews: StackReviewItem[] = plan.reviews.map((r) => ({ ...r, itemId: reviewItemId(stack.stackId, r.pageRange.first, r.pageRange.last, r.kind) }));
      const command = {
        type: 'PlanStackSplitPart' as const,
        stackId: stack.stackId,
        nodeId: this.nodeId,
        at: context.at,
        through,
        documents,
        reviews,
        sheets: plan.sheets,
        blanks: plan.blanks,
      };
      await this.runRetryingRace(command, context);
      plannedThrough = through;
      file({ documents, reviews });
    };
    for await (const page of scanStackPages(original, stack.original.contentType as 'application/pdf', {
      maxPixelsPerPage,
      minPageSidePixels,
      maxPageAspectRatio,
    })) {
      filing.throwIfFailed();
      const ended = segmenter.add({ codes: page.codes, blank: page.blank, sheetMarker: page.sheetMarker });
      if (ended) await planSegment(ended);
    }
    const last = segmenter.end();
    if (last) await planSegment(last);
  }

  /**
   * The sheet's status for this stack's plan, once claimed for it: `issued` when this stack holds the
   * claim (now, or since an earlier attempt), `claimed` when another stack or a review does.
   */
  private async claimFor(stackId: string, coverSheetId: string, context: CommandContext): Promise<CoverSheetStatus> {
    try {
      await this.coverSheets.claim(coverSheetId, { stackId }, context);
      return 'issued';
    } catch (error) {
      if (!(error instanceof DomainError) || (error.kind !== 'conflict' && error.kind !== 'not-found')) throw error;
      const { state } = await this.coverSheets.load(coverSheetId);
      return state.status === 'issued' ? 'claimed' : state.status;
    }
  }

  /**
   * A stack that failed for good gives back the sheets it claimed: a sheet with a record of it
   * already made is used (naming it: no second record under the sheet), any other released, so the
   * paper can be filed again (another stack, a review's assign). A claim made by an attempt that
   * failed before recording its part (no record under it) is released when another claimant meets it
   * (CoverSheets.claim).
   */
  private async settleClaims(stackId: string, context: CommandContext): Promise<void> {
    const stack = await this.stacks.loadKnown(stackId);
    for (const [coverSheetId, documents] of bySheet(stack.plan?.documents ?? [])) {
      const { state } = await this.coverSheets.load(coverSheetId);
      if (state.status !== 'issued' || state.claim?.stackId !== stackId) continue;
      let made: string | undefined;
      for (const d of documents) if (!made && (await this.records.load(d.recordId)).state.status !== 'absent') made = d.recordId;
      if (made) await this.coverSheets.use(coverSheetId, made, context, stackId);
      else await this.coverSheets.release(coverSheetId, { stackId }, 'stack-failed', context);
    }
  }

  /** A command on the stack's stream, again if the lease's renewal was appended in between (the decision is idempotent). */
  private async runRetryingRace(command: PlanStackSplitPart, context: CommandContext): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.stacks.run(command, context);
        return;
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError) || attempt >= 3) throw error;
      }
    }
  }

  /** The records of one cover sheet's document (every part), then the sheet used; nothing made twice. */
  private async fileSheet(
    stack: KnownStack,
    coverSheetId: string,
    documents: StackDocument[],
    source: StackPages | undefined,
    context: CommandContext,
  ): Promise<void> {
    const sheet = (await this.coverSheets.load(coverSheetId)).state;
    if (sheet.status === 'used' && documents.some((d) => d.recordId === sheet.recordId)) return;
    // Every part of the sheet's document first: once the sheet is used its details are shredded.
    const details = await this.stacks.coverSheetDetails(coverSheetId);
    for (const document of documents) {
      if (stack.filed.includes(document.recordId) || (await this.records.load(document.recordId)).state.status !== 'absent') continue;
      const file = await this.stacks.spoolPages(stack, document.pages, source);
      try {
        const origin = {
          stackId: stack.stackId,
          pageRange: { first: document.pages[0], last: document.pages.at(-1)! },
          pages: document.pages,
          coverSheetId,
          part: document.part,
        };
        // Its pages were inspected with the stack, under the same limits, and copied out as they were: not inspected again.
        const inspected = { contentType: file.contentType, pages: document.pages.length };
        await this.stacks.createRecord(details, file, context, { recordId: document.recordId, stack: origin, inspected });
      } finally {
        await this.stacks.removeSpooled(file);
      }
    }
    await this.coverSheets.use(coverSheetId, documents[0].recordId, context, stack.stackId);
  }

  private async openReviewItem(stackId: string, item: StackReviewItem, context: CommandContext): Promise<void> {
    const measure = { pages: item.pageRange.last - item.pageRange.first + 1, ...(item.sheetPage !== undefined ? { sheetPage: item.sheetPage } : {}) };
    try {
      await this.eventSourced.run({
        stream: reviewItemStream(item.itemId),
        keyId: null,
        decider: reviewItemDecider,
        command: {
          type: 'OpenReviewItem',
          itemId: item.itemId,
          kind: item.kind,
          subject: { stackId, pageRange: item.pageRange },
          measure,
          actor: context.actor,
          at: context.at,
        },
        context,
      });
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
    }
  }
}

/** A plan's documents by cover sheet, in order (a sheet's documents are all in the part of its page). */
function bySheet(documents: readonly StackDocument[]): Map<string, StackDocument[]> {
  const sheets = new Map<string, StackDocument[]>();
  for (const d of documents) sheets.set(d.coverSheetId, [...(sheets.get(d.coverSheetId) ?? []), d]);
  return sheets;
}
