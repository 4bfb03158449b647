import type { SheetCode } from '../cover-sheet/sheet-code';

/**
 * What splitting learnt of one page of a stack: the codes decoded on it, whether it is blank, and
 * whether it shows the marker printed along the edges of every medrec sheet (independent of its
 * QR codes: a sheet whose codes are all gone still shows it).
 */
export interface ScannedStackPage {
  codes: readonly SheetCode[];
  blank: boolean;
  sheetMarker: boolean;
}

/**
 * A cover sheet's state when the stack is split: only an `issued` sheet this stack holds the claim
 * on files pages; `claimed` is a sheet another stack (or a review) holds the claim on, whose pages
 * go to review as a used sheet's do: that claimant files the sheet's record, never two of them.
 */
export type CoverSheetStatus = 'issued' | 'claimed' | 'used' | 'voided' | 'absent';

/** The stack-specific kinds of review item (with `blank-page`, which stacks share with OCR). */
export const STACK_REVIEW_KINDS = ['no-cover-sheet', 'unreadable-code', 'cover-sheet-used', 'unknown-cover-sheet'] as const;
export type StackReviewKind = (typeof STACK_REVIEW_KINDS)[number] | 'blank-page';

/** One document of the stack: the pages (stack page numbers, from 1, in order) a record is made of. */
export interface PlannedDocument {
  coverSheetId: string;
  /** 1 for the pages right behind the cover sheet; 2, 3... for each separator sheet after it. */
  part: number;
  pages: number[];
}

/** A run of consecutive pages that needs a person instead of a guess. */
export interface PlannedReview {
  kind: StackReviewKind;
  pageRange: { first: number; last: number };
  /** The page whose code led here (unreadable, used or unknown cover sheet), when it is not in the range. */
  sheetPage?: number;
}

export interface SplitPlan {
  documents: PlannedDocument[];
  reviews: PlannedReview[];
  /** Cover and separator sheets read cleanly: removed, in no record. */
  sheets: number[];
  /** Blank pages: left out of every record, each listed for review. */
  blanks: number[];
}

type Filing =
  | { to: 'document'; document: PlannedDocument }
  /** Pages that go to review for `kind`; `filed` counts them (a sheet with none behind it is listed alone). */
  | { to: 'review'; kind: StackReviewKind; sheetPage?: number; filed: number };

/**
 * The split of a stack, from the codes on its pages (pure). Read page by page:
 * - a page whose readable codes are one code of ours (a sheet prints its code twice: the same code
 *   twice counts once, and a second code found but unreadable beside a readable one is its stained
 *   twin) that is a cover sheet `issued` and not met before in this stack: a sheet (removed); the
 *   pages behind it, up to the next sheet, are its document (part 1);
 * - the same, but the sheet is claimed by another stack, used, voided, unknown or met before in this stack: a sheet
 *   (removed); the pages behind it go to review (`cover-sheet-used`, `unknown-cover-sheet`),
 *   never to a record; with no page behind it, the sheet's own page is listed;
 * - a separator alone: a sheet (removed); behind a cover sheet, the pages after it are a new
 *   document of the same cover sheet (part 2, 3...: same patient, type, title and dates); behind
 *   pages going to review, the next pages go to review for the same reason;
 * - a page with only unreadable codes, a foreign code, or codes that disagree; or a page with the
 *   sheet marker and no code at all (a sheet whose two codes were both torn off or inked over): the
 *   page itself and the pages behind it go to review (`unreadable-code`): a damaged cover sheet is
 *   never guessed at, whatever the pages behind it look like, and never read as a page of the document before it;
 * - a blank page (no code): left out, listed for review alone (`blank-page`);
 * - any other page: into the current document, or into review (`no-cover-sheet` before the first
 *   cover sheet).
 * A cover sheet or separator with no page behind it makes no document. A review item is a run of
 * consecutive pages: a blank page or a sheet ends it.
 */
export function planStackSplit(pages: readonly ScannedStackPage[], statusOf: (coverSheetId: string) => CoverSheetStatus): SplitPlan {
  return planStackSegment({ first: 1, pages }, statusOf, new Set());
}

/** Consecutive pages of a stack, `first` the number of the first (from 1). */
export interface StackSegment {
  first: number;
  pages: readonly ScannedStackPage[];
}

/**
 * Cuts a stack, as it is scanned, into segments that can be planned (and filed) before the rest is
 * seen: a segment ends right before a page whose code is a cover sheet or unreadable (a sheet marker
 * without a code included). Every rule of
 * planStackSplit starts afresh at such a page (the document or review run before it ends there, and
 * what follows depends only on that page and on the cover sheets met before it), so the plans of the
 * segments, each made with planStackSegment in order with the same `seen`, are the plan of the whole
 * stack, part by part. A separator does not cut: the pages behind it belong to the cover sheet before it.
 */
export class StackSegmenter {
  private pages: ScannedStackPage[] = [];
  private first = 1;

