import { TINY_PNG } from './harness';

/** A valid PNG with an HTML page after its IEND: a browser sniffing it would render a script. */
export const pngWithHtml = (): Buffer => Buffer.concat([TINY_PNG, Buffer.from('<html><body><script>alert(document.cookie)</script></body></html>')]);

/** A valid one-page PDF whose catalog runs JavaScript when opened (/OpenAction). */
export function pdfWithOpenAction(): Buffer {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Resources << >> >>',
    "<< /Type /Action /S /JavaScript /JS (app.alert\\('opened'\\);) >>",
  ];
  let pdf = '%PDF-1.7\n';
  const offsets = objects.map((body, i) => {
    const offset = pdf.length;
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
    return offset;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) pdf += `${String(offset).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}
