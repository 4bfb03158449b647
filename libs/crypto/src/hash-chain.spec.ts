import { ChainWalker, GENESIS, canonicalJson, chainMetadata, eventHash, verifyChain, type ChainedEvent } from './hash-chain';

describe('canonicalJson', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
  });

  it('is independent of insertion order', () => {
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });

  it('writes strings and numbers as JSON does', () => {
    expect(canonicalJson(['é\u2028"\\', 1e21, 0.1, -0, 10])).toBe(JSON.stringify(['é\u2028"\\', 1e21, 0.1, 0, 10]));
  });

  it('omits undefined properties and honours toJSON, as the stored JSON will', () => {
    const date = new Date('2024-05-01T10:00:00.000Z');
    const value = { at: date, gone: undefined, kept: 1 };
    expect(canonicalJson(value)).toBe('{"at":"2024-05-01T10:00:00.000Z","kept":1}');
    expect(canonicalJson(JSON.parse(JSON.stringify(value)))).toBe(canonicalJson(value));
  });

  it.each([
    ['undefined in an array', [1, undefined]],
    ['NaN', { n: NaN }],
    ['Infinity', [Infinity]],
    ['a bigint', { n: BigInt(1) }],
    ['a function', { f: () => 1 }],
    ['a Map', { m: new Map() }],
    ['top-level undefined', undefined],
  ])('rejects %s', (_case, value) => {
    expect(() => canonicalJson(value)).toThrow(TypeError);
  });

  it('rejects cycles but accepts shared references', () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/cycle/);
  });
});

describe('hash chain', () => {
  const stream = 'record-1';

  function build(count: number, streamName = stream, startPosition = 1): ChainedEvent[] {
    const events: ChainedEvent[] = [];
    let prev = GENESIS;
    for (let revision = 0; revision < count; revision++) {
      const event = {
        type: revision === 0 ? 'RecordCreated' : 'RecordAmended',
        data: { recordId: 'r1', version: revision + 1, phi: `v1.cipher${revision}` },
        metadata: { actor: 'u1', role: 'clerk', correlationId: 'c', causationId: 'c', occurredAt: '2024-01-01T00:00:00Z', schemaVersion: 1 },
      };
      const metadata = chainMetadata(prev, event);
      prev = metadata.hash;
      events.push({ ...event, metadata, stream: streamName, revision, position: startPosition + revision });
    }
    return events;
  }

  it('chains from genesis and verifies', () => {
    const events = build(5);
    expect(events[0].metadata.prevHash).toBe(GENESIS);
    expect(events[1].metadata.prevHash).toBe(events[0].metadata.hash);
    expect(events[0].metadata.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(verifyChain(events)).toEqual({ valid: true });
    expect(verifyChain([])).toEqual({ valid: true });
  });

  it('hashes metadata without its own hash, so the hash is reproducible', () => {
    const [event] = build(1);
    expect(eventHash(event)).toBe(event.metadata.hash);
    expect(eventHash({ ...event, metadata: { ...event.metadata, hash: 'anything' } })).toBe(event.metadata.hash);
  });

  it('survives a JSON round trip, as events do through the store', () => {
    expect(verifyChain(JSON.parse(JSON.stringify(build(4))))).toEqual({ valid: true });
  });

  it('detects changed data', () => {
    const events = build(5);
    events[2] = { ...events[2], data: { ...(events[2].data as object), version: 99 } };
    expect(verifyChain(events)).toEqual({
      valid: false,
      brokenAt: { stream, revision: 2, position: 3, reason: 'hash-mismatch' },
    });
  });

  it('detects changed metadata and type', () => {
    const events = build(3);
    expect(verifyChain([events[0], { ...events[1], metadata: { ...events[1].metadata, actor: 'mallory' } }, events[2]]).brokenAt?.revision).toBe(1);
    expect(verifyChain([events[0], { ...events[1], type: 'RecordDestroyed' }, events[2]]).brokenAt?.reason).toBe('hash-mismatch');
  });

  it('detects a removed event even when the rest is renumbered', () => {
    const events = build(5);
    const removed = [events[0], events[1], events[3], events[4]];
    expect(verifyChain(removed).brokenAt).toMatchObject({ revision: 3, reason: 'prev-hash-mismatch' });
    const renumbered = removed.map((event, index) => ({ ...event, revision: index }));
    expect(verifyChain(renumbered).brokenAt).toMatchObject({ revision: 2, reason: 'prev-hash-mismatch' });
  });

  it('detects a removed first event', () => {
    expect(verifyChain(build(3).slice(1)).brokenAt).toMatchObject({ revision: 1, reason: 'prev-hash-mismatch' });
  });

  it('detects reordered events', () => {
    const events = build(4);
    const swapped = [events[0], events[2], events[1], events[3]];
    expect(verifyChain(swapped).brokenAt).toMatchObject({ revision: 2, reason: 'prev-hash-mismatch' });
    const swappedRevisions = swapped.map((event, index) => ({ ...event, revision: index }));
    expect(verifyChain(swappedRevisions).valid).toBe(false);
  });

  it('detects a changed last event, even with its hash recomputed over the old prevHash', () => {
    const events = build(4);
    const last = events[3];
    const changedData = { ...(last.data as object), phi: 'v1.forged' };
    expect(verifyChain([...events.slice(0, 3), { ...last, data: changedData }]).brokenAt).toMatchObject({
      revision: 3,
      reason: 'hash-mismatch',
    });
    // Recomputing the last hash but pointing at a fabricated predecessor still breaks.
    const forged = chainMetadata('0'.repeat(64), { ...last, data: changedData });
    expect(verifyChain([...events.slice(0, 3), { ...last, data: changedData, metadata: forged }]).brokenAt).toMatchObject({
      revision: 3,
      reason: 'prev-hash-mismatch',
    });
  });

  it('reports events without hashes', () => {
    const events = build(2);
    const { hash: _h, ...bare } = events[1].metadata;
    expect(verifyChain([events[0], { ...events[1], metadata: bare }]).brokenAt?.reason).toBe('missing-hash');
  });

  it('verifies interleaved streams independently, as readAll returns them', () => {
    const a = build(3, 'record-a', 1);
    const b = build(3, 'record-b', 10);
    const interleaved = [a[0], b[0], a[1], b[1], b[2], a[2]];
    expect(verifyChain(interleaved)).toEqual({ valid: true });
    const broken = [a[0], b[0], a[1], b[2], a[2]];
    expect(verifyChain(broken).brokenAt).toMatchObject({ stream: 'record-b', revision: 2 });
  });

  it('reports duplicated revisions', () => {
    const events = build(2);
    expect(verifyChain([events[0], events[0]]).brokenAt?.reason).toBe('revision-out-of-order');
  });

  it('walks many streams and reports the first break of each broken stream only', () => {
    const a = build(4, 'record-a', 1);
    const b = build(3, 'record-b', 10);
    const c = build(2, 'record-c', 20);
    const tamperedA2 = { ...a[2], data: { ...(a[2].data as object), version: 99 } };
    const walker = new ChainWalker();
    const found = [a[0], b[0], c[0], a[1], tamperedA2, b[2], a[3], c[1]].map((event) => walker.visit(event)).filter(Boolean);
    expect(found).toEqual(walker.broken);
    expect(walker.broken).toEqual([
      { stream: 'record-a', revision: 2, position: 3, reason: 'hash-mismatch' },
      { stream: 'record-b', revision: 2, position: 12, reason: 'prev-hash-mismatch' },
    ]);
    expect(walker.streams).toBe(3);
  });
});
