import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PhiCodec, PipelinedAppender } from '@medrec/application';
import { SqliteKeyStore } from '@medrec/crypto';
import { actors, times } from '@medrec/domain/testing';
import { PurposeOfUse, QUERY_AUDIT_PHI_FIELDS } from '@medrec/domain';
import { SqliteEventStore } from '@medrec/event-store';
import { parsePageRequest } from '../history/timeline-paging';
import { QueryAuditLog } from './query-audit.log';
import { AuditedQueryEntry, QueryAuditReader } from './query-audit-reader';

/** The reader over the real embedded stores: what QueryAuditLog appends, read back page by page. */
describe('QueryAuditReader', () => {
  let dir: string;
  let events: SqliteEventStore;
  let keys: SqliteKeyStore;
  let log: QueryAuditLog;
  let reader: QueryAuditReader;
  const day = times.accessed.slice(0, 10);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'query-audit-'));
    events = new SqliteEventStore({ filename: ':memory:' });
    keys = new SqliteKeyStore({ file: join(dir, 'keys.db'), masterKey: randomBytes(32) });
    const codec = new PhiCodec(keys, QUERY_AUDIT_PHI_FIELDS);
    log = new QueryAuditLog(codec, new PipelinedAppender(events), keys);
    reader = new QueryAuditReader(events, codec);
  });
  afterEach(async () => {
    await events.close();
    await keys.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Searches numbered 0..n-1; every third declared emergency, with a justification. */
  async function searches(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const purpose: PurposeOfUse = i % 3 === 2 ? 'emergency' : 'treatment';
      const context = {
        actor: actors.clinician,
        purpose,
        correlationId: `c${i}`,
        at: times.accessed,
        ...(purpose === 'emergency' ? { justification: `why ${i}` } : {}),
      };
      await log.record({ kind: 'search', context, filters: { limit: 20 }, resultCount: i, text: `query ${i}` });
    }
  }

  async function allPages(purpose: PurposeOfUse | undefined, limit: number, maxScanned?: number): Promise<{ pages: AuditedQueryEntry[][] }> {
    const pages: AuditedQueryEntry[][] = [];
    let cursor: string | undefined;
    do {
      const page = await reader.page(day, purpose ? { purpose } : {}, parsePageRequest(String(limit), cursor), maxScanned);
      pages.push(page.queries);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return { pages };
  }

  it('reads back what was audited, the PHI decrypted, in order', async () => {
    await searches(3);
    const { queries, nextCursor } = await reader.page(day, {}, parsePageRequest(undefined, undefined));
    expect(nextCursor).toBeNull();
    expect(queries.map((q) => [q.text, q.purpose, q.justification, q.resultCount])).toEqual([
      ['query 0', 'treatment', null, 0],
      ['query 1', 'treatment', null, 1],
      ['query 2', 'emergency', 'why 2', 2],
    ]);
  });

  it('pages through a filter that matches one entry in three, every match once', async () => {
    await searches(20);
    const { pages } = await allPages('emergency', 2);
    expect(pages.flat().map((q) => q.text)).toEqual(['query 2', 'query 5', 'query 8', 'query 11', 'query 14', 'query 17']);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 2]);
  });

  it('stops a page after maxScanned events, with a cursor that goes on from there', async () => {
    await searches(20);
    const { pages } = await allPages('emergency', 10, 4);
    // Each page reads at most 4 events (the matches among them), and the fifth, at the end of the
    // stream but full, cannot know that nothing follows: a last empty page says so.
    expect(pages.map((p) => p.length)).toEqual([1, 1, 2, 1, 1, 0]);
    expect(pages.flat().map((q) => q.text)).toEqual(['query 2', 'query 5', 'query 8', 'query 11', 'query 14', 'query 17']);
  });

  it("reads the PHI as null once the day's key is destroyed", async () => {
    await searches(3);
    await keys.destroy(`query-audit-${day}`);
    const { queries } = await reader.page(day, {}, parsePageRequest(undefined, undefined));
    expect(queries.map((q) => [q.text, q.justification, q.actor])).toEqual([
      [null, null, actors.clinician.username],
      [null, null, actors.clinician.username],
      [null, null, actors.clinician.username],
    ]);
  });
});
