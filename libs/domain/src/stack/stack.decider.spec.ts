import { actors, deciderSpec } from '../testing';
import { type PlanStackSplit, stackDecider, type StackEvent } from './stack.decider';

const STACK = '0190a3c4-0000-7000-8000-0000000000b7';
const SHEET = '0190a3c4-0000-7000-8000-0000000000c5';
const RECORD = '0190a3c4-0000-7000-8000-0000000000a1';
const ITEM = '0190a3c4-0000-7000-8000-0000000000d1';
const T0 = '2024-03-06T08:30:00.000Z';
const T1 = '2024-03-06T08:31:00.000Z';
const LATER = '2024-03-06T09:30:00.000Z';
const SHA = 'ab'.repeat(32);
const original = { blobKey: `stacks/${STACK}/original`, sha256: SHA, size: 1000, contentType: 'application/pdf', pages: 4 };

const spec = deciderSpec(stackDecider);
const received: StackEvent = { type: 'StackReceived', data: { stackId: STACK, original, receivedBy: actors.clerk.username, receivedAt: T0 } };
const claimed = (nodeId = 'n1', attempt = 1): StackEvent => ({
  type: 'StackSplitClaimed',
  data: { stackId: STACK, nodeId, attempt, claimedAt: T0, leaseUntil: '2024-03-06T08:40:00.000Z' },
});
const claim = (nodeId = 'n1', at = T1) => ({ type: 'ClaimStackSplit' as const, stackId: STACK, nodeId, at, leaseMs: 600_000, maxAttempts: 3 });
/** Pages: 1 orphan (review), 2 cover sheet, 3-4 its document. */
const planCommand = (overrides: Partial<PlanStackSplit> = {}): PlanStackSplit => ({
  type: 'PlanStackSplit',
  stackId: STACK,
  nodeId: 'n1',
  at: T1,
  documents: [{ coverSheetId: SHEET, part: 1, pages: [3, 4], recordId: RECORD }],
  reviews: [{ itemId: ITEM, kind: 'no-cover-sheet', pageRange: { first: 1, last: 1 } }],
  sheets: [2],
  blanks: [],
  ...overrides,
});
const planned: StackEvent = {
  type: 'StackSplitPlanned',
  data: { stackId: STACK, documents: planCommand().documents, reviews: planCommand().reviews, sheets: [2], blanks: [], plannedAt: T1 },
};
const filed: StackEvent = { type: 'StackDocumentFiled', data: { stackId: STACK, recordId: RECORD, filedAt: T1 } };
const completed: StackEvent = { type: 'StackSplitCompleted', data: { stackId: STACK, completedAt: T1 } };

