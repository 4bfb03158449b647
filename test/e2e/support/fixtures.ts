import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The source tree's fixtures, also when this runs compiled from dist/ (the benches). */
export const FIXTURES = resolve(__dirname.replace(/[/\\]dist([/\\])/, '$1'), '../../fixtures');
export const SCANS = join(FIXTURES, 'scans');
export const BAD_INPUTS = join(FIXTURES, 'bad-inputs');

export interface ScanFixture {
  file: string;
  text: string;
  mrn: string;
  patient: string;
  dob: string;
  type: string;
  pages: number;
  degradation: number;
}

export const scanManifest = (): ScanFixture[] => JSON.parse(readFileSync(join(SCANS, 'manifest.json'), 'utf8'));

export const badInputExpectations = (): Record<string, { expect: 'accept' | 'reject'; why: string }> =>
  JSON.parse(readFileSync(join(BAD_INPUTS, 'expectations.json'), 'utf8'));

/** The multipart form for uploading a fixture scan as its patient's record. */
export function scanForm(scan: ScanFixture, extra: Record<string, string> = {}): FormData {
  const form = new FormData();
  form.append('mrn', scan.mrn);
  form.append('patientName', scan.patient);
  form.append('dateOfBirth', scan.dob);
  form.append('documentType', scan.type);
  form.append('title', `${scan.type.replace(/-/g, ' ')} (${scan.file})`);
  for (const [k, v] of Object.entries(extra)) form.append(k, v);
  form.append('file', new Blob([readFileSync(join(SCANS, scan.file))]), scan.file);
  return form;
}

export function fileForm(path: string, name: string, fields: Record<string, string> = {}): FormData {
  const form = new FormData();
  const all = { mrn: 'MRN-55501', patientName: 'Test Patient', dateOfBirth: '1970-01-01', documentType: 'correspondence', title: 'Upload test', ...fields };
  for (const [k, v] of Object.entries(all)) form.append(k, v);
  form.append('file', new Blob([readFileSync(path)]), name);
  return form;
}
