/**
 * bench:search — the search read model at scale. Prints one JSON line.
 *
 * 1. Writes BENCH_DOCS (default 100 000) records through the event store as the app does: a data
 *    key per record, CreateRecord and CompleteOcr decided by the record decider, PHI sealed with
 *    PhiCodec, hash-chained appends (EventSourcedRunner). ~300 words of OCR-like text per record,
 *    drawn from a medical vocabulary with a Zipf-like distribution, some shared phrases.
 * 2. Baseline in the same run: readAll + PhiCodec.decode of the whole log (what any projection
 *    pays before applying anything).
 * 3. Rebuild: a ProjectionRunner with the search projection over a fresh read-model file, applying
 *    batches in its replay thread as `medrec projections rebuild` does (BENCH_REPLAY_THREAD=0: in
 *    the main thread); CPU seconds of all threads and the cores kept busy are reported with it.
 * 4. BENCH_QUERIES (default 1 000) mixed queries — words, phrases, prefixes, AND/OR/NOT, filters —
 *    through the same parser and SearchService the API uses (in process: no HTTP, no audit).
 *
 *   npm run bench:search                 BENCH_DOCS=10000 npm run bench:search (quick)
 *   BENCH_BATCH=500 (the runner's live batch size), BENCH_REBUILD_BATCH=2500 (its drain/rebuild batch
 *   size, which the rebuild uses; the baseline reads the log in batches of the same size),
 *   BENCH_KEEP=1 (keep the data directory), BENCH_READ_DECODE=0 and BENCH_BARE_FTS5=0 skip those baselines
 *   (each a whole pass over the log: minutes at a million documents)
 *
 * Cache (off by default): BENCH_CACHE_DIR=/some/dir keeps the written event store and key store
 * under <dir>/search-g<GENERATOR_VERSION>-<BENCH_DOCS>/ (events.db, keys.db, meta.json with the
 * bench's master key, the query sample and the PRNG state), and later runs with the same document
 * count reuse them instead of writing again (`cached: true`, `writeSeconds: null` in the output).
 * Only the read-model file is new in each run. Bump GENERATOR_VERSION whenever what phase 1 writes
 * changes; delete the directory to start over. An interrupted write never leaves an entry behind
 * (it is written under a temporary name and renamed once complete). The cached master key only
 * protects the bench's synthetic data.
 *
 *   BENCH_CACHE_DIR=/tmp/medrec-bench-cache npm run bench:search
 */
import Database from '@medrec/sqlite';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandContext, EventSourcedRunner, PhiCodec } from '@medrec/application';
import { SqliteKeyStore } from '@medrec/crypto';
import { Actor, DOCUMENT_TYPES, RECORD_PHI_FIELDS, recordDecider, recordStream } from '@medrec/domain';
import { SqliteEventStore } from '@medrec/event-store';
import { listPartitions, parseSearchQuery, ProjectionRunner, searchProjection, SearchService, threadCpuMs } from '@medrec/read-models';

const DOCS = Number(process.env.BENCH_DOCS ?? 100_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 1000);
const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const REBUILD_BATCH = Number(process.env.BENCH_REBUILD_BATCH ?? 2500);
const WORDS_PER_DOC = 300;
const CONCURRENCY = 64;
/** Bump when phase 1 writes something else (events, text generator, vocabulary): cached stores are keyed by it. */
const GENERATOR_VERSION = 1;
const CACHE_DIR = process.env.BENCH_CACHE_DIR || undefined;
/** BENCH_READ_DECODE=0 skips the read + decode baseline (a whole pass over the log: minutes at 1M documents). */
const READ_DECODE_BASELINE = process.env.BENCH_READ_DECODE !== '0';
/** BENCH_BARE_FTS5=0 skips the bare FTS5 baseline (the floor of indexing), measured last. */
const BARE_FTS5 = process.env.BENCH_BARE_FTS5 !== '0';
/** The rebuild applies batches in the runner's replay thread (as `medrec projections rebuild` does); BENCH_REPLAY_THREAD=0: in the main thread. */
const REPLAY_THREAD = process.env.BENCH_REPLAY_THREAD !== '0';

/** A deterministic PRNG (mulberry32), so runs are comparable; its state can be saved and restored (cache). */
function rng(seed: number): (() => number) & { state(): number; restore(state: number): void } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Object.assign(next, {
    state: () => a,
    restore: (state: number) => {
      a = state >>> 0;
    },
  });
}
const random = rng(42);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];

