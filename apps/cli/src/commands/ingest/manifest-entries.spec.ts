import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkManifest, titleFromDocumentType } from './manifest-entries';
import { readManifest } from './read-manifest';
import { DomainError, validateNewRecord } from '@medrec/domain';

const TODAY = '2025-06-01';
const row = {
  file: 'a.png',
  mrn: 'MRN-0001',
  patientName: 'Ada Example',
  dateOfBirth: '1970-01-31',
  documentType: 'lab-report',
  title: 'CBC',
};

describe('manifest', () => {
  let folder: string;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'medrec-manifest-'));
    writeFileSync(join(folder, 'a.png'), 'a');
    writeFileSync(join(folder, 'b.png'), 'bb');
    mkdirSync(join(folder, 'sub'));
  });

  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('accepts the standard columns and the fixture aliases, deriving a missing title from the type', async () => {
    const rows = [
      row,
      { file: 'b.png', mrn: 'MRN-0002', patient: 'Bo Example', dob: '1980-02-29', type: 'discharge-summary', pages: 2, font: 'x', encounterDate: '2024-01-02' },
    ];

    const { entries, invalid } = await checkManifest(folder, rows, TODAY);

    expect(invalid).toEqual([]);
    expect(entries).toEqual([
      {
        row: 1,
        file: 'a.png',
        path: join(folder, 'a.png'),
        size: 1,
        fields: { mrn: 'MRN-0001', patientName: 'Ada Example', dateOfBirth: '1970-01-31', documentType: 'lab-report', title: 'CBC' },
      },
      {
        row: 2,
        file: 'b.png',
        path: join(folder, 'b.png'),
        size: 2,
        fields: {
          mrn: 'MRN-0002',
          patientName: 'Bo Example',
          dateOfBirth: '1980-02-29',
          documentType: 'discharge-summary',
          title: 'Discharge summary',
          encounterDate: '2024-01-02',
        },
      },
    ]);
  });

  it('lists every problem of every row, naming fields and never echoing their values', async () => {
    const rows = [
      { ...row, file: 'missing.png' },
      { ...row, file: '../a.png', mrn: 'x', dateOfBirth: '1970-02-30' },
      { file: 'sub', mrn: 482913, patientName: 'R2-D2', dateOfBirth: '2030-01-01', documentType: 'memo', title: 'T', encounterDate: 'yesterday' },
      { ...row },
      { mrn: 'MRN-0001' },
      'not an object',
    ];

    const { entries, invalid } = await checkManifest(folder, rows, TODAY);

    expect(entries.map((e) => e.row)).toEqual([4]);
    expect(invalid).toEqual([
      { row: 1, file: 'missing.png', problems: ['file does not exist'] },
      {
        row: 2,
        file: '../a.png',
        problems: ['mrn must be 4-20 letters, digits or hyphens', 'dateOfBirth must be a date YYYY-MM-DD', 'file must be inside the folder'],
      },
      {
        row: 3,
        file: 'sub',
        problems: [
          'mrn must be text (quote it, or leading zeros are lost)',
          'mrn is missing',
          "patientName must be a person name (letters, spaces, . , ' -), at most 200 characters",
          'dateOfBirth must not be in the future',
          expect.stringMatching(/^documentType is not a known document type \(one of progress-note, discharge-summary, /),
          'encounterDate must be a date YYYY-MM-DD',
          'file is not a regular file',
        ],
      },
      { row: 5, problems: ['file is missing', 'patientName is missing', 'dateOfBirth is missing', 'documentType is missing'] },
      { row: 6, problems: ['is not an object'] },
    ]);
    expect(JSON.stringify(invalid)).not.toMatch(/Ada|R2-D2|1970|2030|482913|yesterday/);
  });

  it('checks values by the domain rules for a new record (validateNewRecord), the ones the server applies', async () => {
    const rows = [
      { ...row, title: 'x'.repeat(301) },
      { ...row, file: 'b.png', dateOfBirth: '1879-12-31', title: 'bell\u0007' },
    ];
    const { invalid } = await checkManifest(folder, rows, TODAY);
    const domainMessages = (fields: object): string[] => {
      try {
        validateNewRecord({ ...row, ...fields, at: `${TODAY}T00:00:00.000Z` });
        return [];
      } catch (error) {
        return (error as DomainError).errors.map((e) => `${e.field} ${e.message}`);
      }
    };
    expect(invalid).toEqual([
      { row: 1, file: 'a.png', problems: domainMessages(rows[0]) },
      { row: 2, file: 'b.png', problems: domainMessages(rows[1]) },
    ]);
    expect(invalid[1].problems).toHaveLength(2);
  });

  it('refuses a file listed twice', async () => {
    const { entries, invalid } = await checkManifest(folder, [row, { ...row, file: './a.png', title: 'Again' }], TODAY);
    expect(entries.map((e) => e.row)).toEqual([1]);
    expect(invalid).toEqual([{ row: 2, file: './a.png', problems: ['lists the same file as row 1'] }]);
  });

  it('reads CSV with a header row (BOM, spaces, quoted commas) and JSON, by extension or by content', async () => {
    const csv = '\uFEFFfile, mrn ,patientName,dateOfBirth,documentType,title\n"a.png",MRN-0001,"Example, Ada",1970-01-31,lab-report,"CBC, full"\n\n';
    writeFileSync(join(folder, 'm.csv'), csv);
    writeFileSync(join(folder, 'm.txt'), JSON.stringify([row]));
    writeFileSync(join(folder, 'm2.txt'), csv);

    const fromCsv = await readManifest(join(folder, 'm.csv'));
    expect(fromCsv).toEqual([
      { file: 'a.png', mrn: 'MRN-0001', patientName: 'Example, Ada', dateOfBirth: '1970-01-31', documentType: 'lab-report', title: 'CBC, full' },
    ]);
    expect(await readManifest(join(folder, 'm.txt'))).toEqual([row]);
    expect(await readManifest(join(folder, 'm2.txt'))).toEqual(fromCsv);
  });

  it('reports unreadable manifests as usage errors without quoting their content', async () => {
    writeFileSync(join(folder, 'bad.json'), '{"file": "a.png", "patientName": "Ada Example"}');
    writeFileSync(join(folder, 'broken.json'), '[{"patientName": "Ada Example",');
    writeFileSync(join(folder, 'bad.csv'), 'file,mrn\na.png,MRN-1,"Ada Example"\n');

    await expect(readManifest(join(folder, 'bad.json'))).rejects.toMatchObject({
      exitCode: 2,
      message: 'A JSON manifest must be an array of objects, one per file',
    });
    await expect(readManifest(join(folder, 'broken.json'))).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/^The manifest is not valid JSON/),
    });
    await expect(readManifest(join(folder, 'bad.csv'))).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/^The manifest is not valid CSV at line 2 \(CSV_/),
    });
    await expect(readManifest(join(folder, 'none.csv'))).rejects.toMatchObject({ exitCode: 2, message: 'Cannot read the manifest: it does not exist' });
    for (const file of ['broken.json', 'bad.csv']) {
      await readManifest(join(folder, file)).catch((error: Error) => expect(error.message).not.toContain('Ada'));
    }
  });

  it('makes titles from document types', () => {
    expect(titleFromDocumentType('immunization-record')).toBe('Immunization record');
    expect(titleFromDocumentType('other')).toBe('Other');
  });
});
