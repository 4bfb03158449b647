import type { Certificate } from '@medrec/domain';

/**
 * The certificate of destruction as a PDF (pdfkit, a standard font, uncompressed so that its text
 * can be read back): every field of the JSON certificate, one line per record, and its SHA-256.
 */
export async function certificatePdf(certificate: Certificate, sha256: string): Promise<Buffer> {
  // Loaded when first needed: pdfkit and fontkit take ~7.5 MB of heap for the life of the process.
  const { default: PDFDocument } = await import('pdfkit');
  const doc = new PDFDocument({ size: 'A4', margin: 50, compress: false, info: { Title: `Certificate of destruction ${certificate.id}` } });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.font('Helvetica-Bold').fontSize(16).text('Certificate of destruction');
  doc.moveDown(0.5).font('Helvetica').fontSize(10);
  const line = (label: string, value: string) => doc.text(`${label}: ${value}`);
  line('Facility', certificate.facility);
  line('Certificate', certificate.id);
  line('Disposal batch', certificate.batchId);
  line('Date of destruction', certificate.destroyedOn);
  line('Issued at', certificate.issuedAt);
  line('Retention authority', certificate.authority);
  line('Method', certificate.method);
  line('Performed by', certificate.performedBy.join(', ') || '-');
  line('Approved by', certificate.approvedBy);
  line('Records destroyed', String(certificate.count));
  doc.moveDown(0.5).font('Helvetica-Bold').text('Records');
  doc.font('Helvetica').fontSize(9);
  for (const r of certificate.records) doc.text(`${r.recordId}  MRN ${r.mrn}  ${r.documentType}  ${r.from} to ${r.to}  ${r.versions} version(s)`);
  doc.moveDown(0.5).fontSize(10).text(certificate.statement);
  doc.moveDown(0.5).fontSize(8).text(`SHA-256 of the certificate's canonical JSON: ${sha256}`);
  doc.end();
  return done;
}
