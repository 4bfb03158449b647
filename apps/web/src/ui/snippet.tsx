/** The server's snippet is HTML-escaped text with hits in <mark>…</mark>: shown as text, never as HTML. */
export function Snippet({ html }: { html: string }) {
  const parts = html.split(/<mark>(.*?)<\/mark>/);
  return (
    <span className="snippet">
      {parts.map((part, i) => (i % 2 === 1 ? <mark key={i}>{decodeEntities(part)}</mark> : <span key={i}>{decodeEntities(part)}</span>))}
    </span>
  );
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeEntities(text: string): string {
  return text.replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (whole, code: string) => {
    if (code.startsWith('#x') || code.startsWith('#X')) return String.fromCodePoint(parseInt(code.slice(2), 16));
    if (code.startsWith('#')) return String.fromCodePoint(parseInt(code.slice(1), 10));
    return NAMED[code.toLowerCase()] ?? whole;
  });
}

/** The words a snippet marks (a marked phrase gives each of its words), for highlighting them on the page image. */
export function markedWords(html: string): string[] {
  return [...html.matchAll(/<mark>(.*?)<\/mark>/g)].flatMap((m) => decodeEntities(m[1]).split(/\s+/)).filter((w) => w !== '');
}
