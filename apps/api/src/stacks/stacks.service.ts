import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buffer as streamBuffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { CommandContext, EventSourcedRunner, LoadedStream, nameBasedUuid } from '@medrec/application';
import { BLOB_STORE, BlobStore, getDecrypted, putEncrypted } from '@medrec/blob-store';
import { KEY_STORE, KeyStore } from '@medrec/crypto';
import {
  CoverSheetDetails,
  DomainError,
  KnownStack,
  reviewItemDecider,
  reviewItemStream,
  StackCommand,
  stackDecider,
  StackEvent,
  stackKeyId,
  StackOrigin,
  StackState,
  stackStream,
} from '@medrec/domain';
import { WrongExpectedRevisionError } from '@medrec/event-store';
import { IngestRefusal } from '@medrec/ingest/inspect/ingest-refusal';
import { openStackPages, StackPages } from '@medrec/ingest/stacks/extract-pages';
import { APP_CONFIG, AppConfig } from '@medrec/platform';
import { CoverSheets } from '../cover-sheets/cover-sheets.service';
import { CreateRecordCommand } from '../records/commands/record-commands';
import { RecordContent, UploadedFile } from '../records/record-content';

/** Namespace of stack ids: a name-based UUID (RFC 9562 version 5) of the file's SHA-256. */
const STACK_NAMESPACE = Buffer.from('3b0f7c1e9d2a4e6b8c5d1f0a2b3c4d5e', 'hex');

/**
 * The id of the stack of a file: derived from its SHA-256 (the Idempotency-Key), so the same file
 * sent twice (a lost answer, a watcher restarted) names the same stream and makes nothing new.
 */
export function stackIdOf(sha256: string): string {
  return nameBasedUuid(STACK_NAMESPACE, sha256);
}

export const STACK_CONTENT_TYPES = ['application/pdf', 'image/tiff'] as const;

export type LoadedStack = LoadedStream<StackState, StackEvent>;

/** What GET /api/stacks/:id shows of a review item of the stack. */
export interface StackReviewView {
  id: string;
  kind: string;
  pageRange: { first: number; last: number };
  status: string;
  action: string | null;
  recordId: string | null;
}

export interface StackView {
  stackId: string;
  status: string;
  receivedBy: string;
  receivedAt: string;
  contentType: string;
  pages: number;
  documents: Array<{ recordId: string; coverSheetId: string; part: number; pages: number[]; pageRange: { first: number; last: number }; filed: boolean }>;
  sheets: number[];
  blankPages: number[];
  reviewItems: StackReviewView[];
  reviewItemsOpen: number;
  pagesAccountedFor: number;
  originalKept: boolean;
  paperMayBeDestroyed: boolean;
  failure: string | null;
}

/**
 * Stacks (`stack-<id>` streams, stackDecider): received from POST /api/stacks (inspected with the
 * upload limits before anything is decoded, the original stored encrypted under the stack's own
 * key), shown by GET /api/stacks/:id, their pages handed out as documents of their own (records,
 * review assignments), and their original deleted (its key destroyed) once every page is in a
 * record, a sheet, or a review item a clerk resolved. Splitting itself: StackSplitter.
 */
