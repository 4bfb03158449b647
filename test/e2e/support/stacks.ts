import { createHash } from 'node:crypto';
import { type PrintedCoverSheet } from '@medrec/ingest/sheets/sheets-pdf';
import { headPosition } from './configured-app';
import { Client, purpose, Response, TestApp, usersByRole } from './harness';

/** Shared by the stacks e2e suites: sending stacks, waiting for their split, and what the issue's stack must give. */

export type Users = Awaited<ReturnType<typeof usersByRole>>;

export interface StackDocument {
  recordId: string;
  coverSheetId: string;
  part: number;
  pages: number[];
  filed: boolean;
}
export interface StackItem {
  id: string;
  kind: string;
  pageRange: { first: number; last: number };
  status: string;
}
export interface StackBody {
  stackId: string;
  status: string;
  pages: number;
  documents: StackDocument[];
  sheets: number[];
  blankPages: number[];
  reviewItems: StackItem[];
  reviewItemsOpen: number;
  pagesAccountedFor: number;
  originalKept: boolean;
  paperMayBeDestroyed: boolean;
}

/** A word of each standard document's text, searched for in its record (OCR'd as any upload). */
export const WORDS = ['ceftriaxone', 'pneumothorax', 'appendectomy', 'hemoglobin', 'metformin'];

export const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

export function stackForm(bytes: Buffer, name: string): FormData {
  const form = new FormData();
  form.append('file', new Blob([bytes]), name);
  return form;
}

export const sendStack = (client: Client, bytes: Buffer, name: string, key = sha256(bytes)): Promise<Response> =>
  client.request('POST', '/api/stacks', { form: stackForm(bytes, name), headers: key ? { 'idempotency-key': key } : {} });

/** Cover sheets issued over HTTP: the PDFs the API printed are what goes into the stack. */
export async function issueSheets(u: Users, details: Array<Omit<PrintedCoverSheet, 'id'>>): Promise<{ sheets: PrintedCoverSheet[]; pdfs: Buffer[] }> {
  const sheets: PrintedCoverSheet[] = [];
  const pdfs: Buffer[] = [];
  for (const detail of details) {
    const res = await u.clerk.post('/api/cover-sheets', detail);
    expect(res.status).toBe(201);
    sheets.push({ id: res.headers.get('x-cover-sheet-id')!, ...detail });
    pdfs.push(res.raw);
  }
  return { sheets, pdfs };
}

export async function splitStack(u: Users, stackId: string, timeoutMs = 60_000): Promise<StackBody> {
  for (const deadline = Date.now() + timeoutMs; ; await new Promise((r) => setTimeout(r, 200))) {
    const res = await u.clerk.get(`/api/stacks/${stackId}`);
    expect(res.status).toBe(200);
    if (res.body.status === 'split' || res.body.status === 'failed') return res.body;
    if (Date.now() > deadline) throw new Error(`stack ${stackId} still ${res.body.status}`);
  }
}

export async function waitForOcr(u: Users, recordId: string, version = 1, timeoutMs = 150_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; ; await new Promise((r) => setTimeout(r, 250))) {
    const res = await u.clerk.get(`/api/records/${recordId}/status`);
    const status = res.body.versions?.find((v: { version: number }) => v.version === version)?.ocr?.status;
    if (status === 'done') return;
    if (status === 'failed' || Date.now() > deadline) throw new Error(`OCR of ${recordId} v${version}: ${status}`);
  }
}

export const readRecord = (u: Users, id: string): Promise<Response> => u.him.get(`/api/records/${id}`, purpose('operations'));

export function expectProblem(res: Response, status: number): void {
  expect(res.status).toBe(status);
  expect(res.contentType).toContain('application/problem+json');
}

/** The expected documents of the standard stack: cover sheet index, part, stack pages. */
export const STANDARD_DOCUMENTS: Array<[number, number, number[]]> = [
  [0, 1, [4, 5]],
  [0, 2, [8]],
  [1, 1, [10]],
  [2, 1, [12]],
  [3, 1, [14]],
];

export async function expectStandardSplit(u: Users, body: StackBody, sheets: PrintedCoverSheet[]): Promise<void> {
  expect(body).toMatchObject({ status: 'split', pages: 14, sheets: [3, 7, 9, 11, 13], blankPages: [6] });
  expect(body.documents.map((d) => [d.coverSheetId, d.part, d.pages, d.filed])).toEqual(
    STANDARD_DOCUMENTS.map(([i, part, pages]) => [sheets[i].id, part, pages, true]),
  );
  expect(body.reviewItems.map((i) => [i.kind, i.pageRange.first, i.pageRange.last, i.status])).toEqual([
    ['no-cover-sheet', 1, 2, 'open'],
    ['blank-page', 6, 6, 'open'],
  ]);
  expect({ paperMayBeDestroyed: body.paperMayBeDestroyed, originalKept: body.originalKept, pagesAccountedFor: body.pagesAccountedFor }).toEqual({
    paperMayBeDestroyed: false,
    originalKept: true,
    pagesAccountedFor: 11,
  });
  for (const [index, document] of body.documents.entries()) {
    const sheet = sheets[STANDARD_DOCUMENTS[index][0]];
    const res = await readRecord(u, document.recordId);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      mrn: sheet.mrn,
      patientName: sheet.patientName,
      dateOfBirth: sheet.dateOfBirth,
      documentType: sheet.documentType,
      title: sheet.title,
    });
    expect(res.body.versions).toHaveLength(1);
    expect(res.body.versions[0].pages).toBe(document.pages.length);
  }
}

export async function expectFoundBySearch(t: TestApp, u: Users, body: StackBody): Promise<void> {
  for (const document of body.documents) await waitForOcr(u, document.recordId);
  const after = await headPosition(t.baseUrl);
  for (const [index, document] of body.documents.entries()) {
    const res = await u.clinician.get(`/api/search?q=${WORDS[index]}&after=${after}&limit=100`, purpose('treatment'));
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: { recordId: string }) => r.recordId)).toContain(document.recordId);
  }
}
