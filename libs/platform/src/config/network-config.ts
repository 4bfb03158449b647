import { isIP } from 'node:net';

/**
 * MEDREC_CORS_ORIGINS: exact origins (scheme://host[:port]) that browsers may call the API from.
 * None by default: the web app is served by the API itself (same origin) and needs no CORS.
 */
export function parseCorsOrigins(raw: string | undefined, problems: string[]): string[] {
  if (raw === undefined || raw.trim() === '') return [];
  const origins: string[] = [];
  for (const [index, item] of raw
    .split(',')
    .map((s) => s.trim())
    .entries()) {
    const problem = originProblem(item);
    if (problem) problems.push(`MEDREC_CORS_ORIGINS entry ${index + 1} ${problem}`);
    else origins.push(item);
  }
  return origins;
}

function originProblem(item: string): string | null {
  if (item === '') return 'is empty';
  if (item.includes('*')) return 'is a wildcard: list each origin exactly (credentials are never sent to any origin)';
  let url: URL;
  try {
    url = new URL(item);
  } catch {
    return 'is not an origin: write scheme://host[:port], e.g. https://records.example.org';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must start with https:// or http://';
  // URL.origin drops a path, a query, credentials and a default port: an exact origin equals it.
  if (url.origin !== item)
    return `is not an exact origin: write it as ${url.origin === 'null' ? 'scheme://host[:port]' : url.origin} (no path, no trailing slash, lower case)`;
  return null;
}

/** Named ranges Express's `trust proxy` understands. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An IP address, or a CIDR range with a prefix length that fits its family. */
function isAddressOrRange(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * MEDREC_TRUST_PROXY: which peers' X-Forwarded-For the API believes (Express `trust proxy`), so
 * that sign-in limits count the client's address behind a reverse proxy, not the proxy's. Off by
 * default (the socket's address counts): trusting it where clients reach the API directly would
 * let them pick their own address. A number of proxy hops, or addresses/CIDR ranges and the names
 * loopback, linklocal, uniquelocal.
 */
export function parseTrustProxy(raw: string | undefined, problems: string[]): false | number | string[] {
  if (raw === undefined || raw.trim() === '' || raw.trim().toLowerCase() === 'false') return false;
  const text = raw.trim();
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops >= 1 && hops <= 10) return hops;
    problems.push('MEDREC_TRUST_PROXY as a number of proxy hops must be between 1 and 10');
    return false;
  }
  const entries = text.split(',').map((s) => s.trim());
  const bad = entries.findIndex((e) => !(NAMED_RANGES.has(e) || isAddressOrRange(e)));
  if (bad >= 0) {
    problems.push(
      `MEDREC_TRUST_PROXY entry ${bad + 1} must be an IP address, a CIDR range, loopback, linklocal or uniquelocal (or the whole setting a number of hops); "true" is not accepted: it would believe any client`,
    );
    return false;
  }
  return entries;
}
