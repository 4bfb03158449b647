import type { SheetCode } from '../cover-sheet/sheet-code';
import {
  coverSheetsToFile,
  type CoverSheetStatus,
  planStackSegment,
  planStackSplit,
  type ScannedStackPage,
  type SplitPlan,
  type StackSegment,
  StackSegmenter,
} from './stack-split-plan';

const A = '0190a3c4-0000-7000-8000-00000000000a';
const B = '0190a3c4-0000-7000-8000-00000000000b';
const C = '0190a3c4-0000-7000-8000-00000000000c';

const cover = (id: string): ScannedStackPage => ({ codes: [{ kind: 'cover-sheet', id }], blank: false, sheetMarker: true });
const separator: ScannedStackPage = { codes: [{ kind: 'separator' }], blank: false, sheetMarker: true };
const page: ScannedStackPage = { codes: [], blank: false, sheetMarker: false };
const blank: ScannedStackPage = { codes: [], blank: true, sheetMarker: false };
const unreadable: ScannedStackPage = { codes: [{ kind: 'unknown' }], blank: false, sheetMarker: true };
const withCodes = (...codes: SheetCode[]): ScannedStackPage => ({ codes, blank: false, sheetMarker: true });
/** A sheet whose two codes were both torn off, inked over or soaked: only its printed marker is seen. */
const obliterated: ScannedStackPage = { codes: [], blank: false, sheetMarker: true };

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

  it('given a cover sheet whose two codes are both gone (its marker seen, no code found), when planned, then it and every page behind it up to the next good sheet go to review, in no record', () => {
    const plan = planStackSplit([cover(A), page, obliterated, page, page, cover(C), page], allIssued);
    expect(plan.documents).toEqual([
      { coverSheetId: A, part: 1, pages: [2] },
      { coverSheetId: C, part: 1, pages: [7] },
    ]);
    expect(plan.reviews).toEqual([{ kind: 'unreadable-code', pageRange: { first: 3, last: 5 } }]);
    expect(plan.sheets).toEqual([1, 6]);
  });

  it('given such a sheet followed by a separator, when planned, then the pages behind the separator stay in review too (no patient to give them)', () => {
    const plan = planStackSplit([cover(A), page, obliterated, page, separator, page, cover(C), page], allIssued);
    expect(plan.documents.map((d) => [d.coverSheetId, d.pages])).toEqual([
      [A, [2]],
      [C, [8]],
    ]);
    expect(plan.reviews).toEqual([
      { kind: 'unreadable-code', pageRange: { first: 3, last: 4 } },
      { kind: 'unreadable-code', pageRange: { first: 6, last: 6 } },
    ]);
  });

  it('given such a sheet first in the stack or last, when planned, then its page is listed for review (a marker alone files nothing)', () => {
    expect(planStackSplit([obliterated, page], allIssued).reviews).toEqual([{ kind: 'unreadable-code', pageRange: { first: 1, last: 2 } }]);
    const plan = planStackSplit([cover(A), page, obliterated], allIssued);
    expect(plan.documents).toEqual([{ coverSheetId: A, part: 1, pages: [2] }]);
    expect(plan.reviews).toEqual([{ kind: 'unreadable-code', pageRange: { first: 3, last: 3 } }]);
    expect(plan.blanks).toEqual([]);
  });

  it('given a sheet marker on a page that also carries a readable code of ours, when planned, then the code decides (the marker is no boundary of its own)', () => {
    const plan = planStackSplit([{ ...cover(A), sheetMarker: true }, page, { ...separator, sheetMarker: false }, page], allIssued);
    expect(plan.documents.map((d) => [d.part, d.pages])).toEqual([
      [1, [2]],
      [2, [4]],
    ]);
  });

  it("given a sheet's twin codes, when one is stained (found, unreadable) or both are read, then the page is that sheet", () => {
    const twins: ScannedStackPage[] = [
      withCodes({ kind: 'cover-sheet', id: A }, { kind: 'cover-sheet', id: A }),
      withCodes({ kind: 'cover-sheet', id: A }, { kind: 'unknown' }),
      withCodes({ kind: 'unknown' }, { kind: 'cover-sheet', id: A }),
      { codes: [{ kind: 'unknown' }, { kind: 'cover-sheet', id: A }], blank: false, sheetMarker: false },
    ];
    for (const twin of twins) {
      const plan = planStackSplit([cover(C), page, twin, page, withCodes({ kind: 'unknown' }, { kind: 'separator' }), page], allIssued);
      expect(plan.documents.map((d) => [d.coverSheetId, d.part, d.pages])).toEqual([
        [C, 1, [2]],
        [A, 1, [4]],
        [A, 2, [6]],
      ]);
      expect(plan.reviews).toEqual([]);
    }
  });

  it('given a readable code of ours beside a foreign code, or beside more unreadable codes than readable ones, when planned, then the page is not trusted', () => {
    for (const odd of [
      withCodes({ kind: 'cover-sheet', id: A }, { kind: 'unknown', text: 'https://example.org/leaflet' }),
      withCodes({ kind: 'cover-sheet', id: A }, { kind: 'unknown' }, { kind: 'unknown' }),
      withCodes({ kind: 'unknown' }, { kind: 'unknown' }),
    ]) {
      const plan = planStackSplit([cover(C), page, odd, page], allIssued);
      expect(plan.documents).toEqual([{ coverSheetId: C, part: 1, pages: [2] }]);
      expect(plan.reviews).toEqual([{ kind: 'unreadable-code', pageRange: { first: 3, last: 4 } }]);
    }
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

  it("given a cover sheet claimed by another stack (the same paper sheet in two stacks), when planned, then its pages go to review as a used sheet's, in no record", () => {
    const plan = planStackSplit([cover(A), page, page, cover(B), page], statuses({ [A]: 'claimed', [B]: 'issued' }));
    expect(plan.documents).toEqual([{ coverSheetId: B, part: 1, pages: [5] }]);
    expect(plan.reviews).toEqual([{ kind: 'cover-sheet-used', pageRange: { first: 2, last: 3 }, sheetPage: 1 }]);
    expect(plan.sheets).toEqual([1, 4]);
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
    const stack = [page, blank, cover(A), page, unreadable, page, cover(B), separator, page, cover('x'), page, obliterated, page, cover(C)];
    const plan = planStackSplit(stack, statuses({ [A]: 'issued', [B]: 'issued', [C]: 'issued' }));
    const pages = [
      ...plan.documents.flatMap((d) => d.pages),
      ...plan.reviews.flatMap((r) => Array.from({ length: r.pageRange.last - r.pageRange.first + 1 }, (_, i) => r.pageRange.first + i)),
      ...plan.sheets,
    ].sort((a, b) => a - b);
    expect(pages).toEqual(stack.map((_, i) => i + 1));
  });
});

