/**
 * pdfkit (with fontkit under it) holds ~7.5 MB of heap once loaded; few servers ever print a PDF
 * (cover sheets, history reports, certificates of destruction). The server's module graph must
 * leave it unloaded until the first PDF is made.
 */
describe('pdfkit is loaded on demand', () => {
  it('is not loaded by the application module, and is loaded by the first PDF', async () => {
    let loaded = false;
    jest.doMock('pdfkit', () => {
      loaded = true;
      return jest.requireActual('pdfkit');
    });
    await jest.isolateModulesAsync(async () => {
      await import('./app.module');
      expect(loaded).toBe(false);

      const { sheetsPdf } = await import('@medrec/ingest/sheets/sheets-pdf');
      const pdf = await sheetsPdf([{ kind: 'separator' }]);
      expect(loaded).toBe(true);
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    });
  });
});
