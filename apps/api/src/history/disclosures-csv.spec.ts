import type { Disclosure } from '@medrec/read-models';
import { csvCell, disclosuresCsv } from './disclosures-csv';

describe('csvCell', () => {
  it('quotes cells with quotes, commas or line breaks, doubling the quotes', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a, b')).toBe('"a, b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('line 1\nline 2')).toBe('"line 1\nline 2"');
    expect(csvCell(null)).toBe('');
    expect(csvCell(3)).toBe('3');
  });

  it.each(['=1+2', '+1', '-1', '@SUM(A1)', '\tx', '\rx'])('neutralises the formula %p with a leading quote', (value) => {
    const cell = csvCell(value);
    expect(cell.replace(/^"/, '')[0]).toBe("'");
  });

  it('neutralises and quotes a formula that needs both', () => {
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
  });
});

describe('disclosuresCsv', () => {
  const disclosure: Disclosure = {
    date: '2025-01-02T03:04:05.000Z',
    recipient: { name: 'Dr. Ellen Sattler', address: null },
    description: 'Discharge summary',
    purpose: 'continuing care',
    recordId: '0b6f3c1e-7d2a-4c59-9e1f-3a8d5b2c7e41',
    versions: [1, 3],
    releaseId: 'rel-1',
    documentType: 'discharge-summary',
    authorizationReference: 'AUTH-7',
    releasedBy: 'him1',
  };

  it('writes a header row and one CRLF-terminated row per disclosure', () => {
    expect(disclosuresCsv([disclosure])).toBe(
      'date,recipient_name,recipient_address,description,purpose,record_id,versions,document_type,authorization_reference,released_by,release_id\r\n' +
        '2025-01-02T03:04:05.000Z,Dr. Ellen Sattler,,Discharge summary,continuing care,0b6f3c1e-7d2a-4c59-9e1f-3a8d5b2c7e41,1 3,discharge-summary,AUTH-7,him1,rel-1\r\n',
    );
  });

  it('is just the header for no disclosures', () => {
    expect(disclosuresCsv([]).split('\r\n')).toHaveLength(2);
  });
});
