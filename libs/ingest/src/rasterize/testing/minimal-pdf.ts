import { deflateSync } from 'node:zlib';

/** A page for minimalPdf: its size in points, and what it shows. */
export interface MinimalPdfPage {
  widthPt: number;
  heightPt: number;
  /** An 8-bit gray image, drawn at `at` (points: x, y, width, height), the whole page by default. */
  image?: { width: number; height: number; gray: Buffer; at?: [number, number, number, number] };
  /** One line of Helvetica text per entry. */
  lines?: string[];
  /** A stroked rectangle (vector content without text). */
  rectangle?: boolean;
}

/** Writes a small, valid PDF (for specs: shapes the fixtures do not cover). */
export function minimalPdf(pages: MinimalPdfPage[]): Buffer {
  const objects: Buffer[] = [];
  const add = (body: Buffer | string): number => objects.push(typeof body === 'string' ? Buffer.from(body, 'latin1') : body);
  const stream = (dictionary: string, data: Buffer) =>
    Buffer.concat([Buffer.from(`<< ${dictionary} /Length ${data.length} >>\nstream\n`, 'latin1'), data, Buffer.from('\nendstream', 'latin1')]);

  const catalog = add(''); // filled in below, once the pages' numbers are known
  const pageTree = add('');
  const font = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  const kids: number[] = [];
  for (const page of pages) {
    let content = '';
    let resources = `/Font << /F1 ${font} 0 R >>`;
    if (page.image) {
      const { width, height, gray, at = [0, 0, page.widthPt, page.heightPt] } = page.image;
      const image = add(
        stream(
          `/Type /XObject /Subtype /Image /Width ${width} /Height ${height} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode`,
          deflateSync(gray),
        ),
      );
      resources += ` /XObject << /Im0 ${image} 0 R >>`;
      content += `q ${at[2]} 0 0 ${at[3]} ${at[0]} ${at[1]} cm /Im0 Do Q\n`;
    }
    if (page.rectangle) content += `2 w 72 72 ${page.widthPt - 144} ${page.heightPt - 144} re S\n`;
    if (page.lines?.length) {
      const escaped = page.lines.map((line) => `(${line.replace(/[\\()]/g, (c) => `\\${c}`)}) Tj T*`).join(' ');
      content += `BT /F1 12 Tf 14 TL 72 ${page.heightPt - 72} Td ${escaped} ET\n`;
    }
    const contents = add(stream('', Buffer.from(content, 'latin1')));
    kids.push(
      add(`<< /Type /Page /Parent ${pageTree} 0 R /MediaBox [0 0 ${page.widthPt} ${page.heightPt}] /Resources << ${resources} >> /Contents ${contents} 0 R >>`),
    );
  }
  objects[catalog - 1] = Buffer.from(`<< /Type /Catalog /Pages ${pageTree} 0 R >>`, 'latin1');
  objects[pageTree - 1] = Buffer.from(`<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`, 'latin1');

  const chunks: Buffer[] = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let offset = chunks[0].length;
  const offsets: number[] = [];
  objects.forEach((body, index) => {
    offsets.push(offset);
    const chunk = Buffer.concat([Buffer.from(`${index + 1} 0 obj\n`, 'latin1'), body, Buffer.from('\nendobj\n', 'latin1')]);
    chunks.push(chunk);
    offset += chunk.length;
  });
  const xref = [`xref\n0 ${objects.length + 1}\n`, '0000000000 65535 f \n', ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`)].join('');
  chunks.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} /Root ${catalog} 0 R >>\nstartxref\n${offset}\n%%EOF\n`, 'latin1'));
  return Buffer.concat(chunks);
}
