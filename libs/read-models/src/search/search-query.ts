/**
 * The user's search text -> a safe FTS5 MATCH expression.
 *
 * Every term or phrase the user typed is emitted as an FTS5 string ("..." with no quote left
 * inside), so the only FTS5 syntax in the expression is what this parser writes itself: AND, OR,
 * NOT, parentheses and the prefix star. Nothing the user types can reach FTS5 as syntax (no
 * column filters, NEAR, ^, +, ...). The parser is lenient: stray or dangling operators are
 * dropped, unbalanced parentheses and quotes are closed, so a query answers whenever anything
 * meaningful remains.
 *
 * Syntax (as in most search boxes):
 * - words: all must match (implicit AND); `"a phrase"`; `cardi*` (prefix, at least 2 characters);
 * - `OR`, `AND`, `NOT` (upper case only: "heart and lung" searches for three words), `-word`;
 * - parentheses group.
 */

export const MAX_QUERY_LENGTH = 512;
/** Terms (words and phrases) in one query; more is refused. */
export const MAX_QUERY_TERMS = 32;
const MAX_DEPTH = 8;
const MIN_PREFIX_LENGTH = 2;

export type QueryNode =
  { kind: 'term'; text: string; prefix: boolean } | { kind: 'and'; positive: QueryNode[]; negative: QueryNode[] } | { kind: 'or'; children: QueryNode[] };

export type ParsedQuery =
  | {
      ok: true;
      /** The expression. */
      fts: string;
      terms: number;
    }
  | { ok: false; reason: 'empty' | 'too-long' | 'too-many-terms' | 'only-negative' };

type Token =
  | { t: 'word'; text: string; prefix: boolean; negated: boolean }
  | { t: 'phrase'; text: string; prefix: boolean; negated: boolean }
  | { t: 'and' | 'or' | 'not' | 'open' | 'close' };

/** Characters the FTS5 unicode61 tokenizer keeps in tokens (its default categories L*, N*, Co). */
const TOKEN_CHAR = /[\p{L}\p{N}\p{Co}]/u;
/** What we emit inside FTS5 strings: token characters, marks (diacritics) and spaces; the rest only separates tokens. */
const NOT_KEPT = /[^\p{L}\p{N}\p{Co}\p{M}]+/gu;

function clean(text: string): string {
  return text.replace(NOT_KEPT, ' ').trim().replace(/\s+/g, ' ');
}

export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  const s = input.normalize('NFC');
  let i = 0;
  const isSpace = (c: string) => /\s/u.test(c);
  while (i < s.length) {
    const c = s[i];
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === '(') {
      tokens.push({ t: 'open' });
      i++;
      continue;
    }
    if (c === ')') {
      tokens.push({ t: 'close' });
      i++;
      continue;
    }
    let negated = false;
    if (c === '-' && i + 1 < s.length && !isSpace(s[i + 1])) {
      negated = true;
      i++;
    }
    if (s[i] === '"' || s[i] === '\u201c' || s[i] === '\u201d') {
      // A phrase: up to the next quote, or the end (an unbalanced quote closes at the end).
      i++;
      let end = i;
      while (end < s.length && s[end] !== '"' && s[end] !== '\u201c' && s[end] !== '\u201d') end++;
      const text = s.slice(i, end);
      i = Math.min(s.length, end + 1);
      const prefix = s[i] === '*';
      if (prefix) i++;
      tokens.push({ t: 'phrase', text, prefix, negated });
      continue;
    }
    // A word: up to whitespace, a parenthesis or a quote.
    let end = i;
    while (end < s.length && !isSpace(s[end]) && s[end] !== '(' && s[end] !== ')' && s[end] !== '"' && s[end] !== '\u201c' && s[end] !== '\u201d') end++;
    const raw = s.slice(i, end);
    i = end;
    if (raw.length === 0) continue;
    if (!negated && (raw === 'AND' || raw === 'OR' || raw === 'NOT')) {
      tokens.push({ t: raw.toLowerCase() as 'and' | 'or' | 'not' });
      continue;
    }
    if (!negated && (raw === '&&' || raw === '|' || raw === '||')) {
      tokens.push({ t: raw === '&&' ? 'and' : 'or' });
      continue;
    }
    const prefix = raw.endsWith('*');
    tokens.push({ t: 'word', text: raw, prefix, negated });
  }
  return tokens;
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  parseAll(): QueryNode | null {
    const parts: Array<QueryNode | null> = [];
    // Stray ')' at the top level are skipped: parse again after each.
    for (;;) {
      parts.push(this.or(0));
      if (this.i >= this.tokens.length) break;
      this.i++; // a ')' without '('
    }
    return and(
      parts.filter((p): p is QueryNode => p !== null),
      [],
    );
  }

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  private or(depth: number): QueryNode | null {
    const children: QueryNode[] = [];
    const first = this.and(depth);
    if (first) children.push(first);
    while (this.peek()?.t === 'or') {
      this.i++;
      const next = this.and(depth);
      if (next) children.push(next);
    }
    if (children.length === 0) return null;
    return children.length === 1 ? children[0] : { kind: 'or', children };
  }

  private and(depth: number): QueryNode | null {
    const positive: QueryNode[] = [];
    const negative: QueryNode[] = [];
    let negateNext = false;
    for (;;) {
      const token = this.peek();
      if (!token || token.t === 'or' || token.t === 'close') break;
      this.i++;
      if (token.t === 'and') continue;
      if (token.t === 'not') {
        negateNext = true;
        continue;
      }
      let node: QueryNode | null;
      let negated = negateNext;
      negateNext = false;
      if (token.t === 'open') {
        // Too deep: this parenthesis is ignored (its ')' then closes the enclosing group early).
        if (depth >= MAX_DEPTH) continue;
        node = this.or(depth + 1);
        if (this.peek()?.t === 'close') this.i++;
      } else if (token.t === 'word' || token.t === 'phrase') {
        negated = negated || token.negated;
        node = termOf(token.text, token.prefix);
      } else {
        node = null;
      }
      if (!node) continue;
      (negated ? negative : positive).push(node);
    }
    return and(positive, negative);
  }
}

