import Database from '@medrec/sqlite';
import { HOSTILE_QUERIES } from './hostile-queries';
import { MAX_QUERY_LENGTH, parseSearchQuery } from './search-query';
import { searchProjection } from './search.projection';

const fts = (q: string) => {
  const parsed = parseSearchQuery(q);
  return parsed.ok ? parsed.fts : parsed.reason;
};

describe('parseSearchQuery', () => {
  it('quotes every term and emits only its own operators', () => {
    expect(fts('pneumonia')).toBe('"pneumonia"');
    expect(fts('community acquired pneumonia')).toBe('"community" AND "acquired" AND "pneumonia"');
    expect(fts('"community acquired" pneumonia')).toBe('"community acquired" AND "pneumonia"');
    expect(fts('cardi*')).toBe('"cardi"*');
    expect(fts('pneumonia OR bronchitis')).toBe('"pneumonia" OR "bronchitis"');
    expect(fts('pneumonia NOT viral')).toBe('"pneumonia" NOT "viral"');
    expect(fts('pneumonia -viral fever')).toBe('("pneumonia" AND "fever") NOT "viral"');
    expect(fts('(pneumonia OR bronchitis) AND fever')).toBe('("pneumonia" OR "bronchitis") AND "fever"');
    expect(fts('MRN-00482913')).toBe('"MRN 00482913"');
  });

  it('is lenient: stray operators dropped, parentheses and quotes closed', () => {
    expect(fts('pneumonia AND')).toBe('"pneumonia"');
    expect(fts('OR pneumonia OR')).toBe('"pneumonia"');
    expect(fts('((pneumonia')).toBe('"pneumonia"');
    expect(fts('pneumonia))')).toBe('"pneumonia"');
    expect(fts('"heart failure')).toBe('"heart failure"');
    expect(fts('a*')).toBe('"a"');
    expect(fts('NEAR(a b)')).toBe('"NEAR" AND ("a" AND "b")');
    expect(fts('title:pneumonia')).toBe('"title pneumonia"');
    expect(fts('and or not')).toBe('"and" AND "or" AND "not"');
  });

  it('refuses what leaves nothing to search, or too much', () => {
    expect(fts('')).toBe('empty');
    expect(fts('  ( ) * AND "" ')).toBe('empty');
    expect(fts('🙂')).toBe('empty');
    expect(fts('NOT pneumonia')).toBe('only-negative');
    expect(fts('x'.repeat(MAX_QUERY_LENGTH + 1))).toBe('too-long');
    expect(fts('a '.repeat(40))).toBe('too-many-terms');
  });

  it('keeps non-Latin text and diacritics', () => {
    expect(fts('Γιώργος')).toBe('"Γιώργος"');
    expect(fts('Müller')).toBe('"Müller"');
  });

  it('never produces an expression FTS5 rejects', () => {
    const db = new Database(':memory:');
    searchProjection.migrate(db);
    db.exec("INSERT INTO search_fts0 VALUES ('Summary', 'Alice', 'MRN-1', 'pneumonia fever', 'p', 'current')");
    const query = db.prepare('SELECT rowid FROM search_fts0 WHERE search_fts0 MATCH ? ORDER BY rank');
    for (const q of HOSTILE_QUERIES) {
      const parsed = parseSearchQuery(q);
      if (parsed.ok) expect(() => query.all(parsed.fts)).not.toThrow();
    }
    db.close();
  });
});
