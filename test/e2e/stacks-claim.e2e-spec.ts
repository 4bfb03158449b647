import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { CommandContext, systemActor } from '@medrec/application';
import { type PrintedCoverSheet } from '@medrec/ingest/sheets/sheets-pdf';
import { loadOrCreateNodeId } from '@medrec/platform';
import { CoverSheets } from '../../apps/api/src/cover-sheets/cover-sheets.service';
import { assignedRecordId } from '../../apps/api/src/review/review-items';
import { StackSplitter } from '../../apps/api/src/stacks/stack-splitter';
import { Stacks } from '../../apps/api/src/stacks/stacks.service';
import { fixtureScanPages, scannerStack } from '../support/scanner-stack';
import { headPosition } from './support/configured-app';
import { purpose, startApp, TestApp, usersByRole } from './support/harness';
import { expectProblem, issueSheets, sendStack, type StackBody, type Users } from './support/stacks';

/**
 * The same paper cover sheet in two stacks split at the same moment (two splits running at once, as
 * two nodes would: each claims its own stack, then both scan, plan and file concurrently). The sheet
 * is claimed before anything is filed under it: exactly one record is made under it, the other
 * stack's pages behind it go to review, and neither split fails. A sheet claimed by a filing under
 * way refuses a review's assign and a void (409); a claim of a stack that failed is given back.
 */

let t: TestApp;
let u: Users;
let nodeId: string;

beforeAll(async () => {
  // Splits are run by the test itself, both at once.
  t = await startApp(undefined, { MEDREC_STACKS_SPLIT: 'false' });
  u = await usersByRole(t.baseUrl);
  nodeId = loadOrCreateNodeId(join(t.dataDir, 'node.id'));
}, 60_000);
afterAll(() => t?.close());

const context = (): CommandContext => ({ actor: systemActor('stacks@test'), correlationId: randomUUID(), at: new Date().toISOString() });
const sheetDetails = (i: number) => ({
  mrn: `MRN-0077${String(i).padStart(4, '0')}`,
  patientName: `Claim Example ${'ABCD'[i]}nna`,
  dateOfBirth: '1968-05-02',
  documentType: 'progress-note',
  title: `Claim note ${i}`,
});

async function receivedStack(pages: Parameters<typeof scannerStack>[0], name: string): Promise<string> {
  const res = await sendStack(u.clerk, await (await scannerStack(pages)).pdf(), name);
  expect(res.status).toBe(202);
  return res.body.stackId;
}

/** Claims the stack for this node, as the splitter's loop would, then splits it. */
async function split(stackId: string): Promise<void> {
  const claimed = context();
  await t.app.get(Stacks).run({ type: 'ClaimStackSplit', stackId, nodeId, at: claimed.at, leaseMs: 60_000, maxAttempts: 3 }, claimed);
  await t.app.get(StackSplitter).split(stackId, context());
}

const recordsOf = async (sheet: PrintedCoverSheet): Promise<string[]> => {
  const res = await u.him.get(`/api/search?mrn=${sheet.mrn}&after=${await headPosition(t.baseUrl)}&limit=100`, purpose('operations'));
  expect(res.status).toBe(200);
  return (res.body.results as Array<{ recordId: string }>).map((r) => r.recordId);
};

