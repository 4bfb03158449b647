import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testIo } from '../../apps/cli/src/testing/test-io';
import { watch } from '../../apps/cli/src/commands/watch/watch.command';
import { stackIdOf } from '../../apps/api/src/stacks/stacks.service';
import { scannerStack } from '../support/scanner-stack';
import { PASSWORD, purpose, startApp, TestApp, usersByRole } from './support/harness';
import { expectProblem, issueSheets, readRecord, sendStack, sha256, splitStack, type Users } from './support/stacks';

/**
 * `medrec watch` (stack mode, in process) against the real app's POST /api/stacks, and the upload
 * limit on stacks: a stack dropped into the folder is sent once (Idempotency-Key = its SHA-256, 202),
 * moved to done/ and split into its record; the same file again answers 200 with the same stack; a
 * stack over MEDREC_MAX_UPLOAD_BYTES is refused with 413 problem+json before anything is decoded or
 * stored, and the watcher moves it to refused/ with the reason. OCR off: filing is what is checked.
 */
const MAX_UPLOAD_BYTES = 3 * 1024 * 1024;

let t: TestApp;
let u: Users;
let folder: string;

beforeAll(async () => {
  t = await startApp(undefined, { MEDREC_STACKS_SPLIT: 'true', MEDREC_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) });
  u = await usersByRole(t.baseUrl);
  folder = mkdtempSync(join(tmpdir(), 'medrec-stacks-watch-'));
}, 60_000);
afterAll(async () => {
  await t?.close();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

async function until(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition(); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
  }
}

/** A stack of one cover sheet (printed by the API) and one fixture page; the sheet's details. */
async function smallStack() {
  const { sheets, pdfs } = await issueSheets(u, [
    { mrn: 'MRN-00770011', patientName: 'Watch Example', dateOfBirth: '1970-02-03', documentType: 'progress-note', title: 'Watched stack note' },
  ]);
  const stack = await scannerStack([
    { kind: 'cover-sheet', sheet: sheets[0], pdf: pdfs[0] },
    { kind: 'scan', file: 'mrn-00519377-progress-note.tif', page: 1 },
  ]);
  return { sheet: sheets[0], pdf: await stack.pdf() };
}

describe('medrec watch against the real POST /api/stacks', () => {
  it('sends a dropped stack once, moves it to done/, and the server splits it; an oversize stack goes to refused/ (413)', async () => {
    const { sheet, pdf } = await smallStack();
    expect(pdf.length).toBeLessThan(MAX_UPLOAD_BYTES);
    // A valid stack padded past the limit: refused on its size alone.
    const oversize = Buffer.concat([pdf, Buffer.alloc(MAX_UPLOAD_BYTES + 1 - pdf.length, 0x20)]);
    writeFileSync(join(folder, 'scan0001.pdf'), pdf);
    writeFileSync(join(folder, 'scan0002.pdf'), oversize);

    const stop = new AbortController();
    const io = testIo({ MEDREC_PASSWORD: PASSWORD });
    const done = watch(io, folder, { server: t.baseUrl, username: 'clerk1', settleMs: 200 }, stop.signal, { retryBaseMs: 100, clientRetryBaseMs: 5 });
    try {
      await until('both files are handled', () => existsSync(join(folder, 'done', 'scan0001.pdf')) && existsSync(join(folder, 'refused', 'scan0002.pdf')));
    } finally {
      stop.abort();
      await done;
    }

    const stackId = stackIdOf(sha256(pdf));
    expect(io.out()).toContain(`sent: scan0001.pdf → stack ${stackId} (done/scan0001.pdf)`);
    expect(readdirSync(folder).sort()).toEqual(['.medrec-watch', 'done', 'refused']);
    const reason = readFileSync(join(folder, 'refused', 'scan0002.pdf.reason.txt'), 'utf8');
    expect(reason).toContain('file: scan0002.pdf\n');
    expect(reason).toContain('by: the server, HTTP 413\n');
    // The oversize stack was never received.
    expect((await u.clerk.get(`/api/stacks/${stackIdOf(sha256(oversize))}`)).status).toBe(404);

    const body = await splitStack(u, stackId);
    expect(body).toMatchObject({ status: 'split', pages: 2, sheets: [1], reviewItems: [], paperMayBeDestroyed: true });
    expect(body.documents.map((d) => [d.coverSheetId, d.pages, d.filed])).toEqual([[sheet.id, [2], true]]);
    const record = await readRecord(u, body.documents[0].recordId);
    expect(record.body).toMatchObject({ mrn: sheet.mrn, title: sheet.title });
    expect((await u.him.get(`/api/cover-sheets/${sheet.id}`, purpose('operations'))).body).toMatchObject({ status: 'used', stackId });

    // The same file again (a watcher restarted without its journal): 200, the same stack, nothing new.
    const again = await sendStack(u.clerk, pdf, 'scan0001.pdf');
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ stackId });
    expect((await u.clerk.get(`/api/stacks/${stackId}`)).body.documents).toEqual(body.documents);
  }, 60_000);

  it(`refuses a stack over the upload limit (${MAX_UPLOAD_BYTES} bytes) with 413 problem+json, receiving nothing`, async () => {
    const big = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(MAX_UPLOAD_BYTES, 0x20)]);
    const res = await sendStack(u.clerk, big, 'big.pdf');
    expectProblem(res, 413);
    expect((await u.clerk.get(`/api/stacks/${stackIdOf(sha256(big))}`)).status).toBe(404);
  });
});
