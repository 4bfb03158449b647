import { randomUUID } from 'node:crypto';
import { MAX_TITLE, PERSON_NAME_MAX_LENGTH } from '@medrec/domain';
import { renderPdfPage } from '../../../../test/support/scanner-stack';
import { decodeSheetCodes } from '../qr/decode-sheet-codes';
import { hasSheetMarker } from './sheet-marker';
import { sheetsPdf } from './sheets-pdf';

/** The pages of a pdfkit PDF: its page objects (pdfkit compresses content streams, never dictionaries). */
const pageCount = (pdf: Buffer): number => pdf.toString('latin1').match(/\/Type \/Page\b(?!s)/g)?.length ?? 0;

describe('sheetsPdf', () => {
  it('prints each sheet on exactly one page, even with the longest details allowed', async () => {
    const longest = {
      id: randomUUID(),
      mrn: 'MRN-0000000000000000',
      patientName: `${'Wolfeschlegelsteinhausen '.repeat(8)}`.slice(0, PERSON_NAME_MAX_LENGTH).trim(),
      dateOfBirth: '1961-04-17',
      documentType: 'immunization-record',
      title: 'Discharge summary after a long stay '.repeat(10).slice(0, MAX_TITLE),
      encounterDate: '2024-03-01',
    };
    const pdf = await sheetsPdf([
      { kind: 'cover-sheet', sheet: longest },
      { kind: 'separator' },
      { kind: 'cover-sheet', sheet: { ...longest, id: randomUUID() } },
    ]);
    expect(pageCount(pdf)).toBe(3);
    // The details never reach the lower code: both codes read, and the marker is there, on every sheet.
    for (const [page, code] of [
      [1, { kind: 'cover-sheet', id: longest.id }],
      [2, { kind: 'separator' }],
    ] as const) {
      const image = await renderPdfPage(pdf, page);
      expect(await decodeSheetCodes(image)).toEqual([code, code]);
      expect(hasSheetMarker(image)).toBe(true);
    }
  }, 30_000);

  it('refuses to print nothing', () => {
    expect(() => sheetsPdf([])).toThrow(/No sheet/);
  });
});
