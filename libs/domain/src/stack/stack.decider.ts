import { type Decider, unhandled } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import { claimLease, type LeaseState, renewLease } from '../shared/lease';
import type { Actor } from '../shared/roles';
import type { PlannedDocument, PlannedReview, StackReviewKind } from './stack-split-plan';

/**
 * A stack: one scanner file of many documents, split into records by their cover sheets. Its
 * stream holds what was received (the original, stored encrypted under the stack's own key), the
 * claims of the node splitting it (leases, as OCR jobs'), the plan, each document as it becomes a
 * record, and the end. No PHI: ids, page numbers, kinds. The original is deleted, and its key
 * destroyed, once every page is in a record, a sheet, or a review item a clerk resolved.
 */
export const stackStream = (stackId: string): string => `stack-${stackId}`;
/** The key the stack's original is encrypted with (its stream's name, as cover sheets'). */
export const stackKeyId = stackStream;

export interface StackOriginal {
  blobKey: string;
  /** Hex SHA-256 of the file: the Idempotency-Key it was sent with. */
  sha256: string;
  size: number;
  contentType: string;
  pages: number;
}

/** A planned document with the id its record is (or will be) created under, fixed in the plan so a retried split creates it once. */
export interface StackDocument extends PlannedDocument {
  recordId: string;
}

/** A planned review item with its id (derived from the stack and the pages: opened once). */
export interface StackReviewItem extends PlannedReview {
  itemId: string;
}

interface StackCommandBase {
  stackId: string;
  at: string;
}

export interface ReceiveStack extends StackCommandBase {
  type: 'ReceiveStack';
  original: StackOriginal;
  actor: Actor;
}

export interface ClaimStackSplit extends StackCommandBase {
  type: 'ClaimStackSplit';
  nodeId: string;
  leaseMs: number;
  maxAttempts: number;
}

export interface RenewStackSplitLease extends StackCommandBase {
  type: 'RenewStackSplitLease';
  nodeId: string;
  leaseMs: number;
}

export interface PlanStackSplit extends StackCommandBase {
  type: 'PlanStackSplit';
  nodeId: string;
  documents: StackDocument[];
  reviews: StackReviewItem[];
  sheets: number[];
  blanks: number[];
}

/**
 * A part of the plan, recorded as the stack is scanned: the pages after those planned so far up to
 * `through` (a segment ends before a cover sheet or an unreadable code: nothing in it changes with
 * the pages after it). Its documents can be filed at once; the part that reaches the last page
 * completes the plan. The same part again (a retried split) decides nothing.
 */
export interface PlanStackSplitPart extends StackCommandBase {
  type: 'PlanStackSplitPart';
  nodeId: string;
  through: number;
  documents: StackDocument[];
  reviews: StackReviewItem[];
  sheets: number[];
  blanks: number[];
}

export interface FileStackDocument extends StackCommandBase {
  type: 'FileStackDocument';
  recordId: string;
}

export interface CompleteStackSplit extends StackCommandBase {
  type: 'CompleteStackSplit';
}

export interface FailStackSplit extends StackCommandBase {
  type: 'FailStackSplit';
  /** Fixed text of ours (no PHI). */
  reason: string;
}

/** The original can go: `resolvedItemIds` are the stack's review items a clerk resolved (accepted, or assigned to a record). */
export interface DiscardStackOriginal extends StackCommandBase {
  type: 'DiscardStackOriginal';
  resolvedItemIds: string[];
}

export type StackCommand =
  | ReceiveStack
  | ClaimStackSplit
  | RenewStackSplitLease
  | PlanStackSplit
  | PlanStackSplitPart
  | FileStackDocument
  | CompleteStackSplit
  | FailStackSplit
  | DiscardStackOriginal;

