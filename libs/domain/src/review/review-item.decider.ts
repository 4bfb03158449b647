import { type Decider, unhandled } from '../shared/decider';
import { DomainError, FieldError } from '../shared/domain-error';
import type { Actor } from '../shared/roles';
import { STACK_REVIEW_KINDS } from '../stack/stack-split-plan';

/**
 * A page (or run of pages) that needs a person before the paper is trusted: the quality-review
 * queue. One process stream per item, `review-item-<itemId>`, whatever the item is about:
 * - an item may concern no record at all (stack pages before any cover sheet, an unreadable code),
 *   so the record's stream cannot hold it, and one stream type keeps one decider for every kind;
 * - the record stays small and uncontended (OCR, versions, holds write there), and an item's
 *   lifecycle is not the record's state;
 * - the item id is derived from what it is about (record, version, page, kind: see
 *   review-item-id.ts), so opening it again (a retried OCR) finds the stream and decides nothing.
 * No PHI: kinds, ids, page numbers and measures (numbers) only; the events are written in clear.
 */
export const reviewItemStream = (itemId: string): string => `review-item-${itemId}`;

/**
 * The kinds of item. Page quality (opened by OCR, and `blank-page` by stack splitting too), then
 * the stack kinds (STACK_REVIEW_KINDS: pages without a cover sheet, unreadable or foreign codes,
 * cover sheets already used, unknown cover sheets), with a stack subject.
 */
export const REVIEW_ITEM_KINDS = ['blank-page', 'low-confidence', 'skewed-page', 'dark-page', ...STACK_REVIEW_KINDS] as const;
export type ReviewItemKind = (typeof REVIEW_ITEM_KINDS)[number];
export const isReviewItemKind = (value: unknown): value is ReviewItemKind => REVIEW_ITEM_KINDS.includes(value as ReviewItemKind);

export const REVIEW_ACTIONS = ['accept', 'rescan', 'assign'] as const;
export type ReviewAction = (typeof REVIEW_ACTIONS)[number];
export const isReviewAction = (value: unknown): value is ReviewAction => REVIEW_ACTIONS.includes(value as ReviewAction);

/** `open` until someone acts; `awaiting-rescan` may still be accepted or assigned once the rescan is in; `resolved` is final. */
export const REVIEW_ITEM_STATUSES = ['open', 'awaiting-rescan', 'resolved'] as const;
export type ReviewItemStatus = (typeof REVIEW_ITEM_STATUSES)[number];
export const isReviewItemStatus = (value: unknown): value is ReviewItemStatus => REVIEW_ITEM_STATUSES.includes(value as ReviewItemStatus);

/** What an item is about: one page of a record's version, or a run of pages of a scanned stack. */
export type ReviewSubject = { recordId: string; version: number; page: number } | { stackId: string; pageRange: { first: number; last: number } };

/** Numbers only (ink ratio, skew degrees, confidence...): never text. */
export type ReviewMeasure = Readonly<Record<string, number>>;

export interface OpenReviewItem {
  type: 'OpenReviewItem';
  itemId: string;
  kind: string;
  subject: ReviewSubject;
  measure: ReviewMeasure;
  actor: Actor;
  at: string;
}

export interface ResolveReviewItem {
  type: 'ResolveReviewItem';
  itemId: string;
  action: string;
  /** assign: the record the pages were filed in, and the version that holds them. */
  recordId?: string;
  version?: number;
  /** assign: the cover sheet whose document the pages join (stacks). */
  coverSheetId?: string;
  actor: Actor;
  at: string;
}

export type ReviewItemCommand = OpenReviewItem | ResolveReviewItem;

export interface ReviewItemOpened {
  type: 'ReviewItemOpened';
  data: {
    itemId: string;
    kind: ReviewItemKind;
    recordId?: string;
    version?: number;
    page?: number;
    stackId?: string;
    pageRange?: { first: number; last: number };
    measure: ReviewMeasure;
    openedBy: string;
    openedAt: string;
  };
}

export interface ReviewItemResolved {
  type: 'ReviewItemResolved';
  data: {
    itemId: string;
    action: ReviewAction;
    recordId?: string;
    version?: number;
    coverSheetId?: string;
    resolvedBy: string;
    resolvedAt: string;
  };
}

export type ReviewItemEvent = ReviewItemOpened | ReviewItemResolved;

/** Nothing sealed: the events hold no PHI. */
export const REVIEW_ITEM_PHI_FIELDS: Record<ReviewItemEvent['type'], readonly string[]> = {
  ReviewItemOpened: [],
  ReviewItemResolved: [],
};

export interface ReviewResolution {
  action: ReviewAction;
  by: string;
  at: string;
  recordId?: string;
  version?: number;
  coverSheetId?: string;
}

export type ReviewItemState =
  | { status: 'absent' }
  | {
      status: ReviewItemStatus;
      itemId: string;
      kind: ReviewItemKind;
      subject: ReviewSubject;
      measure: ReviewMeasure;
      openedBy: string;
      openedAt: string;
      /** Every action taken, in order (a rescan, then an acceptance...). */
      resolutions: ReviewResolution[];
    };

