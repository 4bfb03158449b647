import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { CommandContext, EventSourcedRunner, systemActor } from '@medrec/application';
import {
  CoverSheetStatus,
  DomainError,
  KnownStack,
  planStackSplit,
  reviewItemDecider,
  reviewItemStream,
  ScannedStackPage,
  StackDocument,
  StackReviewItem,
} from '@medrec/domain';
import { WrongExpectedRevisionError } from '@medrec/event-store';
import { IngestRefusal } from '@medrec/ingest/inspect/ingest-refusal';
import { reviewItemId } from '@medrec/ingest/quality/review-items';
import { scanStackPages } from '@medrec/ingest/stacks/scan-stack-pages';
import { APP_CONFIG, AppConfig, loadOrCreateNodeId } from '@medrec/platform';
import { ReadModels } from '@medrec/read-models';
import { CoverSheets } from '../cover-sheets/cover-sheets.service';
import { mapConcurrently } from '../common/map-concurrently';
import { RecordRepository } from '../records/record-repository';
import { Stacks } from './stacks.service';

/** How long a claim holds unless renewed (renewed every third of it while the stack is split). */
const LEASE_MS = 5 * 60_000;
const MAX_ATTEMPTS = 3;
const POLL_MS = 250;
/** Cover sheets whose records are made at once. */
const FILING_CONCURRENCY = 3;

/**
 * Splits received stacks, off the request, as the OCR job runner works through OCR: the work list
 * is derived from the log (the `stacks` projection), each stack is claimed on its own stream with a
 * lease (stackDecider, the lease rules OCR jobs use), renewed while it is split; a node that dies
 * leaves a claim another node (or itself, restarted) takes over when the lease runs out. Every step
 * is idempotent: the plan is recorded once with its record ids, each document is filed once, review
 * items have derived ids, and a cover sheet is used once. One stack at a time per node: OCR of the
 * records made is what takes the time, and it runs in the OCR pool (in process or in workers).
 */
@Injectable()
export class StackSplitter implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Stacks');
  private readonly nodeId: string;
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  /** Stacks ended here, until the projection shows it. */
  private readonly finished = new Set<string>();
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
    if (!this.config.stacks.split) return;
    this.running = true;
    this.loop = this.run();
  }

  async onModuleDestroy(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Looks for work at once (a stack was just received). */
  poke(): void {
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const now = Date.now();
        const next = this.readModels.pendingStacks(8).find((id) => !this.finished.has(id) && (this.notBefore.get(id) ?? 0) <= now);
        if (next) {
          await this.process(next);
          continue;
        }
      } catch (error) {
        this.logger.warn(`Stack loop: ${(error as Error).name}; retrying`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, POLL_MS);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
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
    await this.stacks.run({ type: 'FailStackSplit', stackId, reason, at: context.at }, context);
    this.finished.add(stackId);
    this.logger.warn(`Stack ${stackId}: ${reason}`);
  }

  /** Plan (once), open the review items, file each document, use each cover sheet, complete, settle. */
  async split(stackId: string, context: CommandContext): Promise<void> {
    let stack = await this.stacks.loadKnown(stackId);
    let original: Buffer | undefined;
    if (!stack.plan) {
      original = await this.stacks.original(stack);
      await this.plan(stack, original, context);
      stack = await this.stacks.loadKnown(stackId);
    }
    const plan = stack.plan!;
    for (const item of plan.reviews) await this.openReviewItem(stackId, item, context);

    const bySheet = new Map<string, StackDocument[]>();
    for (const d of plan.documents) bySheet.set(d.coverSheetId, [...(bySheet.get(d.coverSheetId) ?? []), d]);
    original ??= plan.documents.some((d) => !stack.filed.includes(d.recordId)) ? await this.stacks.original(stack) : undefined;
    // Sheets at once (each its own records and sheet stream), so that OCR starts on the first records
    // while the next are made; the stack's own stream is written after, one event at a time.
    await mapConcurrently([...bySheet], FILING_CONCURRENCY, ([coverSheetId, documents]) => this.fileSheet(stack, coverSheetId, documents, original, context));
    for (const document of plan.documents) {
      if (!stack.filed.includes(document.recordId))
        await this.stacks.run({ type: 'FileStackDocument', stackId, recordId: document.recordId, at: context.at }, context);
    }
    await this.stacks.run({ type: 'CompleteStackSplit', stackId, at: new Date().toISOString() }, context);
    await this.stacks.settle(stackId, context);
  }

  /** The records of one cover sheet's document (every part), then the sheet used; nothing made twice. */
  private async fileSheet(
    stack: KnownStack,
    coverSheetId: string,
    documents: StackDocument[],
    original: Buffer | undefined,
    context: CommandContext,
  ): Promise<void> {
    const sheet = (await this.coverSheets.load(coverSheetId)).state;
    if (sheet.status === 'used' && documents.some((d) => d.recordId === sheet.recordId)) return;
    // Every part of the sheet's document first: once the sheet is used its details are shredded.
    const details = await this.stacks.coverSheetDetails(coverSheetId);
    for (const document of documents) {
      if (stack.filed.includes(document.recordId) || (await this.records.load(document.recordId)).state.status !== 'absent') continue;
      const file = await this.stacks.spoolPages(stack, document.pages, original);
      try {
        const origin = {
          stackId: stack.stackId,
          pageRange: { first: document.pages[0], last: document.pages.at(-1)! },
          pages: document.pages,
          coverSheetId,
          part: document.part,
        };
        await this.stacks.createRecord(details, file, context, { recordId: document.recordId, stack: origin });
      } finally {
        await this.stacks.removeSpooled(file);
      }
    }
    await this.coverSheets.use(coverSheetId, documents[0].recordId, context, stack.stackId);
  }

  private async plan(stack: KnownStack, original: Buffer, context: CommandContext): Promise<void> {
    const { maxPixelsPerPage, minPageSidePixels, maxPageAspectRatio } = this.config.limits;
    const pages: ScannedStackPage[] = [];
    for await (const page of scanStackPages(original, stack.original.contentType as 'application/pdf', {
      maxPixelsPerPage,
      minPageSidePixels,
      maxPageAspectRatio,
    })) {
      pages.push({ codes: page.codes, blank: page.blank });
    }
    const statuses = new Map<string, CoverSheetStatus>();
    for (const page of pages) {
      for (const code of page.codes) {
        if (code.kind === 'cover-sheet' && !statuses.has(code.id)) statuses.set(code.id, (await this.coverSheets.load(code.id)).state.status);
      }
    }
    const plan = planStackSplit(pages, (id) => statuses.get(id) ?? 'absent');
    const documents: StackDocument[] = plan.documents.map((d) => ({ ...d, recordId: randomUUID() }));
    const reviews: StackReviewItem[] = plan.reviews.map((r) => ({ ...r, itemId: reviewItemId(stack.stackId, r.pageRange.first, r.pageRange.last, r.kind) }));
    await this.stacks.run(
      { type: 'PlanStackSplit', stackId: stack.stackId, nodeId: this.nodeId, at: context.at, documents, reviews, sheets: plan.sheets, blanks: plan.blanks },
      context,
    );
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