export interface StackReceived {
  type: 'StackReceived';
  data: { stackId: string; original: StackOriginal; receivedBy: string; receivedAt: string };
}
export interface StackSplitClaimed {
  type: 'StackSplitClaimed';
  data: { stackId: string; nodeId: string; attempt: number; claimedAt: string; leaseUntil: string };
}
export interface StackSplitLeaseRenewed {
  type: 'StackSplitLeaseRenewed';
  data: { stackId: string; nodeId: string; renewedAt: string; leaseUntil: string };
}
export interface StackSplitPlanned {
  type: 'StackSplitPlanned';
  data: { stackId: string; documents: StackDocument[]; reviews: StackReviewItem[]; sheets: number[]; blanks: number[]; plannedAt: string };
}
export interface StackSplitPartPlanned {
  type: 'StackSplitPartPlanned';
  data: {
    stackId: string;
    /** The pages of the part: from the page after the parts before it. */
    from: number;
    through: number;
    documents: StackDocument[];
    reviews: StackReviewItem[];
    sheets: number[];
    blanks: number[];
    plannedAt: string;
  };
}
export interface StackDocumentFiled {
  type: 'StackDocumentFiled';
  data: { stackId: string; recordId: string; filedAt: string };
}
export interface StackSplitCompleted {
  type: 'StackSplitCompleted';
  data: { stackId: string; completedAt: string };
}
export interface StackSplitFailed {
  type: 'StackSplitFailed';
  data: { stackId: string; reason: string; failedAt: string };
}
export interface StackOriginalDiscarded {
  type: 'StackOriginalDiscarded';
  data: { stackId: string; discardedAt: string };
}

export type StackEvent =
  | StackReceived
  | StackSplitClaimed
  | StackSplitLeaseRenewed
  | StackSplitPlanned
  | StackSplitPartPlanned
  | StackDocumentFiled
  | StackSplitCompleted
  | StackSplitFailed
  | StackOriginalDiscarded;

/** Nothing sealed: the events hold no PHI. */
export const STACK_PHI_FIELDS: Record<StackEvent['type'], readonly string[]> = {
  StackReceived: [],
  StackSplitClaimed: [],
  StackSplitLeaseRenewed: [],
  StackSplitPlanned: [],
  StackSplitPartPlanned: [],
  StackDocumentFiled: [],
  StackSplitCompleted: [],
  StackSplitFailed: [],
  StackOriginalDiscarded: [],
};

export const STACK_STATUSES = ['received', 'splitting', 'split', 'failed'] as const;
export type StackStatus = (typeof STACK_STATUSES)[number];

export type StackState =
  | { status: 'absent' }
  | (LeaseState & {
      status: StackStatus;
      stackId: string;
      original: StackOriginal;
      receivedBy: string;
      receivedAt: string;
      /** The plan so far (whole once `plannedThrough` is the last page). */
      plan?: { documents: StackDocument[]; reviews: StackReviewItem[]; sheets: number[]; blanks: number[] };
      /** Pages 1..plannedThrough are planned (0: none yet). */
      plannedThrough: number;
      /** Record ids of the planned documents already created. */
      filed: string[];
      failure?: string;
      originalDiscarded: boolean;
    });

export type KnownStack = Exclude<StackState, { status: 'absent' }>;

