/**
 * bench:stack — a scanner stack end to end against the same pages uploaded one document at a time,
 * in the same run, each on a fresh embedded server (a separate process, OCR in process, started with
 * `npm start`'s memory settings):
 * - singles: BENCH_DOCUMENTS (20) PDFs of BENCH_PAGES_PER_DOCUMENT (4) scanned pages each, uploaded
 *   with POST /api/records, until every one is OCR'd;
 * - the stack: the same pages behind one cover sheet each (issued by the API beforehand, untimed: a
 *   clerk prints them before scanning), 100 pages in one PDF, POST /api/stacks, until it is split and
 *   every record made of it is OCR'd.
 * Reports pages/min of both and their ratio (target >= 0.9), QR detection ms per page (the splitter's
 * own scanStackPages over the stack, in this process: target <= 30), and whether every page of the
 * stack was accounted for. The pages are the shared fixture scans as test/support/scanner-stack.ts
 * fits them to US Letter at 200 dpi (the same pixels in both runs). One JSON line.
 */
import { cpuSeconds, ThreadCpuSampler } from './support/process-cpu';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanStackPages } from '../libs/ingest/src/stacks/scan-stack-pages';
import { scannerStack, type StackPage } from '../test/support/scanner-stack';
import { scanManifest } from '../test/e2e/support/fixtures';
import { call, signIn } from './support/call';
import { startOcrBenchServer } from './support/npm-start-settings';

const DOCUMENTS = Number(process.env.BENCH_DOCUMENTS ?? 20);
const PAGES_PER_DOCUMENT = Number(process.env.BENCH_PAGES_PER_DOCUMENT ?? 4);
const OCR_WORKERS = Number(process.env.BENCH_OCR_WORKERS ?? 2);
const ADMIN_PASSWORD = 'bench-first-boot-secret';
const round = (x: number, d = 2): number => +x.toFixed(d);

interface Document {
  details: { mrn: string; patientName: string; dateOfBirth: string; documentType: string; title: string };
  pages: StackPage[];
}

/** Documents of fixture pages, round robin over every page of every scan, each with its first page's patient. */
function documents(): Document[] {
  const pages = scanManifest().flatMap((scan) => Array.from({ length: scan.pages }, (_, i) => ({ scan, page: i + 1 })));
  return Array.from({ length: DOCUMENTS }, (_, d) => {
    const mine = Array.from({ length: PAGES_PER_DOCUMENT }, (_, p) => pages[(d * PAGES_PER_DOCUMENT + p) % pages.length]);
    const { scan } = mine[0];
    return {
      details: { mrn: scan.mrn, patientName: scan.patient, dateOfBirth: scan.dob, documentType: scan.type, title: `bench document ${d + 1}` },
      pages: mine.map(({ scan: s, page }) => ({ kind: 'scan', file: s.file, page })),
    };
  });
}