@Injectable()
export class Stacks {
  constructor(
    private readonly eventSourced: EventSourcedRunner,
    private readonly content: RecordContent,
    private readonly coverSheets: CoverSheets,
    private readonly commands: CommandBus,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(KEY_STORE) private readonly keys: KeyStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * A new stack (`created`), or the stack already received for this file. The key is checked
   * against the file's bytes (hashing decodes nothing) before anything else; then the same
   * inspection as an upload (type from the bytes, size, pages, pixels, page shapes: 413/415/422).
   */
  async receive(
    file: UploadedFile | undefined,
    idempotencyKey: string | undefined,
    context: CommandContext,
    signal?: AbortSignal,
  ): Promise<{ stackId: string; created: boolean; position: number | null }> {
    const key = idempotencyKey?.trim();
    if (!key || !/^[0-9a-fA-F]{64}$/.test(key)) {
      throw DomainError.invalid([{ field: 'Idempotency-Key', message: 'is required: the hex SHA-256 of the file' }]);
    }
    if (!file) throw DomainError.invalid([{ field: 'file', message: 'is required' }]);
    const sha256 = key.toLowerCase();
    if ((await sha256OfFile(file.path)) !== sha256) {
      throw DomainError.invalid([{ field: 'Idempotency-Key', message: 'must be the hex SHA-256 of the file sent' }]);
    }
    const stackId = stackIdOf(sha256);
    const existing = await this.load(stackId);
    if (existing.state.status !== 'absent') return { stackId, created: false, position: null };

    const upload = await this.content.inspect(file, signal);
    if (!(STACK_CONTENT_TYPES as readonly string[]).includes(upload.contentType)) {
      throw new IngestRefusal('unsupported-type', 'A stack is a PDF or a TIFF (one file, many pages)');
    }
    signal?.throwIfAborted();
    const blobKey = `stacks/${stackId}/original`;
    const dataKey = (await this.keys.get(stackKeyId(stackId))) ?? (await this.createKey(stackId));
    let stored;
    try {
      stored = await putEncrypted(this.blobs, blobKey, createReadStream(file.path), dataKey);
    } finally {
      dataKey.fill(0);
    }
    if (stored.sha256 !== sha256) throw new Error('The upload changed while it was being stored');
    const original = { blobKey, sha256, size: stored.size, contentType: upload.contentType, pages: upload.pages };
    try {
      const result = await this.run({ type: 'ReceiveStack', stackId, original, actor: context.actor, at: context.at }, context, existing);
      return { stackId, created: true, position: result.position };
    } catch (error) {
      // The same file sent twice at once: the other request received it.
      if (error instanceof WrongExpectedRevisionError) return { stackId, created: false, position: null };
      throw error;
    }
  }

  load(stackId: string): Promise<LoadedStack> {
    return this.eventSourced.load(stackStream(stackId), null, stackDecider);
  }

  async loadKnown(stackId: string): Promise<KnownStack> {
    const { state } = await this.load(stackId);
    if (state.status === 'absent') throw new DomainError('not-found', 'No such stack');
    return state;
  }

  run(command: StackCommand, context: CommandContext, since?: LoadedStack) {
    return this.eventSourced.run({ stream: stackStream(command.stackId), keyId: null, decider: stackDecider, command, context, ...(since ? { since } : {}) });
  }

  /** The stack's original, decrypted and checked against its SHA-256. */
  async original(stack: KnownStack): Promise<Buffer> {
    if (stack.originalDiscarded) throw new DomainError('gone', "The stack's original was deleted once every page was accounted for");
    const dataKey = await this.keys.get(stackKeyId(stack.stackId));
    if (!dataKey) throw new DomainError('gone', "The stack's original is gone");
    try {
      return await streamBuffer(await getDecrypted(this.blobs, stack.original.blobKey, dataKey, { expectedSha256: stack.original.sha256 }));
    } finally {
      dataKey.fill(0);
    }
  }

  /** The stack's original, opened to extract documents from (parsed once for all of them). */
  async openPages(stack: KnownStack, original?: Buffer): Promise<StackPages> {
    return openStackPages(original ?? (await this.original(stack)), stack.original.contentType as 'application/pdf');
  }

  /** Pages of the stack as a document of their own, in the upload spool (owner-only; the caller removes it). */
  async spoolPages(stack: KnownStack, pages: number[], source?: StackPages): Promise<UploadedFile & { contentType: string }> {
    const extracted = await (source ?? (await this.openPages(stack))).extract(pages);
    const path = join(this.config.dataDir, 'tmp', 'uploads', `stack-${randomUUID()}`);
    await writeFile(path, extracted.bytes, { mode: 0o600 });
    return { path, size: extracted.bytes.length, contentType: extracted.contentType };
  }

  /**
   * A record made of `file` with a cover sheet's details, through the same command as an upload
   * (inspection, limits, encryption with its own key; OCR follows RecordCreated). `stack` names
   * where the pages came from. A record whose id is fixed and already exists is left as it is.
   */
  async createRecord(
    details: CoverSheetDetails,
    file: UploadedFile,
    context: CommandContext,
    options: { recordId?: string; stack?: StackOrigin; inspected?: { contentType: string; pages: number } } = {},
  ) {
    const { mrn, patientName, dateOfBirth, documentType, title, encounterDate } = details;
    const fields = {
      mrn,
      patientName,
      dateOfBirth,
      documentType,
      title: title ?? defaultTitle(documentType),
      ...(encounterDate !== undefined ? { encounterDate } : {}),
      ...(options.stack ? { stack: options.stack } : {}),
    };
    // The cover sheet names the document: identical bytes for the same patient are not a mistaken second upload here.
    return this.commands.execute(new CreateRecordCommand(fields, file, context, true, undefined, options.recordId, options.inspected));
  }

  /** Pages a clerk assigned to a cover sheet (a review item): record `recordId` with the sheet's details (404 unknown, 409 used or voided). */
  async createUnderCoverSheet(
    coverSheetId: string,
    recordId: string,
    file: UploadedFile,
    context: CommandContext,
    from?: { stackId: string; pages: number[] },
  ) {
    const details = await this.coverSheetDetails(coverSheetId);
    const stack: StackOrigin | undefined = from && {
      stackId: from.stackId,
      pageRange: { first: from.pages[0], last: from.pages.at(-1)! },
      pages: from.pages,
      coverSheetId,
      part: 1,
    };
    return this.createRecord(details, file, context, { recordId, ...(stack ? { stack } : {}) });
  }

  /** The details of an issued cover sheet (404 unknown; 409 used or voided: it files nothing more). */
  async coverSheetDetails(coverSheetId: string): Promise<CoverSheetDetails> {
    const { state } = await this.coverSheets.load(coverSheetId);
    if (state.status === 'absent') throw new DomainError('not-found', 'No such cover sheet');
    if (state.status !== 'issued' || !state.details) throw new DomainError('conflict', `The cover sheet was already ${state.status}`);
    return state.details;
  }

  /** The stack's review items as their streams hold them (not a read model: the paper's fate depends on it). */
  async reviewItems(stack: KnownStack): Promise<StackReviewView[]> {
    const items: StackReviewView[] = [];
    for (const planned of stack.plan?.reviews ?? []) {
      const { state } = await this.eventSourced.load(reviewItemStream(planned.itemId), null, reviewItemDecider);
      const last = state.status === 'absent' ? undefined : state.resolutions.at(-1);
      items.push({
        id: planned.itemId,
        kind: planned.kind,
        pageRange: planned.pageRange,
        status: state.status === 'absent' ? 'opening' : state.status,
        action: last?.action ?? null,
        recordId: last?.recordId ?? null,
      });
    }
    return items;
  }

  async view(stackId: string): Promise<StackView> {
    const stack = await this.loadKnown(stackId);
    const items = await this.reviewItems(stack);
    const plan = stack.plan;
    const documents = (plan?.documents ?? []).map((d) => ({
      recordId: d.recordId,
      coverSheetId: d.coverSheetId,
      part: d.part,
      pages: d.pages,
      pageRange: { first: d.pages[0], last: d.pages.at(-1)! },
      filed: stack.filed.includes(d.recordId),
    }));
    const accounted = new Set<number>(plan?.sheets ?? []);
    for (const d of documents) if (d.filed) d.pages.forEach((p) => accounted.add(p));
    for (const item of items) {
      if (item.status !== 'resolved') continue;
      for (let p = item.pageRange.first; p <= item.pageRange.last; p++) accounted.add(p);
    }
    const open = items.filter((i) => i.status !== 'resolved').length;
    return {
      stackId,
      status: stack.status,
      receivedBy: stack.receivedBy,
      receivedAt: stack.receivedAt,
      contentType: stack.original.contentType,
      pages: stack.original.pages,
      documents,
      sheets: plan?.sheets ?? [],
      blankPages: plan?.blanks ?? [],
      reviewItems: items,
      reviewItemsOpen: open,
      pagesAccountedFor: accounted.size,
      originalKept: !stack.originalDiscarded,
      paperMayBeDestroyed: stack.status === 'split' && open === 0 && accounted.size === stack.original.pages,
      failure: stack.failure ?? null,
    };
  }

  /**
   * Deletes the original (and destroys its key) once the stack is split and every review item of it
   * is resolved: every page is then in a record, a sheet, or discarded by a clerk. Idempotent;
   * called after a split and after each resolution of one of its items.
   */
  async settle(stackId: string, context: CommandContext): Promise<void> {
    const loaded = await this.load(stackId);
    const stack = loaded.state;
    if (stack.status !== 'split') return;
    if (!stack.originalDiscarded) {
      const resolved = (await this.reviewItems(stack)).filter((i) => i.status === 'resolved').map((i) => i.id);
      if (resolved.length < (stack.plan?.reviews.length ?? 0)) return;
      await this.run({ type: 'DiscardStackOriginal', stackId, resolvedItemIds: resolved, at: new Date().toISOString() }, context, loaded);
    }
    await this.blobs.delete(stack.original.blobKey).catch(() => undefined);
    await this.keys.destroy(stackKeyId(stackId));
  }

  async removeSpooled(file: UploadedFile): Promise<void> {
    await rm(file.path, { force: true });
  }

  private async createKey(stackId: string): Promise<Buffer> {
    return this.keys.create(stackKeyId(stackId));
  }
}

const defaultTitle = (documentType: string): string => {
  const words = documentType.replace(/-/g, ' ');
  return `${words.charAt(0).toUpperCase()}${words.slice(1)} (scanned)`;
};

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}
