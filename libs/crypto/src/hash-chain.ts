import { createHash } from 'node:crypto';

/** prevHash of the first event of every stream. */
export const GENESIS = 'genesis';

/**
 * Deterministic JSON: object keys sorted (UTF-16 code unit order, as RFC 8785), no whitespace,
 * numbers and strings as JSON.stringify writes them. Values go through toJSON like JSON.stringify,
 * so a Date hashes the same before storage and after a JSON round trip. Anything JSON cannot
 * round-trip exactly is rejected: undefined in arrays, non-finite numbers, bigint, functions,
 * symbols, cycles, and non-plain objects such as Map or Set. Undefined object properties are
 * omitted, as JSON.stringify omits them.
 */
export function canonicalJson(value: unknown): string {
  return write(value, new Set(), []);
}

/** Where in the value a rejected part sits, as `$.a[0].b`: built only for the error (a hash per audited read must not pay for it). */
function pathOf(path: ReadonlyArray<string | number>): string {
  return '$' + path.map((step) => (typeof step === 'number' ? `[${step}]` : `.${step}`)).join('');
}

function write(value: unknown, ancestors: Set<object>, path: Array<string | number>): string {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON: () => unknown }).toJSON();
  }
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number at ${pathOf(path)}`);
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new TypeError(`canonicalJson: unsupported ${typeof value} at ${pathOf(path)}`);
  }
  if (value === null) return 'null';
  if (ancestors.has(value)) throw new TypeError(`canonicalJson: cycle at ${pathOf(path)}`);
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      let out = '[';
      for (let index = 0; index < value.length; index++) {
        path.push(index);
        if (value[index] === undefined) throw new TypeError(`canonicalJson: undefined at ${pathOf(path)}`);
        out += (index === 0 ? '' : ',') + write(value[index], ancestors, path);
        path.pop();
      }
      return out + ']';
    }
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      throw new TypeError(`canonicalJson: non-plain object at ${pathOf(path)}`);
    }
    const record = value as Record<string, unknown>;
    let out = '{';
    for (const name of Object.keys(record).sort()) {
      if (record[name] === undefined) continue;
      path.push(name);
      out += (out.length === 1 ? '' : ',') + JSON.stringify(name) + ':' + write(record[name], ancestors, path);
      path.pop();
    }
    return out + '}';
  } finally {
    ancestors.delete(value);
  }
}

export interface HashableEvent {
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
}

/** Hex SHA-256 of the event's type, data and metadata (prevHash included, `hash` excluded). */
export function eventHash(event: HashableEvent): string {
  const { hash: _ignored, ...metadata } = event.metadata ?? {};
  const canonical = canonicalJson({ type: event.type, data: event.data, metadata });
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/** The event's metadata with `prevHash` and `hash` set, ready to append after `prevHash`. */
export function chainMetadata<M extends Record<string, unknown>>(
  prevHash: string,
  event: { type: string; data: unknown; metadata: M },
): M & { prevHash: string; hash: string } {
  const { hash: _ignored, ...rest } = event.metadata;
  const metadata = { ...rest, prevHash } as Omit<M, 'hash'> & { prevHash: string };
  const hash = eventHash({ type: event.type, data: event.data, metadata });
  return { ...metadata, hash } as M & { prevHash: string; hash: string };
}

export interface ChainedEvent extends HashableEvent {
  stream: string;
  revision: number;
  position: number;
}

export type ChainBreakReason = 'missing-hash' | 'hash-mismatch' | 'prev-hash-mismatch' | 'revision-out-of-order' | 'unhashable';

export interface ChainVerification {
  valid: boolean;
  brokenAt?: { stream: string; revision: number; position: number; reason: ChainBreakReason };
}

/** Where a stream's chain first breaks. */
export interface ChainBreak {
  stream: string;
  revision: number;
  position: number;
  reason: ChainBreakReason;
}

/**
 * Walks the chains of many streams event by event (streams may be interleaved, as readAll returns
 * them; each must be given from its first event, in revision order) and remembers the first break
 * of each stream; a broken stream's later events are not checked again. Memory: one head per stream.
 */
export class ChainWalker {
  private readonly heads = new Map<string, { hash: string; revision: number } | 'broken'>();
  private readonly breaks: ChainBreak[] = [];

  /** Checks one event; returns the break it reveals, if any. */
  visit(event: ChainedEvent): ChainBreak | undefined {
    const head = this.heads.get(event.stream);
    if (head === 'broken') return undefined;
    const reason = linkProblem(event, head);
    if (reason) {
      const broken = { stream: event.stream, revision: event.revision, position: event.position, reason };
      this.heads.set(event.stream, 'broken');
      this.breaks.push(broken);
      return broken;
    }
    this.heads.set(event.stream, { hash: event.metadata.hash as string, revision: event.revision });
    return undefined;
  }

  get streams(): number {
    return this.heads.size;
  }

  /** The first break of every broken stream, in the order found. */
  get broken(): readonly ChainBreak[] {
    return this.breaks;
  }
}

function linkProblem(event: ChainedEvent, head: { hash: string; revision: number } | undefined): ChainBreakReason | undefined {
  if (head && event.revision <= head.revision) return 'revision-out-of-order';
  const { hash, prevHash } = event.metadata ?? {};
  if (typeof hash !== 'string' || typeof prevHash !== 'string') return 'missing-hash';
  let expected: string;
  try {
    expected = eventHash(event);
  } catch {
    return 'unhashable';
  }
  if (hash !== expected) return 'hash-mismatch';
  if (prevHash !== (head ? head.hash : GENESIS)) return 'prev-hash-mismatch';
  return undefined;
}

/**
 * Re-walks the chain of each stream present in `events` (read in revision order; streams may be
 * interleaved, as readAll returns them) and reports the first break. Every stream must be given
 * from its first event. A chain proves order and integrity of what it contains; it cannot by
 * itself reveal that events were cut off the end of a stream, nor a stream whose hashes were
 * all recomputed: that needs the head hash recorded somewhere else.
 */
export function verifyChain(events: Iterable<ChainedEvent>): ChainVerification {
  const walker = new ChainWalker();
  for (const event of events) {
    const broken = walker.visit(event);
    if (broken) return { valid: false, brokenAt: broken };
  }
  return { valid: true };
}