describe('StackSegmenter + planStackSegment (the plan made part by part as the stack is scanned)', () => {
  const D = '0190a3c4-0000-7000-8000-00000000000d';
  const known = statuses({ [A]: 'issued', [B]: 'issued', [C]: 'used', [D]: 'voided' });
  const kinds: ScannedStackPage[] = [
    page,
    page,
    page,
    blank,
    separator,
    unreadable,
    cover(A),
    cover(B),
    cover(C),
    cover(D),
    cover('e'.repeat(8)),
    withCodes({ kind: 'separator' }, { kind: 'cover-sheet', id: A }),
    withCodes({ kind: 'cover-sheet', id: B }, { kind: 'unknown' }),
    obliterated,
  ];

  /** The parts of a stack, planned as the splitter plans them. */
  function byParts(stack: ScannedStackPage[]): { parts: Array<{ segment: StackSegment; plan: SplitPlan }>; whole: SplitPlan } {
    const segmenter = new StackSegmenter();
    const segments: StackSegment[] = [];
    for (const p of stack) {
      const ended = segmenter.add(p);
      if (ended) segments.push(ended);
    }
    const last = segmenter.end();
    if (last) segments.push(last);
    const seen = new Set<string>();
    const parts = segments.map((segment) => ({ segment, plan: planStackSegment(segment, known, seen) }));
    const whole: SplitPlan = {
      documents: parts.flatMap((p) => p.plan.documents),
      reviews: parts.flatMap((p) => p.plan.reviews),
      sheets: parts.flatMap((p) => p.plan.sheets),
      blanks: parts.flatMap((p) => p.plan.blanks),
    };
    return { parts, whole };
  }

  it('gives, part by part, exactly the plan of the whole stack (2000 random stacks)', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let n = 0; n < 2000; n++) {
      const stack = Array.from({ length: 1 + Math.floor(random() * 14) }, () => kinds[Math.floor(random() * kinds.length)]);
      expect(byParts(stack).whole).toEqual(planStackSplit(stack, known));
    }
  });

  it('cuts before cover sheets, unreadable codes and sheets without a code only: a separator keeps its pages with the cover sheet before it', () => {
    const stack = [page, cover(A), page, separator, page, unreadable, page, cover(B), page, obliterated, page];
    const { parts } = byParts(stack);
    expect(parts.map((p) => [p.segment.first, p.segment.first + p.segment.pages.length - 1])).toEqual([
      [1, 1],
      [2, 5],
      [6, 7],
      [8, 9],
      [10, 11],
    ]);
    expect(parts[4].plan.reviews).toEqual([{ kind: 'unreadable-code', pageRange: { first: 10, last: 11 } }]);
    expect(parts[1].plan.documents.map((d) => [d.part, d.pages])).toEqual([
      [1, [3]],
      [2, [5]],
    ]);
    // The damaged code's pages go to review in their own part, never into the document before them.
    expect(parts[2].plan).toEqual({ documents: [], reviews: [{ kind: 'unreadable-code', pageRange: { first: 6, last: 7 } }], sheets: [], blanks: [] });
  });

  it('remembers the cover sheets of earlier parts: the same sheet again files nothing', () => {
    const { parts } = byParts([cover(A), page, cover(B), page, cover(A), page]);
    expect(parts[2].plan.documents).toEqual([]);
    expect(parts[2].plan.reviews).toEqual([{ kind: 'cover-sheet-used', pageRange: { first: 6, last: 6 }, sheetPage: 5 }]);
  });

  it('names the sheets a part would file under, to be claimed first: not one met in an earlier part, nor a page whose codes disagree', () => {
    const segment: StackSegment = { first: 1, pages: [cover(A), page, withCodes({ kind: 'cover-sheet', id: C }, { kind: 'cover-sheet', id: B }), page] };
    const seen = new Set([B]);
    expect(coverSheetsToFile(segment, new Set())).toEqual([A]);
    expect(coverSheetsToFile({ first: 5, pages: [cover(B), page] }, seen)).toEqual([]);
    expect(coverSheetsToFile({ first: 5, pages: [cover(C), page] }, seen)).toEqual([C]);
    expect(seen).toEqual(new Set([B]));
  });
});