const CORE = `the of and to in with was patient is no for on at as by be this were normal left right
history pain mg daily blood pressure noted given without acute chronic examination diagnosis
treatment discharge admission hospital clinic follow up plan assessment medication medications
dose orally twice once tablet hours days weeks chest abdomen heart lung lungs respiratory
cardiac renal hepatic fever cough shortness breath nausea vomiting diarrhea headache dizziness
fatigue weakness swelling tenderness rash infection inflammation pneumonia bronchitis asthma
copd hypertension diabetes mellitus type insulin metformin lisinopril amlodipine atorvastatin
aspirin clopidogrel warfarin heparin enoxaparin furosemide hydrochlorothiazide metoprolol
carvedilol digoxin amiodarone ceftriaxone azithromycin amoxicillin clavulanate doxycycline
vancomycin piperacillin tazobactam ciprofloxacin levofloxacin prednisone methylprednisolone
albuterol ipratropium tiotropium fluticasone salmeterol omeprazole pantoprazole ondansetron
acetaminophen ibuprofen morphine oxycodone hydromorphone gabapentin sertraline escitalopram
radiograph ultrasound computed tomography magnetic resonance imaging echocardiogram
electrocardiogram sinus rhythm tachycardia bradycardia atrial fibrillation flutter murmur
consolidation effusion edema infiltrate opacity nodule mass lesion fracture dislocation
laceration contusion abrasion hematoma wound incision drainage suture staples dressing
hemoglobin hematocrit platelets leukocytes neutrophils lymphocytes creatinine urea sodium
potassium chloride bicarbonate glucose lactate troponin bilirubin albumin alkaline phosphatase
culture sensitivity negative positive elevated decreased stable improved worsening resolved
unremarkable significant mild moderate severe bilateral lower upper lobe anterior posterior
lateral medial proximal distal vital signs temperature pulse saturation oxygen room air
nasal cannula intubation extubation ventilation sedation anesthesia general spinal epidural
procedure performed tolerated well complications estimated loss specimen pathology biopsy
appendectomy cholecystectomy laparoscopic colectomy hernia repair arthroplasty knee hip
shoulder spine lumbar cervical thoracic vertebral disc herniation stenosis neuropathy
stroke ischemic hemorrhagic transient attack seizure epilepsy dementia delirium confusion
alert oriented cooperative anxious depressed mood affect sleep appetite weight loss gain
allergies known drug penicillin sulfa latex smoking alcohol tobacco denies reports states
family social occupational physical therapy rehabilitation nursing home care services
immunization vaccine influenza pneumococcal tetanus hepatitis measles mumps rubella varicella
zoster covid booster administered lot site intramuscular deltoid reaction observed minutes`
  .split(/\s+/)
  .filter(Boolean);

/** A long tail of rarer terms (drug-, place- and name-like), as real OCR vocabularies have. */
const SYLLABLES = [
  'ba',
  'ce',
  'di',
  'fo',
  'gu',
  'ka',
  'le',
  'mi',
  'no',
  'pra',
  'qui',
  'ro',
  'sta',
  'tri',
  'vel',
  'xo',
  'zan',
  'mab',
  'nib',
  'tol',
  'pril',
  'sar',
  'zol',
  'cin',
];
const TAIL: string[] = [];
const tailRandom = rng(7);
while (TAIL.length < 20_000) {
  const n = 2 + Math.floor(tailRandom() * 3);
  let w = '';
  for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(tailRandom() * SYLLABLES.length)];
  TAIL.push(w);
}
const VOCABULARY = [...new Set([...CORE, ...TAIL])];