export type KnownReviewItem = Extract<ReviewItemState, { itemId: string }>;

export const reviewItemDecider = {
  initialState: (): ReviewItemState => ({ status: 'absent' }),

  decide(command: ReviewItemCommand, state: ReviewItemState): ReviewItemEvent[] {
    switch (command.type) {
      case 'OpenReviewItem':
        return open(command, state);
      case 'ResolveReviewItem':
        return [resolve(command, state)];
      default:
        return unhandled(command, 'command');
    }
  },

  evolve(state: ReviewItemState, event: ReviewItemEvent): ReviewItemState {
    switch (event.type) {
      case 'ReviewItemOpened': {
        const d = event.data;
        const subject: ReviewSubject =
          d.stackId !== undefined ? { stackId: d.stackId, pageRange: d.pageRange! } : { recordId: d.recordId!, version: d.version!, page: d.page! };
        return { status: 'open', itemId: d.itemId, kind: d.kind, subject, measure: d.measure, openedBy: d.openedBy, openedAt: d.openedAt, resolutions: [] };
      }
      case 'ReviewItemResolved': {
        if (state.status === 'absent') return state;
        const { itemId: _itemId, resolvedBy, resolvedAt, ...rest } = event.data;
        return {
          ...state,
          status: event.data.action === 'rescan' ? 'awaiting-rescan' : 'resolved',
          resolutions: [...state.resolutions, { ...rest, by: resolvedBy, at: resolvedAt }],
        };
      }
      default:
        return unhandled(event, 'event');
    }
  },
} satisfies Decider<ReviewItemCommand, ReviewItemEvent, ReviewItemState>;

const positiveInteger = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 1;

/** Opening an item that exists decides nothing: the same page flagged again (a retried OCR) is the same item. */
function open(c: OpenReviewItem, state: ReviewItemState): ReviewItemOpened[] {
  if (state.status !== 'absent') return [];
  const errors: FieldError[] = [];
  if (!isReviewItemKind(c.kind)) errors.push({ field: 'kind', message: `must be one of ${REVIEW_ITEM_KINDS.join(', ')}` });
  const s = c.subject as Partial<{ recordId: string; version: number; page: number; stackId: string; pageRange: { first: number; last: number } }>;
  if ('stackId' in s) {
    const range = s.pageRange;
    if (!range || !positiveInteger(range.first) || !positiveInteger(range.last) || range.last < range.first) {
      errors.push({ field: 'pageRange', message: 'must be pages first..last, from 1' });
    }
  } else if (typeof s.recordId !== 'string' || !positiveInteger(s.version) || !positiveInteger(s.page)) {
    errors.push({ field: 'subject', message: 'must name a record, its version and a page (from 1), or a stack and a page range' });
  }
  if (Object.values(c.measure).some((v) => typeof v !== 'number' || !Number.isFinite(v))) errors.push({ field: 'measure', message: 'must hold numbers only' });
  if (errors.length > 0) throw DomainError.invalid(errors);
  return [
    {
      type: 'ReviewItemOpened',
      data: { itemId: c.itemId, kind: c.kind as ReviewItemKind, ...c.subject, measure: { ...c.measure }, openedBy: c.actor.username, openedAt: c.at },
    },
  ];
}

function resolve(c: ResolveReviewItem, state: ReviewItemState): ReviewItemResolved {
  if (state.status === 'absent') throw new DomainError('not-found', 'No such review item');
  if (!isReviewAction(c.action)) throw DomainError.invalid([{ field: 'action', message: `must be one of ${REVIEW_ACTIONS.join(', ')}` }]);
  if (state.status === 'resolved') throw new DomainError('conflict', `The review item was already resolved (${state.resolutions.at(-1)!.action})`);
  if (state.status === 'awaiting-rescan' && c.action === 'rescan') throw new DomainError('conflict', 'The review item is already awaiting a rescan');
  const targets = [c.recordId, c.coverSheetId].filter((t) => t !== undefined).length;
  if (c.action === 'assign' && targets !== 1) {
    throw DomainError.invalid([{ field: 'recordId', message: 'assign needs exactly one of recordId and coverSheetId' }]);
  }
  if (c.action !== 'assign' && targets > 0) {
    throw DomainError.invalid([{ field: c.recordId !== undefined ? 'recordId' : 'coverSheetId', message: `is only taken with assign` }]);
  }
  if (c.action === 'assign' && c.recordId !== undefined && !positiveInteger(c.version)) {
    throw DomainError.invalid([{ field: 'version', message: 'must name the version holding the assigned pages' }]);
  }
  return {
    type: 'ReviewItemResolved',
    data: {
      itemId: state.itemId,
      action: c.action,
      ...(c.recordId !== undefined ? { recordId: c.recordId, version: c.version } : {}),
      ...(c.coverSheetId !== undefined ? { coverSheetId: c.coverSheetId } : {}),
      resolvedBy: c.actor.username,
      resolvedAt: c.at,
    },
  };
}
