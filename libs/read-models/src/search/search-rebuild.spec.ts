import Database from '@medrec/sqlite';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandContext, EventSourcedRunner, PhiCodec } from '@medrec/application';
import { SqliteKeyStore } from '@medrec/crypto';
import { RECORD_PHI_FIELDS, recordDecider, recordStream, type RecordCommand } from '@medrec/domain';
import { amendedContent, amendRecord, completeOcr, createRecord } from '@medrec/domain/testing';
import { SqliteEventStore } from '@medrec/event-store';
import { ProjectionRunner } from '../projection-runner';
import { parseSearchQuery } from './search-query';
import { listPartitions } from './search-partitions';
import { SearchService } from './search.service';
import { smallPartitionsSearchProjection as searchProjection } from './small-partitions.testing';

/**
 * A rebuild in the replay thread (batches committed in groups, query indexes built at the end),
 * and batches of any size (applyBatch buffers rows and skips queries within a batch), must leave
 * exactly the read model that applying the log one event at a time leaves. The text is spread over
 * partitions of 16 rows, so that partitions start inside batches and groups.
 */
describe('search rebuild in the replay thread', () => {
  let dir: string;
  let store: SqliteEventStore;
  let keys: SqliteKeyStore;
  let codec: PhiCodec;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'medrec-search-rebuild-'));
    store = new SqliteEventStore({ filename: join(dir, 'events.db') });
    keys = new SqliteKeyStore({ file: join(dir, 'keys.db'), masterKey: randomBytes(32) });
    codec = new PhiCodec(keys, RECORD_PHI_FIELDS);
    const runner = new EventSourcedRunner(store, codec);
    const run = (command: RecordCommand) => {
      const context: CommandContext = { actor: command.actor, correlationId: 'corr', at: command.at };
      return runner.run({ stream: recordStream(command.recordId), keyId: command.recordId, decider: recordDecider, command, context });
    };
    const words = ['pneumonia', 'effusion', 'metformin', 'fracture', 'biopsy', 'warfarin', 'stenosis', 'zoster'];
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const recordId = randomUUID();
      ids.push(recordId);
      await keys.create(recordId);
      await run(
        createRecord({
          recordId,
          mrn: `MRN-${1000 + (i % 7)}`,
          patientName: `${['Ana', 'Bo', 'Cy', 'Di', 'Ed'][i % 5]} Ortiz`,
          title: `Note ${i}`,
          encounterDate: `202${i % 4}-0${1 + (i % 9)}-1${i % 10}`,
        }),
      );
      if (i % 6 !== 5) {
        const pageTexts = [`${words[i % 8]} page one of ${i}`, `${words[(i * 3) % 8]} and ${words[(i + 1) % 8]} on page two`];
        // Pages the index takes only cleaned (control characters) or not at all (blank).
        if (i % 10 === 2) pageTexts.push(`tab\there\x01ctrl\x1f${words[i % 8]}\x7f`, '\x02');
        if (i % 10 === 7) pageTexts.push(' \n ');
        await run(completeOcr({ recordId, pages: pageTexts.length, pageTexts }));
      }
      if (i % 9 === 4) await run(amendRecord({ recordId, title: `Amended note ${i}` })); // keeps the text
      if (i % 11 === 3) {
        await run(amendRecord({ recordId, content: amendedContent() }));
        await run(completeOcr({ recordId, version: 2, pages: 1, pageTexts: [`replaced text ${words[i % 8]}`] }));
      }
    }
    const metadata = { actor: 'u', role: 'him', correlationId: 'c', causationId: 'c', occurredAt: '2026-01-01T00:00:00Z', schemaVersion: 1 };
    // OCR results the decider would not write, appended as they are: for a version the record does
    // not have, blank pages and then text, and a second result for a version that has pages.
    const ocrAsIs = (recordId: string, version: number, pageTexts: string[]) =>
      store.append(recordStream(recordId), [{ type: 'OcrCompleted', data: { recordId, version, pages: pageTexts.length, pageTexts }, metadata }], 'any');
    await ocrAsIs(ids[5], 2, ['no such version zoster']);
    await ocrAsIs(ids[11], 1, ['  ', '']);
    await ocrAsIs(ids[11], 1, ['late text biopsy']);
    await ocrAsIs(ids[0], 1, ['second reading metformin']);
    // A record destroyed: its key shredded, its destruction in the log.
    await keys.destroy(ids[7]);
    const destroy = async (recordId: string) => {
      await keys.destroy(recordId);
      await store.append(recordStream(recordId), [{ type: 'RecordDestroyed', data: { recordId }, metadata }], 'any');
    };
    await destroy(ids[7]);
    // The newest record destroyed, and one created after it.
    const last = randomUUID();
    await keys.create(last);
    await run(createRecord({ recordId: last, mrn: 'MRN-2000', patientName: 'Flo Ortiz', title: 'Last note' }));
    await run(completeOcr({ recordId: last, pages: 1, pageTexts: ['last page effusion'] }));
    await destroy(last);
    const after = randomUUID();
    await keys.create(after);
    await run(createRecord({ recordId: after, mrn: 'MRN-2001', patientName: 'Gil Ortiz', title: 'After the destruction' }));
    await run(completeOcr({ recordId: after, pages: 1, pageTexts: ['after the destruction stenosis'] }));
  });

  afterAll(async () => {
    await store.close();
    await keys.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Every row of the read model's search tables, the FTS5 vocabulary with its counts, and its indexes. */
  function dump(filename: string) {
    const db = new Database(filename, { readonly: true });
    try {
      for (const { n, table } of listPartitions(db)) db.exec(`CREATE VIRTUAL TABLE temp.vocabulary${n} USING fts5vocab(main, ${table}, 'row')`);
      const all = (sql: string) => db.prepare(sql).all();
      return {
        records: all('SELECT * FROM search_records ORDER BY doc'),
        versions: all('SELECT * FROM search_versions ORDER BY doc, version'),
        rows: all('SELECT * FROM search_rows ORDER BY id'),
        partitions: listPartitions(db),
        fts: listPartitions(db).map(({ table }) => all(`SELECT rowid, * FROM ${table} ORDER BY rowid`)),
        vocabulary: listPartitions(db).map(({ n }) => all(`SELECT term, doc, cnt FROM temp.vocabulary${n} ORDER BY term`)),
        config: listPartitions(db).map(({ table }) => all(`SELECT * FROM ${table}_config ORDER BY k`)),
        indexes: all("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name LIKE 'search%' ORDER BY name"),
        checkpoint: all("SELECT position FROM projection_checkpoints WHERE name = 'search'"),
      };
    } finally {
      db.close();
    }
  }

  function queries(db: Database.Database) {
    const service = new SearchService(db, Buffer.alloc(32, 1));
    const search = (q: string | undefined, filters: Record<string, string> = {}) => {
      const parsed = q === undefined ? undefined : parseSearchQuery(q);
      if (parsed && !parsed.ok) throw new Error(parsed.reason);
      return service.search({ fts: parsed?.fts, limit: 100, fingerprint: q ?? '', ...filters });
    };
    return [
      search('pneumonia'),
      search('"page two"'),
      search('war*'),
      search('ortiz'),
      search(undefined, { mrn: 'MRN-1003' }),
      search(undefined, { from: '2021-01-01', to: '2022-12-31' }),
      search('replaced'),
      search('ctrl'),
    ];
  }

  it('leaves the same rows, index, vocabulary and query answers as applying batch by batch in this thread', async () => {
    // One event per batch: every event applied alone, as the live loop may (the reference), and
    // without prepare(): apply works out what it would have (the others, prepared by the runner).
    const unprepared = { ...searchProjection, prepare: undefined };
    const single = new ProjectionRunner(store, codec, [unprepared], { filename: join(dir, 'single.db'), rebuildBatchSize: 1 });
    const inline = new ProjectionRunner(store, codec, [searchProjection], { filename: join(dir, 'inline.db'), rebuildBatchSize: 7 });
    // The whole log in one batch: every record's OCR text applied in the batch that created it, amendments and the destruction among them.
    const whole = new ProjectionRunner(store, codec, [searchProjection], { filename: join(dir, 'whole.db'), rebuildBatchSize: 10_000 });
    const threaded = new ProjectionRunner(store, codec, [searchProjection], {
      filename: join(dir, 'threaded.db'),
      rebuildBatchSize: 7,
      // Groups of three batches, so that group commits happen inside the log.
      replayThread: {
        projectionsModule: require.resolve('./small-partitions.testing'),
        projectionsExport: 'smallPartitionsSearchProjection',
        commitEvents: 21,
        commitMs: 60_000,
      },
    });
    const runners = [single, inline, whole, threaded];
    try {
      for (const r of runners) await r.drain();
      const expected = dump(join(dir, 'single.db'));
      expect(expected.versions.length).toBeGreaterThan(40);
      expect(expected.partitions.length).toBeGreaterThan(4);
      expect(expected.indexes.map((i) => (i as { name: string }).name)).toEqual(expect.arrayContaining(['search_rows_date', 'search_rows_mrn']));
      for (const name of ['inline.db', 'whole.db', 'threaded.db']) expect({ name, ...dump(join(dir, name)) }).toEqual({ name, ...expected });
      const answers = queries(single.db);
      expect(answers.every((page) => page.results.length > 0)).toBe(true);
      for (const r of [inline, whole, threaded]) expect(queries(r.db)).toEqual(answers);
    } finally {
      for (const r of runners) r.close();
    }
  });
});