async function withServer<T>(fn: (baseUrl: string, clerk: string, serverPid: number) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), 'medrec-bench-stack-'));
  const server = await startOcrBenchServer(dataDir, ADMIN_PASSWORD, { MEDREC_OCR_WORKERS: String(OCR_WORKERS) });
  try {
    const admin = await signIn(server.baseUrl, 'admin', ADMIN_PASSWORD);
    await call(server.baseUrl, 'POST', '/api/users', admin, { username: 'clerk1', password: 'bench-password-1', roles: ['clerk'] });
    return await fn(server.baseUrl, await signIn(server.baseUrl, 'clerk1', 'bench-password-1'), server.child.pid!);
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function waitForOcr(baseUrl: string, clerk: string, ids: string[]): Promise<void> {
  for (const id of ids) {
    for (;;) {
      const status = await call<{ versions: Array<{ ocr: { status: string } }> }>(baseUrl, 'GET', `/api/records/${id}/status`, clerk);
      if (status.versions[0].ocr.status !== 'pending') break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function pdfForm(pdf: Buffer, fields: Record<string, string> = {}): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob([pdf]), 'scan.pdf');
  return form;
}

async function singles(docs: Document[]): Promise<{ pages: number; seconds: number; serverCpuSeconds: number; serverCpuByThread: Record<string, number> }> {
  const pdfs = await Promise.all(docs.map(async (d) => await (await scannerStack(d.pages)).pdf()));
  return withServer(async (baseUrl, clerk, pid) => {
    const started = Date.now();
    const cpuBefore = cpuSeconds(pid);
    const threads = new ThreadCpuSampler(pid);
    const ids: string[] = [];
    for (const [i, doc] of docs.entries()) {
      ids.push((await call<{ id: string }>(baseUrl, 'POST', '/api/records', clerk, pdfForm(pdfs[i], { ...doc.details, allowDuplicate: 'true' }))).id);
    }
    await waitForOcr(baseUrl, clerk, ids);
    return {
      pages: docs.length * PAGES_PER_DOCUMENT,
      seconds: (Date.now() - started) / 1000,
      serverCpuSeconds: cpuSeconds(pid) - cpuBefore,
      serverCpuByThread: threads.stop(),
    };
  });
}

async function stack(docs: Document[]) {
  return withServer(async (baseUrl, clerk, pid) => {
    const plan: StackPage[] = [];
    for (const doc of docs) {
      const res = await fetch(`${baseUrl}/api/cover-sheets`, {
        method: 'POST',
        headers: { authorization: `Bearer ${clerk}`, 'content-type': 'application/json' },
        body: JSON.stringify(doc.details),
      });
      if (res.status !== 201) throw new Error(`cover sheet: ${res.status}`);
      const pdf = Buffer.from(await res.arrayBuffer());
      plan.push({ kind: 'cover-sheet', sheet: { id: res.headers.get('x-cover-sheet-id')!, ...doc.details }, pdf }, ...doc.pages);
    }
    const file = await (await scannerStack(plan)).pdf();
    const started = Date.now();
    const cpuBefore = cpuSeconds(pid);
    const threads = new ThreadCpuSampler(pid);
    const key = createHash('sha256').update(file).digest('hex');
    const { stackId } = await call<{ stackId: string }>(baseUrl, 'POST', '/api/stacks', clerk, pdfForm(file), { 'idempotency-key': key });
    const acceptedSeconds = (Date.now() - started) / 1000;
    let firstDocumentSeconds: number | undefined;
    let view: {
      status: string;
      documents: Array<{ recordId: string; pages: number[] }>;
      pagesAccountedFor: number;
      pages: number;
      paperMayBeDestroyed: boolean;
    };
    for (;;) {
      view = await call(baseUrl, 'GET', `/api/stacks/${stackId}`, clerk);
      if (firstDocumentSeconds === undefined && view.documents.length > 0) firstDocumentSeconds = (Date.now() - started) / 1000;
      if (view.status === 'split' || view.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const splitSeconds = (Date.now() - started) / 1000;
    await waitForOcr(
      baseUrl,
      clerk,
      view.documents.map((d) => d.recordId),
    );
    const seconds = (Date.now() - started) / 1000;
    const serverCpuSeconds = cpuSeconds(pid) - cpuBefore;
    const serverCpuByThread = threads.stop();
    // QR detection as the splitter does it, on the same file, in this process (the server is done).
    const decodeMs: number[] = [];
    for await (const page of scanStackPages(file, 'application/pdf')) decodeMs.push(page.decodeMs);
    const filedPages = view.documents.reduce((n, d) => n + d.pages.length, 0);
    return {
      status: view.status,
      stackPages: view.pages,
      documents: view.documents.length,
      filedPages,
      pagesAccountedFor: view.pagesAccountedFor,
      everyPageAccountedFor: view.pagesAccountedFor === view.pages && view.paperMayBeDestroyed,
      // When the stack was accepted (202: received whole, inspected, stored) and its first document filed:
      // before that OCR has nothing to do, where the single uploads' OCR starts after the first small upload.
      acceptedSeconds: round(acceptedSeconds, 2),
      firstDocumentSeconds: round(firstDocumentSeconds ?? splitSeconds, 2),
      splitSeconds: round(splitSeconds, 1),
      seconds,
      serverCpuSeconds,
      serverCpuByThread,
      qrMsPerPage: round(decodeMs.reduce((a, b) => a + b, 0) / decodeMs.length, 1),
      qrMsMax: round(Math.max(...decodeMs), 1),
    };
  });
}

async function main(): Promise<void> {
  const docs = documents();
  const single = await singles(docs);
  const stacked = await stack(docs);
  const singlePagesPerMin = (single.pages / single.seconds) * 60;
  const stackPagesPerMin = (stacked.filedPages / stacked.seconds) * 60;
  console.log(
    JSON.stringify({
      bench: 'stack',
      documents: DOCUMENTS,
      pagesPerDocument: PAGES_PER_DOCUMENT,
      ocrWorkers: OCR_WORKERS,
      singles: {
        pages: single.pages,
        seconds: round(single.seconds, 1),
        pagesPerMin: round(singlePagesPerMin, 1),
        serverCpuSeconds: round(single.serverCpuSeconds, 1),
        serverCpuByThread: single.serverCpuByThread,
      },
      stack: { ...stacked, seconds: round(stacked.seconds, 1), pagesPerMin: round(stackPagesPerMin, 1), serverCpuSeconds: round(stacked.serverCpuSeconds, 1) },
      ratio: round(stackPagesPerMin / singlePagesPerMin, 3),
      // The ceiling on 2 cores kept busy by OCR: the singles' server CPU over the stack's (the split's
      // scanning and copying is work the single uploads do not have).
      cpuRatio: round(single.serverCpuSeconds / stacked.serverCpuSeconds, 3),
      targets: { ratio: 0.9, qrMsPerPage: 30 },
    }),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