export const stackDecider = {
  initialState: (): StackState => ({ status: 'absent' }),

  decide(command: StackCommand, state: StackState): StackEvent[] {
    if (command.type === 'ReceiveStack') return receive(command, state);
    if (state.status === 'absent') throw new DomainError('not-found', 'No such stack');
    const { stackId, at } = command;
    switch (command.type) {
      case 'ClaimStackSplit': {
        if (state.status === 'split' || state.status === 'failed') throw new DomainError('conflict', `The stack is already ${state.status}`);
        const { attempt, leaseUntil } = claimLease(state, command, 'stack split');
        return [{ type: 'StackSplitClaimed', data: { stackId, nodeId: command.nodeId, attempt, claimedAt: at, leaseUntil } }];
      }
      case 'RenewStackSplitLease': {
        const { leaseUntil } = renewLease(state, command, 'stack split');
        return [{ type: 'StackSplitLeaseRenewed', data: { stackId, nodeId: command.nodeId, renewedAt: at, leaseUntil } }];
      }
      case 'PlanStackSplit':
        return plan(command, state);
      case 'PlanStackSplitPart':
        return planPart(command, state);
      case 'FileStackDocument': {
        if (!state.plan?.documents.some((d) => d.recordId === command.recordId)) throw new DomainError('not-found', 'No such document in the stack plan');
        if (state.filed.includes(command.recordId)) return [];
        return [{ type: 'StackDocumentFiled', data: { stackId, recordId: command.recordId, filedAt: at } }];
      }
      case 'CompleteStackSplit': {
        if (state.status === 'split') return [];
        if (!state.plan || state.plannedThrough < state.original.pages) throw new DomainError('conflict', 'The stack has no whole split plan yet');
        if (state.filed.length < state.plan.documents.length) throw new DomainError('conflict', 'Documents of the stack are not filed yet');
        return [{ type: 'StackSplitCompleted', data: { stackId, completedAt: at } }];
      }
      case 'FailStackSplit':
        if (state.status === 'split' || state.status === 'failed') return [];
        return [{ type: 'StackSplitFailed', data: { stackId, reason: command.reason, failedAt: at } }];
      case 'DiscardStackOriginal':
        return discard(command, state);
      default:
        return unhandled(command, 'command');
    }
  },

  evolve(state: StackState, event: StackEvent): StackState {
    if (event.type === 'StackReceived') {
      const { stackId, original, receivedBy, receivedAt } = event.data;
      return { status: 'received', stackId, original, receivedBy, receivedAt, attempts: 0, plannedThrough: 0, filed: [], originalDiscarded: false };
    }
    if (state.status === 'absent') return state;
    switch (event.type) {
      case 'StackSplitClaimed':
        return { ...state, status: 'splitting', attempts: event.data.attempt, lastClaim: { nodeId: event.data.nodeId, leaseUntil: event.data.leaseUntil } };
      case 'StackSplitLeaseRenewed':
        return { ...state, lastClaim: { nodeId: event.data.nodeId, leaseUntil: event.data.leaseUntil } };
      case 'StackSplitPlanned': {
        const { documents, reviews, sheets, blanks } = event.data;
        return { ...state, plan: { documents, reviews, sheets, blanks }, plannedThrough: state.original.pages };
      }
      case 'StackSplitPartPlanned': {
        const { documents, reviews, sheets, blanks, through } = event.data;
        const before = state.plan ?? { documents: [], reviews: [], sheets: [], blanks: [] };
        const plan = {
          documents: [...before.documents, ...documents],
          reviews: [...before.reviews, ...reviews],
          sheets: [...before.sheets, ...sheets],
          blanks: [...before.blanks, ...blanks],
        };
        return { ...state, plan, plannedThrough: through };
      }
      case 'StackDocumentFiled':
        return { ...state, filed: [...state.filed, event.data.recordId] };
      case 'StackSplitCompleted':
        return { ...state, status: 'split', lastClaim: undefined };
      case 'StackSplitFailed':
        return { ...state, status: 'failed', failure: event.data.reason, lastClaim: undefined };
      case 'StackOriginalDiscarded':
        return { ...state, originalDiscarded: true };
      default:
        return unhandled(event, 'event');
    }
  },
} satisfies Decider<StackCommand, StackEvent, StackState>;

/** A stack is received once: the same file again (same Idempotency-Key, same id) decides nothing. */
function receive(command: ReceiveStack, state: StackState): StackEvent[] {
  if (state.status !== 'absent') return [];
  const { original } = command;
  if (!/^[0-9a-f]{64}$/.test(original.sha256)) throw DomainError.invalid([{ field: 'Idempotency-Key', message: 'must be the hex SHA-256 of the file' }]);
  if (!(Number.isInteger(original.pages) && original.pages >= 1)) throw DomainError.invalid([{ field: 'file', message: 'must have at least one page' }]);
  return [{ type: 'StackReceived', data: { stackId: command.stackId, original: { ...original }, receivedBy: command.actor.username, receivedAt: command.at } }];
}

/**
 * The plan is fixed once, by the node holding the claim: a retried split (after a crash) follows the
 * plan already recorded, with the same record ids, so no document is filed twice.
 */