describe('one cover sheet in two stacks split at once', () => {
  let sheets: PrintedCoverSheet[];
  let bodies: StackBody[];
  let stackIds: string[];

  beforeAll(async () => {
    const issued = await issueSheets(u, [0, 1, 2, 3].map(sheetDetails));
    sheets = issued.sheets;
    const scans = fixtureScanPages();
    const shared = { kind: 'cover-sheet' as const, sheet: sheets[0], pdf: issued.pdfs[0] };
    // Stack B files a second sheet of its own behind the shared one: its split goes on past the sheet it lost.
    stackIds = [
      await receivedStack([shared, scans[0], scans[1]], 'a.pdf'),
      await receivedStack([shared, scans[2], scans[3], { kind: 'cover-sheet', sheet: sheets[1], pdf: issued.pdfs[1] }, scans[4]], 'b.pdf'),
    ];
    const outcomes = await Promise.allSettled(stackIds.map(split));
    expect(outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : o.status))).toEqual(['fulfilled', 'fulfilled']);
    bodies = await Promise.all(stackIds.map(async (id) => (await u.clerk.get(`/api/stacks/${id}`)).body as StackBody));
  }, 120_000);

  it('files exactly one record under the sheet; the other stack sends the pages behind it to review and files the rest', async () => {
    expect(bodies.map((b) => b.status)).toEqual(['split', 'split']);
    const filedUnderShared = bodies.flatMap((b) => b.documents.filter((d) => d.coverSheetId === sheets[0].id).map((d) => ({ stackId: b.stackId, ...d })));
    expect(filedUnderShared).toHaveLength(1);
    const [winner] = filedUnderShared;
    const loser = bodies.find((b) => b.stackId !== winner.stackId)!;
    expect(winner.pages).toHaveLength(2);
    expect(loser.reviewItems.map((r) => [r.kind, r.pageRange])).toEqual([['cover-sheet-used', { first: 2, last: 3 }]]);
    expect(await recordsOf(sheets[0])).toEqual([winner.recordId]);
    // Stack B's own second sheet is filed whichever stack won the shared one.
    const b = bodies[1];
    expect(b.documents.filter((d) => d.coverSheetId === sheets[1].id).map((d) => d.pages)).toEqual([[5]]);
    expect(await recordsOf(sheets[1])).toHaveLength(1);

    const sheet = await u.him.get(`/api/cover-sheets/${sheets[0].id}`, purpose('operations'));
    expect(sheet.body).toMatchObject({ status: 'used', stackId: winner.stackId, recordId: winner.recordId, claim: { stackId: winner.stackId } });
  });

  it("refuses the loser's review assign to the used sheet (409), and to a sheet claimed by a stack still being split; a failed stack's claim is given back", async () => {
    const loser = bodies.find((b) => !b.documents.some((d) => d.coverSheetId === sheets[0].id))!;
    const item = loser.reviewItems[0];
    expectProblem(await u.clerk.post(`/api/review/${item.id}/resolve`, { action: 'assign', coverSheetId: sheets[0].id }), 409);

    // Sheet 2 held by a stack whose split is under way (received, claimed, not planned yet).
    const pending = await receivedStack([fixtureScanPages()[5]], 'pending.pdf');
    await t.app.get(CoverSheets).claim(sheets[2].id, { stackId: pending }, context());
    const refused = await u.clerk.post(`/api/review/${item.id}/resolve`, { action: 'assign', coverSheetId: sheets[2].id });
    expectProblem(refused, 409);
    expect(refused.body).toMatchObject({ stackId: pending });
    const voided = await u.him.post(`/api/cover-sheets/${sheets[2].id}/void`, { reason: 'Printed twice' });
    expectProblem(voided, 409);
    expect((await u.him.get(`/api/cover-sheets/${sheets[2].id}`, purpose('operations'))).body).toMatchObject({ status: 'issued', claim: { stackId: pending } });
    expect(await recordsOf(sheets[2])).toEqual([]);

    // That stack fails for good: the sheet is free again, and the assign files the pages under it.
    const failed = context();
    await t.app.get(Stacks).run({ type: 'FailStackSplit', stackId: pending, reason: 'test', at: failed.at }, failed);
    const assigned = await u.clerk.post(`/api/review/${item.id}/resolve`, { action: 'assign', coverSheetId: sheets[2].id });
    expect(assigned.status).toBe(200);
    expect(await recordsOf(sheets[2])).toEqual([assigned.body.recordId]);
    expect((await u.him.get(`/api/cover-sheets/${sheets[2].id}`, purpose('operations'))).body).toMatchObject({
      status: 'used',
      recordId: assigned.body.recordId,
      claim: { reviewItemId: item.id },
    });
  });

  it('gives back the claims of a stack that fails for good, before any record was made under them', async () => {
    const issued = await issueSheets(u, [sheetDetails(3)]);
    const [sheet] = issued.sheets;
    const stackId = await receivedStack([{ kind: 'cover-sheet', sheet, pdf: issued.pdfs[0] }, fixtureScanPages()[6]], 'failing.pdf');
    const claimed = context();
    await t.app.get(Stacks).run({ type: 'ClaimStackSplit', stackId, nodeId, at: claimed.at, leaseMs: 60_000, maxAttempts: 3 }, claimed);
    // As the split does: the sheet claimed, then the part recorded; the node gives up before filing.
    await t.app.get(CoverSheets).claim(sheet.id, { stackId }, context());
    const documents = [{ coverSheetId: sheet.id, part: 1, pages: [2], recordId: randomUUID() }];
    await t.app
      .get(Stacks)
      .run({ type: 'PlanStackSplitPart', stackId, nodeId, at: claimed.at, through: 2, documents, reviews: [], sheets: [1], blanks: [] }, claimed);
    await t.app.get(StackSplitter)['fail'](stackId, 'The stack could not be split in 3 attempts');

    const res = await u.him.get(`/api/cover-sheets/${sheet.id}`, purpose('operations'));
    expect(res.body.status).toBe('issued');
    expect(res.body).not.toHaveProperty('claim');
    expect((await u.clerk.get(`/api/stacks/${stackId}`)).body.status).toBe('failed');
  });
});