/** Zipf(s = 1.07) over the vocabulary by rank: a cumulative table sampled by binary search. */
const CUMULATIVE = (() => {
  const weights = VOCABULARY.map((_, k) => 1 / Math.pow(k + 1, 1.07));
  const total = weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  return weights.map((w) => (acc += w / total));
})();
function zipfWord(): string {
  const u = random();
  let lo = 0;
  let hi = CUMULATIVE.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (CUMULATIVE[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  return VOCABULARY[lo];
}

const PHRASES = [
  'community acquired pneumonia',
  'no acute distress',
  'chest radiograph showed right lower lobe consolidation',
  'patient tolerated the procedure well',
  'estimated blood loss minimal',
  'vital signs stable',
  'discharged home in stable condition',
  'follow up in two weeks',
  'no known drug allergies',
  'atrial fibrillation with rapid ventricular response',
  'shortness of breath on exertion',
  'acute kidney injury',
  'congestive heart failure exacerbation',
  'type 2 diabetes mellitus',
  'continue current medications',
  'return precautions discussed',
  'lungs clear to auscultation bilaterally',
  'regular rate and rhythm',
  'alert and oriented',
  'wound healing well without signs of infection',
];
const FIRST = [
  'Maria',
  'James',
  'Aisha',
  'Chen',
  'Olga',
  'Pedro',
  'Fatima',
  'John',
  'Yuki',
  'Amara',
  'Lars',
  'Priya',
  'Mohammed',
  'Sofia',
  'Kwame',
  'Ingrid',
  'Raj',
  'Elena',
  'Tomás',
  'Zoë',
];
const LAST = [
  'Gonzalez',
  'Whitfield',
  'Okafor',
  'Nguyen',
  'Petrova',
  'Silva',
  'Haddad',
  'Smith',
  'Tanaka',
  'Mensah',
  'Lindqvist',
  'Patel',
  'Rahman',
  'Rossi',
  'Boateng',
  'Johansson',
  'Kumar',
  'Popescu',
  'Müller',
  'Dubois',
];

function ocrText(): string {
  const words: string[] = [];
  while (words.length < WORDS_PER_DOC) {
    if (random() < 0.03) words.push(...pick(PHRASES).split(' '));
    else words.push(zipfWord());
    if (random() < 0.08) words[words.length - 1] += '.';
  }
  return words.join(' ');
}

interface Doc {
  recordId: string;
  mrn: string;
  patientName: string;
  documentType: string;
  title: string;
  encounterDate: string;
}

const PATIENTS = Math.max(1, Math.floor(DOCS / 10));
function newDoc(i: number): Doc {
  const patient = Math.floor(random() * PATIENTS);
  const documentType = pick(DOCUMENT_TYPES);
  const day = new Date(Date.UTC(2015, 0, 1) + Math.floor(random() * 3650) * 86_400_000).toISOString().slice(0, 10);
  return {
    recordId: randomUUID(),
    mrn: `MRN-${String(10_000_000 + patient)}`,
    patientName: `${FIRST[patient % FIRST.length]} ${LAST[Math.floor(patient / FIRST.length) % LAST.length]}`,
    documentType,
    title: `${documentType.replace(/-/g, ' ')} ${i}`,
    encounterDate: day,
  };
}

const actor: Actor = { userId: randomUUID(), username: 'bench-clerk', role: 'clerk' };

async function writeDocs(store: SqliteEventStore, keys: SqliteKeyStore, eventSourced: EventSourcedRunner, sample: Doc[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= DOCS) return;
      const doc = newDoc(i);
      if (i % Math.max(1, Math.floor(DOCS / 200)) === 0) sample.push(doc);
      const at = new Date().toISOString();
      const context: CommandContext = { actor, correlationId: randomUUID(), at };
      await keys.create(doc.recordId);
      const content = { blobKey: `records/${doc.recordId}/v1`, sha256: randomBytes(32).toString('hex'), size: 120_000, contentType: 'image/tiff', pages: 1 };
      await eventSourced.run({
        stream: recordStream(doc.recordId),
        keyId: doc.recordId,
        decider: recordDecider,
        command: { type: 'CreateRecord', ...doc, actor, at, dateOfBirth: '1960-01-01', content },
        context,
      });
      // As the OCR job records its result: a second command on the record's stream.
      await eventSourced.run({
        stream: recordStream(doc.recordId),
        keyId: doc.recordId,
        decider: recordDecider,
        command: {
          type: 'CompleteOcr',
          recordId: doc.recordId,
          actor,
          at,
          version: 1,
          pages: 1,
          meanConfidence: 91.5,
          textKey: `records/${doc.recordId}/v1.text`,
          pageTexts: [ocrText()],
        },
        context,
      });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function mixedQueries(sample: Doc[]): Array<{ kind: string; q?: string; filters: Record<string, string> }> {
  const midWord = () => VOCABULARY[Math.floor(random() * Math.min(VOCABULARY.length, 3000))];
  const anyWord = () => zipfWord();
  const out: Array<{ kind: string; q?: string; filters: Record<string, string> }> = [];
  for (let i = 0; i < QUERIES; i++) {
    const doc = pick(sample);
    switch (i % 10) {
      case 0:
        out.push({ kind: 'word', q: anyWord(), filters: {} });
        break;
      case 1:
        out.push({ kind: 'word', q: midWord(), filters: {} });
        break;
      case 2:
        out.push({
          kind: 'phrase',
          q: `"${pick(PHRASES)
            .split(' ')
            .slice(0, 2 + Math.floor(random() * 3))
            .join(' ')}"`,
          filters: {},
        });
        break;
      case 3: {
        const w = midWord();
        out.push({ kind: 'prefix', q: `${w.slice(0, Math.max(3, Math.min(5, w.length - 1)))}*`, filters: {} });
        break;
      }
      case 4:
        out.push({ kind: 'and', q: `${anyWord()} ${midWord()}`, filters: {} });
        break;
      case 5:
        out.push({ kind: 'or', q: `${midWord()} OR ${midWord()}`, filters: {} });
        break;
      case 6:
        out.push({ kind: 'not', q: `${anyWord()} NOT ${anyWord()}`, filters: {} });
        break;
      case 7:
        out.push({ kind: 'mrn', q: anyWord(), filters: { mrn: doc.mrn } });
        break;
      case 8: {
        const from = doc.encounterDate;
        out.push({
          kind: 'type+dates',
          q: anyWord(),
          filters: { documentType: doc.documentType, from, to: `${Number(from.slice(0, 4)) + 1}${from.slice(4)}` },
        });
        break;
      }
      default:
        out.push({ kind: 'name', q: doc.patientName, filters: {} });
    }
  }
  return out;
}

/** What a cache entry keeps besides the two databases. */
interface CacheMeta {
  generatorVersion: number;
  docs: number;
  masterKey: string;
  sample: Doc[];
  randomState: number;
}

/**
 * Phase 1, or its cached result: the event store and key store (open), the query sample, and the
 * PRNG positioned as after the write, so the queries are the same either way.
 */
async function writtenStores(
  dir: string,
): Promise<{ store: SqliteEventStore; keys: SqliteKeyStore; sample: Doc[]; writeSeconds: number | null; cached: boolean }> {
  const entry = CACHE_DIR ? join(CACHE_DIR, `search-g${GENERATOR_VERSION}-${DOCS}`) : undefined;
  const open = (at: string, masterKey: Buffer) => ({
    store: new SqliteEventStore({ filename: join(at, 'events.db') }),
    keys: new SqliteKeyStore({ file: join(at, 'keys.db'), masterKey }),
  });
  if (entry && existsSync(join(entry, 'meta.json'))) {
    const meta = JSON.parse(readFileSync(join(entry, 'meta.json'), 'utf8')) as CacheMeta;
    if (meta.generatorVersion !== GENERATOR_VERSION || meta.docs !== DOCS) throw new Error(`${entry} holds another bench's data: delete it`);
    random.restore(meta.randomState);
    return { ...open(entry, Buffer.from(meta.masterKey, 'base64')), sample: meta.sample, writeSeconds: null, cached: true };
  }
  const target = entry ? `${entry}.partial-${process.pid}` : dir;
  if (entry) mkdirSync(target, { recursive: true });
  const masterKey = randomBytes(32);
  let { store, keys } = open(target, masterKey);
  const sample: Doc[] = [];
  try {
    const t = performance.now();
    await writeDocs(store, keys, new EventSourcedRunner(store, new PhiCodec(keys, RECORD_PHI_FIELDS)), sample);
    const writeSeconds = (performance.now() - t) / 1000;
    if (!entry) return { store, keys, sample, writeSeconds, cached: false };
    // Closing the last connection checkpoints the WALs into the files; then the entry is complete.
    await store.close();
    await keys.close();
    const meta: CacheMeta = { generatorVersion: GENERATOR_VERSION, docs: DOCS, masterKey: masterKey.toString('base64'), sample, randomState: random.state() };
    writeFileSync(join(target, 'meta.json'), JSON.stringify(meta));
    renameSync(target, entry);
    ({ store, keys } = open(entry, masterKey));
    return { store, keys, sample, writeSeconds, cached: false };
  } catch (error) {
    await store.close();
    await keys.close();
    if (entry) rmSync(target, { recursive: true, force: true });
    throw error;
  }
}

/**
 * The floor of indexing: the same page texts inserted into a bare FTS5 table (same tokenizer and
 * hashsize, same transaction size), timing the inserts and commits only. The log is read and
 * decoded again batch by batch, untimed, so memory stays bounded; runs after peak RSS is taken.
 */
async function bareFts5Insert(store: SqliteEventStore, codec: PhiCodec, file: string): Promise<{ seconds: number; cpuSeconds: number | null }> {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`CREATE VIRTUAL TABLE bare USING fts5(body, tokenize = 'unicode61 remove_diacritics 2');
      INSERT INTO bare (bare, rank) VALUES ('hashsize', ${64 * 1024 * 1024});`);
    const insert = db.prepare('INSERT INTO bare (body) VALUES (?)');
    let seconds = 0;
    let cpuMs: number | null = 0;
    for (let from = 0; ;) {
      const batch = await store.readAll({ fromPosition: from, maxCount: REBUILD_BATCH });
      if (batch.length === 0) break;
      from = batch[batch.length - 1].position;
      const texts = (await codec.decodeBatch(batch.map((stored) => ({ keyId: stored.stream.slice('record-'.length), stored })))).flatMap(
        ({ event }) => (event.data as { pageTexts?: string[] }).pageTexts ?? [],
      );
      const t = performance.now();
      const cpu = threadCpuMs();
      db.transaction(() => texts.forEach((text) => insert.run(text)))();
      seconds += (performance.now() - t) / 1000;
      const cpuAfter = threadCpuMs();
      cpuMs = cpu === null || cpuAfter === null || cpuMs === null ? null : cpuMs + cpuAfter - cpu;
    }
    return { seconds, cpuSeconds: cpuMs === null ? null : cpuMs / 1000 };
  } finally {
    db.close();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'medrec-bench-search-'));
  const { store, keys, sample, writeSeconds, cached } = await writtenStores(dir);
  const codec = new PhiCodec(keys, RECORD_PHI_FIELDS);
  try {
    let t: number;
    const events = await store.headPosition();

    // Baseline: the raw read + decode rate of the same log, decoded as the runner does (a batch at a
    // time, each record's key fetched once per batch).
    t = performance.now();
    let from = 0;
    let decoded = 0;
    while (READ_DECODE_BASELINE) {
      const batch = await store.readAll({ fromPosition: from, maxCount: REBUILD_BATCH });
      if (batch.length === 0) break;
      decoded += (await codec.decodeBatch(batch.map((stored) => ({ keyId: stored.stream.slice('record-'.length), stored })))).length;
      from = batch[batch.length - 1].position;
    }
    const baselineSeconds = (performance.now() - t) / 1000;

    // Rebuild over a fresh read-model file.
    const readModels = join(dir, 'read-models.db');
    const projections = new ProjectionRunner(store, codec, [searchProjection], {
      filename: readModels,
      batchSize: BATCH,
      rebuildBatchSize: REBUILD_BATCH,
      replayThread: REPLAY_THREAD ? { projectionsModule: require.resolve('@medrec/read-models'), projectionsExport: 'searchProjection' } : undefined,
    });
    t = performance.now();
    const cpuBefore = process.cpuUsage();
    await projections.drain();
    const rebuildSeconds = (performance.now() - t) / 1000;
    // Every thread of the process: the replay thread's applying and this thread's reading and decrypting.
    const rebuildCpu = process.cpuUsage(cpuBefore);
    const rebuildCpuSeconds = (rebuildCpu.user + rebuildCpu.system) / 1e6;
    const stats = projections.replayStats;
    const breakdown = stats
      ? {
          read: +(stats.readMs / 1000).toFixed(1),
          decode: +(stats.decodeMs / 1000).toFixed(1),
          waitForThread: +(stats.waitMs / 1000).toFixed(1),
          thread: +(stats.threadBusyMs / 1000).toFixed(1),
        }
      : null;
    projections.db.pragma('wal_checkpoint(TRUNCATE)');

    const textPartitions = listPartitions(projections.db).length;
    const service = new SearchService(projections.db);
    const queries = mixedQueries(sample);
    const latencies: number[] = [];
    const byKind: Record<string, number[]> = {};
    let hits = 0;
    for (const query of queries) {
      const start = performance.now();
      const parsed = query.q !== undefined ? parseSearchQuery(query.q) : undefined;
      if (parsed && !parsed.ok) throw new Error(`bench query refused: ${parsed.reason}`);
      const page = service.search({ fts: parsed?.fts, ...query.filters, limit: 20, fingerprint: query.q ?? '' });
      const ms = performance.now() - start;
      hits += page.results.length;
      latencies.push(ms);
      (byKind[query.kind] ??= []).push(ms);
    }
    latencies.sort((a, b) => a - b);
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    projections.close();
    const bare = BARE_FTS5 ? await bareFts5Insert(store, codec, join(dir, 'bare-fts5.db')) : null;
    const bareFts5Seconds = bare?.seconds ?? null;
    // CPU time per thread (Linux): on a shared machine wall times stretch with the others' load, CPU
    // times much less. A rebuild's two threads overlap: uncontended, it takes about the longer one's time.
    const cpuTimes =
      stats?.cpuMs != null && stats.threadCpuMs != null
        ? {
            rebuildMainThread: +(stats.cpuMs / 1000).toFixed(1),
            rebuildReplayThread: +(stats.threadCpuMs / 1000).toFixed(1),
            bareFts5Insert: bare?.cpuSeconds == null ? null : +bare.cpuSeconds.toFixed(1),
            ratioToBareFts5IfUncontended: bare?.cpuSeconds == null ? null : +(bare.cpuSeconds / (Math.max(stats.cpuMs, stats.threadCpuMs) / 1000)).toFixed(3),
          }
        : null;
    const round = (n: number, d = 2) => +n.toFixed(d);
    const rebuildEventsPerSec = Math.round(events / rebuildSeconds);
    const baselineEventsPerSec = READ_DECODE_BASELINE ? Math.round(decoded / baselineSeconds) : null;
    process.stdout.write(
      JSON.stringify({
        bench: 'search',
        docs: DOCS,
        wordsPerDoc: WORDS_PER_DOC,
        vocabulary: VOCABULARY.length,
        events,
        batchSize: BATCH,
        rebuildBatchSize: REBUILD_BATCH,
        replayThread: REPLAY_THREAD,
        cached,
        writeSeconds: writeSeconds === null ? null : round(writeSeconds, 1),
        rebuildSeconds: round(rebuildSeconds, 1),
        rebuildEventsPerSec,
        rebuildCpuSeconds: round(rebuildCpuSeconds, 1),
        rebuildCoresBusy: round(rebuildCpuSeconds / rebuildSeconds, 2),
        // Where the rebuild's time went: this thread reading the log, decoding (decrypting PHI),
        // waiting for the replay thread; the replay thread applying and committing (overlapped).
        rebuildBreakdownSeconds: breakdown,
        baselineReadDecodeEventsPerSec: baselineEventsPerSec,
        ratioToBaseline: baselineEventsPerSec === null ? null : round(rebuildEventsPerSec / baselineEventsPerSec, 3),
        readModelMb: round(statSync(readModels).size / 1048576, 1),
        // FTS5 tables of consecutive row ids (search-partitions.ts): a query ranks in the newest first.
        textPartitions,
        queries: latencies.length,
        meanHitsPerQuery: round(hits / latencies.length, 1),
        p50Ms: round(percentile(latencies, 50)),
        p95Ms: round(percentile(latencies, 95)),
        p99Ms: round(percentile(latencies, 99)),
        maxMs: round(latencies[latencies.length - 1]),
        p95MsByKind: Object.fromEntries(
          Object.entries(byKind).map(([k, v]) => [
            k,
            round(
              percentile(
                v.sort((a, b) => a - b),
                95,
              ),
            ),
          ]),
        ),
        peakRssMb,
        // Bounds of a rebuild on this machine: FTS5 indexing alone (one writer, one thread) and all
        // the CPU the rebuild needed spread over every core.
        bareFts5InsertSeconds: bareFts5Seconds === null ? null : round(bareFts5Seconds, 1),
        eventsPerSecIfOnlyFts5: bareFts5Seconds === null ? null : Math.round(events / bareFts5Seconds),
        // The ratio: the rebuild against the bare FTS5 insert of the same texts, in this run.
        ratioToBareFts5: bareFts5Seconds === null ? null : round(rebuildEventsPerSec / (events / bareFts5Seconds), 3),
        cpuSeconds: cpuTimes,
        eventsPerSecIfEveryCoreBusy: Math.round(events / (rebuildCpuSeconds / availableParallelism())),
        cores: availableParallelism(),
        target: { rebuildEventsPerSec: 20_000, p95Ms: 50, peakRssMb: 400 },
      }) + '\n',
    );
  } finally {
    await store.close();
    await keys.close();
    if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
    else process.stderr.write(`kept ${dir}\n`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