  /** The next page; the segment it ends (the pages before it), if it starts a new one. */
  add(page: ScannedStackPage): StackSegment | undefined {
    const code = singleCode(page);
    const cut = this.pages.length > 0 && (code === 'unreadable' || (typeof code === 'object' && code.kind === 'cover-sheet'));
    const ended = cut ? this.take() : undefined;
    this.pages.push(page);
    return ended;
  }

  /** The last segment (the stack has ended), if any page is left. */
  end(): StackSegment | undefined {
    return this.pages.length > 0 ? this.take() : undefined;
  }

  private take(): StackSegment {
    const segment = { first: this.first, pages: this.pages };
    this.first += this.pages.length;
    this.pages = [];
    return segment;
  }
}

/**
 * The cover sheets planStackSegment would file pages under were each of them `issued` (those whose
 * status it asks for, in order): the ones to claim before planning. `seen` is not changed.
 */
export function coverSheetsToFile(segment: StackSegment, seen: ReadonlySet<string>): string[] {
  const asked: string[] = [];
  planStackSegment(segment, (id) => (asked.push(id), 'issued'), new Set(seen));
  return asked;
}

/**
 * planStackSplit's rules over one segment (page numbers of the whole stack); `seen` holds the cover
 * sheets met in the segments before it, and gets this segment's.
 */
export function planStackSegment(segment: StackSegment, statusOf: (coverSheetId: string) => CoverSheetStatus, seen: Set<string>): SplitPlan {
  const plan: SplitPlan = { documents: [], reviews: [], sheets: [], blanks: [] };
  let filing: Filing = { to: 'review', kind: 'no-cover-sheet', filed: 0 };
  let run: PlannedReview | undefined;

  const toReview = (page: number, f: Extract<Filing, { to: 'review' }>) => {
    f.filed++;
    if (run) {
      run.pageRange.last = page;
      return;
    }
    run = { kind: f.kind, pageRange: { first: page, last: page }, ...(f.sheetPage !== undefined ? { sheetPage: f.sheetPage } : {}) };
    plan.reviews.push(run);
  };
  const switchTo = (next: Filing) => {
    if (filing.to === 'review' && filing.sheetPage !== undefined && filing.filed === 0) {
      plan.reviews.push({ kind: filing.kind, pageRange: { first: filing.sheetPage, last: filing.sheetPage }, sheetPage: filing.sheetPage });
    }
    filing = next;
  };

  segment.pages.forEach((scanned, index) => {
    const page = segment.first + index;
    const code = singleCode(scanned);
    if (code === 'none' && scanned.blank) {
      run = undefined;
      plan.blanks.push(page);
      plan.reviews.push({ kind: 'blank-page', pageRange: { first: page, last: page } });
    } else if (code === 'none') {
      if (filing.to === 'review') return toReview(page, filing);
      if (filing.document.pages.length === 0) plan.documents.push(filing.document);
      filing.document.pages.push(page);
    } else if (code === 'unreadable') {
      run = undefined;
      switchTo({ to: 'review', kind: 'unreadable-code', filed: 0 });
      toReview(page, filing as Extract<Filing, { to: 'review' }>);
    } else {
      run = undefined;
      plan.sheets.push(page);
      if (code.kind === 'separator') {
        if (filing.to === 'document')
          switchTo({ to: 'document', document: { coverSheetId: filing.document.coverSheetId, part: filing.document.part + 1, pages: [] } });
        return;
      }
      const status = seen.has(code.id) ? 'used' : statusOf(code.id);
      seen.add(code.id);
      if (status === 'issued') switchTo({ to: 'document', document: { coverSheetId: code.id, part: 1, pages: [] } });
      else switchTo({ to: 'review', kind: status === 'absent' ? 'unknown-cover-sheet' : 'cover-sheet-used', sheetPage: page, filed: 0 });
    }
  });
  switchTo({ to: 'review', kind: 'no-cover-sheet', filed: 0 });
  plan.reviews.sort((a, b) => a.pageRange.first - b.pageRange.first);
  return plan;
}

/**
 * The one thing a page says: nothing, one readable code of ours, or something not to be trusted.
 * Readable codes that agree make the sheet, with at most as many unreadable ones (of ours: a foreign
 * code, read but not ours, is never part of a sheet) beside them: a sheet's twin codes, one stained.
 * No code at all on a page that shows the sheet marker is a sheet that cannot be read.
 */
function singleCode({ codes, sheetMarker }: ScannedStackPage): 'none' | 'unreadable' | Exclude<SheetCode, { kind: 'unknown' }> {
  if (codes.length === 0) return sheetMarker ? 'unreadable' : 'none';
  const readable = codes.filter((c): c is Exclude<SheetCode, { kind: 'unknown' }> => c.kind !== 'unknown');
  const unknown = codes.filter((c): c is Extract<SheetCode, { kind: 'unknown' }> => c.kind === 'unknown');
  if (readable.length === 0 || unknown.some((c) => c.text !== undefined) || unknown.length > readable.length) return 'unreadable';
  const distinct = new Set(readable.map((c) => (c.kind === 'cover-sheet' ? c.id : c.kind)));
  if (distinct.size > 1) return 'unreadable';
  return readable[0];
}