function plan(command: PlanStackSplit, state: KnownStack): StackEvent[] {
  if (state.plan && state.plannedThrough === state.original.pages) return [];
  if (state.plan) throw new DomainError('conflict', 'The stack is being planned part by part');
  if (state.status !== 'splitting' || state.lastClaim?.nodeId !== command.nodeId)
    throw new DomainError('conflict', 'The stack split is not claimed by this worker');
  const pages = state.original.pages;
  // Every page once: in a document, a review item or the sheets (a used sheet with nothing behind it is both a sheet and its item).
  const reviewed = command.reviews.filter((r) => r.pageRange.first !== r.sheetPage).flatMap((r) => range(r.pageRange.first, r.pageRange.last));
  const used = [...command.documents.flatMap((d) => d.pages), ...reviewed, ...command.sheets];
  const valid = used.every((p) => Number.isInteger(p) && p >= 1 && p <= pages);
  if (!valid || used.length !== pages || new Set(used).size !== pages || command.documents.some((d) => d.pages.length === 0)) {
    throw DomainError.invalid([{ field: 'plan', message: `must account for every page 1-${pages} once` }]);
  }
  const { stackId, documents, reviews, sheets, blanks, at } = command;
  return [{ type: 'StackSplitPlanned', data: { stackId, documents, reviews, sheets, blanks, plannedAt: at } }];
}

function planPart(command: PlanStackSplitPart, state: KnownStack): StackEvent[] {
  const from = state.plannedThrough + 1;
  if (command.through < from) return [];
  if (state.status !== 'splitting' || state.lastClaim?.nodeId !== command.nodeId)
    throw new DomainError('conflict', 'The stack split is not claimed by this worker');
  const { through } = command;
  const invalid = (message: string) => DomainError.invalid([{ field: 'plan', message }]);
  if (!Number.isInteger(through) || through > state.original.pages) throw invalid(`must end at a page of 1-${state.original.pages}`);
  // Every page of the part once; a used sheet with nothing behind it is both a sheet and its item (of this part or one before).
  const sheetOnly = command.reviews.filter((r) => r.pageRange.first === r.sheetPage);
  const reviewed = command.reviews.filter((r) => r.pageRange.first !== r.sheetPage).flatMap((r) => range(r.pageRange.first, r.pageRange.last));
  const used = [...command.documents.flatMap((d) => d.pages), ...reviewed, ...command.sheets];
  const count = through - from + 1;
  const valid = used.every((p) => Number.isInteger(p) && p >= from && p <= through);
  if (!valid || used.length !== count || new Set(used).size !== count || command.documents.some((d) => d.pages.length === 0)) {
    throw invalid(`must account for every page ${from}-${through} once`);
  }
  const sheets = new Set([...(state.plan?.sheets ?? []), ...command.sheets]);
  if (sheetOnly.some((r) => r.pageRange.last !== r.sheetPage || !sheets.has(r.sheetPage))) throw invalid('a sheet listed alone must be a sheet of the stack');
  const recordIds = new Set(state.plan?.documents.map((d) => d.recordId));
  const itemIds = new Set(state.plan?.reviews.map((r) => r.itemId));
  if (command.documents.some((d) => recordIds.has(d.recordId)) || command.reviews.some((r) => itemIds.has(r.itemId))) {
    throw invalid('names a record or review item of an earlier part');
  }
  const { stackId, documents, reviews, blanks, at } = command;
  return [{ type: 'StackSplitPartPlanned', data: { stackId, from, through, documents, reviews, sheets: command.sheets, blanks, plannedAt: at } }];
}

function discard(command: DiscardStackOriginal, state: KnownStack): StackEvent[] {
  if (state.originalDiscarded) return [];
  if (state.status !== 'split' || !state.plan) throw new DomainError('conflict', 'The stack is not split yet: its original is kept');
  const open = state.plan.reviews.filter((r) => !command.resolvedItemIds.includes(r.itemId));
  if (open.length > 0) throw new DomainError('conflict', `${open.length} review item(s) of the stack are not resolved: its original is kept`);
  return [{ type: 'StackOriginalDiscarded', data: { stackId: command.stackId, discardedAt: command.at } }];
}

const range = (first: number, last: number): number[] => Array.from({ length: last - first + 1 }, (_, i) => first + i);

export type { StackReviewKind };