describe('a review assign to a cover sheet retried after a try that died', () => {
  /** A stack of one page without a cover sheet, split: its page waits in review. */
  async function pageInReview(scan: number, name: string): Promise<{ stackId: string; itemId: string }> {
    const stackId = await receivedStack([fixtureScanPages()[scan]], name);
    await split(stackId);
    const body = (await u.clerk.get(`/api/stacks/${stackId}`)).body as StackBody;
    expect(body.reviewItems).toHaveLength(1);
    return { stackId, itemId: body.reviewItems[0].id };
  }

  /** What a try does before it dies: the sheet claimed for the item, the record made under it. */
  async function recordMadeByATryThatDied(stackId: string, itemId: string, sheetId: string): Promise<string> {
    const stacks = t.app.get(Stacks);
    const recordId = assignedRecordId(itemId, sheetId);
    await t.app.get(CoverSheets).claim(sheetId, { reviewItemId: itemId }, context());
    const pages = await stacks.spoolPages(await stacks.loadKnown(stackId), [1]);
    await stacks.createUnderCoverSheet(sheetId, recordId, pages, context(), { stackId, pages: [1] });
    return recordId;
  }

  async function expectFiledOnce(itemId: string, sheet: PrintedCoverSheet, recordId: string): Promise<void> {
    const assigned = await u.clerk.post(`/api/review/${itemId}/resolve`, { action: 'assign', coverSheetId: sheet.id });
    expect(assigned.status).toBe(200);
    expect(assigned.body).toMatchObject({ status: 'resolved', action: 'assign', recordId, version: 1 });
    expect(await recordsOf(sheet)).toEqual([recordId]);
    expect((await u.him.get(`/api/cover-sheets/${sheet.id}`, purpose('operations'))).body).toMatchObject({ status: 'used', recordId });
  }

  it('finds the record the try made and uses the sheet for it: one record, not two', async () => {
    const { sheets } = await issueSheets(
      u,
      [sheetDetails(0)].map((d) => ({ ...d, mrn: 'MRN-00779001' })),
    );
    const { stackId, itemId } = await pageInReview(7, 'died-after-record.pdf');
    const recordId = await recordMadeByATryThatDied(stackId, itemId, sheets[0].id);
    await expectFiledOnce(itemId, sheets[0], recordId);
  });

  it('records only the resolution when the try had used the sheet already', async () => {
    const { sheets } = await issueSheets(
      u,
      [sheetDetails(1)].map((d) => ({ ...d, mrn: 'MRN-00779002' })),
    );
    const { stackId, itemId } = await pageInReview(8, 'died-after-use.pdf');
    const recordId = await recordMadeByATryThatDied(stackId, itemId, sheets[0].id);
    await t.app.get(CoverSheets).use(sheets[0].id, recordId, context(), stackId, itemId);
    await expectFiledOnce(itemId, sheets[0], recordId);
  });
});
