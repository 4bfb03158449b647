import type { SheetCode } from '../cover-sheet/sheet-code';
import { type CoverSheetStatus, planStackSplit, type ScannedStackPage } from './stack-split-plan';

const A = '0190a3c4-0000-7000-8000-00000000000a';
const B = '0190a3c4-0000-7000-8000-00000000000b';
const C = '0190a3c4-0000-7000-8000-00000000000c';

const cover = (id: string): ScannedStackPage => ({ codes: [{ kind: 'cover-sheet', id }], blank: false });
const separator: ScannedStackPage = { codes: [{ kind: 'separator' }], blank: false };
const page: ScannedStackPage = { codes: [], blank: false };
const blank: ScannedStackPage = { codes: [], blank: true };
const unreadable: ScannedStackPage = { codes: [{ kind: 'unknown' }], blank: false };
const withCodes = (...codes: SheetCode[]): ScannedStackPage => ({ codes, blank: false });

const allIssued = (): CoverSheetStatus => 'issued';
const statuses =
  (known: Record<string, CoverSheetStatus>) =>
  (id: string): CoverSheetStatus =>
    known[id] ?? 'absent';

describe('planStackSplit (codes per page -> documents, review items, sheets)', () => {
  it("given the issue's stack: orphans, a cover sheet with a blank page and a separator, then three more cover sheets", () => {
    const stack = [page, page, cover(A), page, page, blank, separator, page, cover(B), page, cover(C), page, cover('d'.repeat(8)), page];
    const plan = planStackSplit(stack, allIssued);
    expect(plan.documents).toEqual([
      { coverSheetId: A, part: 1, pages: [4, 5] },
      { coverSheetId: A, part: 2, pages: [8] },
      { coverSheetId: B, part: 1, pages: [10] },
      { coverSheetId: C, part: 1, pages: [12] },
      { coverSheetId: 'dddddddd', part: 1, pages: [14] },
    ]);
    expect(plan.reviews).toEqual([
      { kind: 'no-cover-sheet', pageRange: { first: 1, last: 2 } },
      { kind: 'blank-page', pageRange: { first: 6, last: 6 } },
    ]);
    expect(plan.sheets).toEqual([3, 7, 9, 11, 13]);
    expect(plan.blanks).toEqual([6]);
  });

  it('sends the pages behind a damaged cover sheet to review with the sheet itself, never to the document before it', () => {
    const plan = planStackSplit([cover(A), page, unreadable, page, page, cover(C), page], allIssued);
    expect(plan.documents).toEqual([
      { coverSheetId: A, part: 1, pages: [2] },
      { coverSheetId: C, part: 1, pages: [7] },
    ]);
    expect(plan.reviews).toEqual([{ kind: 'unreadable-code', pageRange: { first: 3, last: 5 } }]);
  });

  it('does not trust a page whose codes disagree (two cover sheets, or a cover sheet and a separator)', () => {
    for (const odd of [
      withCodes({ kind: 'cover-sheet', id: A }, { kind: 'cover-sheet', id: B }),
      withCodes({ kind: 'cover-sheet', id: B }, { kind: 'separator' }),
    ]) {
      const plan = planStackSplit([cover(C), page, odd, page], allIssued);
      expect(plan.documents).toEqual([{ coverSheetId: C, part: 1, pages: [2] }]);
      expect(plan.reviews).toEqual([{ kind: 'unreadable-code', pageRange: { first: 3, last: 4 } }]);
    }
  });

  it('takes a code read twice on one page as one', () => {
    expect(planStackSplit([withCodes({ kind: 'cover-sheet', id: A }, { kind: 'cover-sheet', id: A }), page], allIssued).documents).toEqual([
      { coverSheetId: A, part: 1, pages: [2] },
    ]);
  });

  it('sends the pages of a used, voided or unknown cover sheet to review, and a sheet met twice in the stack the second time', () => {
    const plan = planStackSplit(
      [cover(A), page, cover(B), page, cover(C), page, cover('x'), page, cover(A), page],
      statuses({ A: 'issued', [A]: 'issued', [B]: 'used', [C]: 'voided' }),
    );
    expect(plan.documents).toEqual([{ coverSheetId: A, part: 1, pages: [2] }]);
    expect(plan.reviews).toEqual([
      { kind: 'cover-sheet-used', pageRange: { first: 4, last: 4 }, sheetPage: 3 },
      { kind: 'cover-sheet-used', pageRange: { first: 6, last: 6 }, sheetPage: 5 },
      { kind: 'unknown-cover-sheet', pageRange: { first: 8, last: 8 }, sheetPage: 7 },
      { kind: 'cover-sheet-used', pageRange: { first: 10, last: 10 }, sheetPage: 9 },
    ]);
  });

  it('lists a used cover sheet with no page behind it by its own page', () => {
    const plan = planStackSplit([cover(B), cover(A), page], statuses({ [A]: 'issued', [B]: 'used' }));
    expect(plan.reviews).toEqual([{ kind: 'cover-sheet-used', pageRange: { first: 1, last: 1 }, sheetPage: 1 }]);
    expect(plan.sheets).toEqual([1, 2]);
  });

  it('makes no document of a cover sheet or separator with nothing behind it', () => {
    const plan = planStackSplit([cover(A), separator, cover(B), page, separator], allIssued);
    expect(plan.documents).toEqual([{ coverSheetId: B, part: 1, pages: [4] }]);
    expect(plan.reviews).toEqual([]);
  });

  it('keeps pages after a separator in review when no cover sheet came before (a separator names no patient)', () => {
    const plan = planStackSplit([page, separator, page, page], allIssued);
    expect(plan.documents).toEqual([]);
    expect(plan.reviews).toEqual([
      { kind: 'no-cover-sheet', pageRange: { first: 1, last: 1 } },
      { kind: 'no-cover-sheet', pageRange: { first: 3, last: 4 } },
    ]);
  });

  it('leaves a blank page out of the document it is in, and ends a review run at it', () => {
    const plan = planStackSplit([page, blank, page, cover(A), page, blank, page], allIssued);
    expect(plan.documents).toEqual([{ coverSheetId: A, part: 1, pages: [5, 7] }]);
    expect(plan.reviews.map((r) => [r.kind, r.pageRange.first, r.pageRange.last])).toEqual([
      ['no-cover-sheet', 1, 1],
      ['blank-page', 2, 2],
      ['no-cover-sheet', 3, 3],
      ['blank-page', 6, 6],
    ]);
  });

  it('accounts for every page exactly once (documents, review items, sheets)', () => {
    const stack = [page, blank, cover(A), page, unreadable, page, cover(B), separator, page, cover('x'), page, cover(C)];
    const plan = planStackSplit(stack, statuses({ [A]: 'issued', [B]: 'issued', [C]: 'issued' }));
    const pages = [
      ...plan.documents.flatMap((d) => d.pages),
      ...plan.reviews.flatMap((r) => Array.from({ length: r.pageRange.last - r.pageRange.first + 1 }, (_, i) => r.pageRange.first + i)),
      ...plan.sheets,
    ].sort((a, b) => a - b);
    expect(pages).toEqual(stack.map((_, i) => i + 1));
  });
});