function and(positive: QueryNode[], negative: QueryNode[]): QueryNode | null {
  if (positive.length === 0) return null; // FTS5 has no unary NOT: "NOT x" alone is dropped
  if (positive.length === 1 && negative.length === 0) return positive[0];
  return { kind: 'and', positive, negative };
}

function termOf(raw: string, prefix: boolean): QueryNode | null {
  const text = clean(raw);
  if (!TOKEN_CHAR.test(text)) return null;
  const last = text.split(' ').pop()!;
  // A one-letter prefix would expand to most of the vocabulary: searched as a word instead.
  const usePrefix = prefix && [...last].filter((c) => TOKEN_CHAR.test(c)).length >= MIN_PREFIX_LENGTH;
  return { kind: 'term', text, prefix: usePrefix };
}

function countTerms(node: QueryNode): number {
  switch (node.kind) {
    case 'term':
      return 1;
    case 'or':
      return node.children.reduce((n, c) => n + countTerms(c), 0);
    case 'and':
      return [...node.positive, ...node.negative].reduce((n, c) => n + countTerms(c), 0);
  }
}

export function toFts(node: QueryNode): string {
  switch (node.kind) {
    case 'term':
      return `"${node.text}"${node.prefix ? '*' : ''}`;
    case 'or':
      return node.children.map((c) => (c.kind === 'term' ? toFts(c) : `(${toFts(c)})`)).join(' OR ');
    case 'and': {
      const wrap = (c: QueryNode) => (c.kind === 'term' ? toFts(c) : `(${toFts(c)})`);
      const positive = node.positive.map(wrap).join(' AND ');
      const head = node.positive.length > 1 && node.negative.length > 0 ? `(${positive})` : positive;
      return [head, ...node.negative.map(wrap)].join(' NOT ');
    }
  }
}

/** Parses the user's text; `ok: false` when nothing searchable remains or it is too large. */
export function parseSearchQuery(input: string): ParsedQuery {
  if (input.length > MAX_QUERY_LENGTH) return { ok: false, reason: 'too-long' };
  const tokens = tokenize(input);
  const node = new Parser(tokens).parseAll();
  if (!node) {
    const hasNegative = tokens.some((t) => (t.t === 'word' || t.t === 'phrase') && TOKEN_CHAR.test(clean(t.text)));
    return { ok: false, reason: hasNegative ? 'only-negative' : 'empty' };
  }
  const terms = countTerms(node);
  if (terms > MAX_QUERY_TERMS) return { ok: false, reason: 'too-many-terms' };
  return { ok: true, fts: toFts(node), terms };
}