describe('stackDecider', () => {
  it('receives a stack once: the same file again decides nothing (idempotency)', () => {
    const receive = { type: 'ReceiveStack' as const, stackId: STACK, original, actor: actors.clerk, at: T0 };
    spec.given([]).when(receive).then([received]);
    spec.given([received]).when(receive).then([]);
    spec
      .given([])
      .when({ ...receive, original: { ...original, sha256: 'not-hex' } })
      .thenThrows('invalid', 'Idempotency-Key');
  });

  it('lets one node claim the split while its lease runs, and another once it has run out', () => {
    spec
      .given([received])
      .when(claim())
      .thenState((s) => expect(s).toMatchObject({ status: 'splitting', attempts: 1 }));
    spec
      .given([received, claimed('n1')])
      .when(claim('n2'))
      .thenThrows('conflict', 'another worker');
    spec
      .given([received, claimed('n1')])
      .when(claim('n2', LATER))
      .thenState((s) => expect(s).toMatchObject({ attempts: 2, lastClaim: { nodeId: 'n2' } }));
    spec
      .given([received, claimed('n1', 3)])
      .when(claim('n1', LATER))
      .thenThrows('gone', 'attempts');
  });

  it('fixes the plan once, from the claiming node, accounting for every page exactly once', () => {
    spec.given([received, claimed()]).when(planCommand()).then([planned]);
    spec
      .given([received, claimed(), planned])
      .when(planCommand({ sheets: [] }))
      .then([]);
    spec
      .given([received, claimed('n2')])
      .when(planCommand())
      .thenThrows('conflict', 'not claimed');
    spec
      .given([received, claimed()])
      .when(planCommand({ sheets: [] }))
      .thenThrows('invalid', 'plan');
    spec
      .given([received, claimed()])
      .when(planCommand({ sheets: [2, 3] }))
      .thenThrows('invalid', 'plan');
  });

  it('records the plan part by part as the stack is scanned: each part the pages after the last, once; complete at the last page', () => {
    const part1 = {
      type: 'PlanStackSplitPart' as const,
      stackId: STACK,
      nodeId: 'n1',
      at: T1,
      through: 1,
      documents: [],
      sheets: [],
      blanks: [],
      reviews: planCommand().reviews,
    };
    const part2 = { ...part1, through: 4, reviews: [], sheets: [2], documents: planCommand().documents };
    const planned1: StackEvent = {
      type: 'StackSplitPartPlanned',
      data: { stackId: STACK, from: 1, through: 1, documents: [], reviews: part1.reviews, sheets: [], blanks: [], plannedAt: T1 },
    };
    const planned2: StackEvent = {
      type: 'StackSplitPartPlanned',
      data: { stackId: STACK, from: 2, through: 4, documents: part2.documents, reviews: [], sheets: [2], blanks: [], plannedAt: T1 },
    };
    spec.given([received, claimed()]).when(part1).then([planned1]);
    spec.given([received, claimed(), planned1]).when(part1).then([]);
    spec.given([received, claimed(), planned1]).when(part2).then([planned2]);
    spec
      .given([received, claimed(), planned1])
      .when(part2)
      .thenState((s) => expect(s).toMatchObject({ plannedThrough: 4, plan: { documents: part2.documents, reviews: part1.reviews, sheets: [2] } }));
    // A part that skips or repeats a page, or names a record of an earlier part, is refused.
    spec.given([received, claimed()]).when(part2).thenThrows('invalid', 'plan');
    spec
      .given([received, claimed(), planned1])
      .when({ ...part2, sheets: [1, 2] })
      .thenThrows('invalid', 'plan');
    spec
      .given([received, claimed(), planned1])
      .when({ ...part2, through: 5 })
      .thenThrows('invalid', 'plan');
    spec
      .given([received, claimed('n2'), planned1])
      .when(part2)
      .thenThrows('conflict', 'not claimed');
    // Filing may start with the first part; completing waits for the whole plan.
    spec.given([received, claimed(), planned1]).when({ type: 'CompleteStackSplit', stackId: STACK, at: T1 }).thenThrows('conflict', 'whole split plan');
    spec.given([received, claimed(), planned1, planned2, filed]).when({ type: 'CompleteStackSplit', stackId: STACK, at: T1 }).then([completed]);
    spec.given([received, claimed(), planned1]).when(planCommand()).thenThrows('conflict', 'part by part');
  });

  it('files each planned document once, and completes only when all are filed', () => {
    const file = { type: 'FileStackDocument' as const, stackId: STACK, recordId: RECORD, at: T1 };
    spec.given([received, claimed(), planned]).when(file).then([filed]);
    spec.given([received, claimed(), planned, filed]).when(file).then([]);
    spec
      .given([received, claimed(), planned])
      .when({ ...file, recordId: SHEET })
      .thenThrows('not-found');
    spec.given([received, claimed(), planned]).when({ type: 'CompleteStackSplit', stackId: STACK, at: T1 }).thenThrows('conflict', 'not filed');
    spec.given([received, claimed(), planned, filed]).when({ type: 'CompleteStackSplit', stackId: STACK, at: T1 }).then([completed]);
  });

  it('keeps the original until the split is done and every review item of the stack is resolved', () => {
    const discard = { type: 'DiscardStackOriginal' as const, stackId: STACK, at: LATER, resolvedItemIds: [ITEM] };
    spec.given([received, claimed(), planned, filed]).when(discard).thenThrows('conflict', 'not split');
    spec
      .given([received, claimed(), planned, filed, completed])
      .when({ ...discard, resolvedItemIds: [] })
      .thenThrows('conflict', 'not resolved');
    spec
      .given([received, claimed(), planned, filed, completed])
      .when(discard)
      .then([{ type: 'StackOriginalDiscarded', data: { stackId: STACK, discardedAt: LATER } }]);
  });

  it('fails a split once, and no longer lets it be claimed', () => {
    const failed: StackEvent = { type: 'StackSplitFailed', data: { stackId: STACK, reason: 'The stack could not be split', failedAt: T1 } };
    spec.given([received, claimed()]).when({ type: 'FailStackSplit', stackId: STACK, reason: 'The stack could not be split', at: T1 }).then([failed]);
    spec.given([received, claimed(), failed]).when(claim()).thenThrows('conflict', 'failed');
  });
});
