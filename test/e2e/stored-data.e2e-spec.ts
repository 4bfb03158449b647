import { chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { minimalPdf } from '@medrec/ingest/rasterize/testing/minimal-pdf';
import { approveAndDestroy, Client, PASSWORD, purpose, recordForm, startApp, TestApp, usersByRole } from './support/harness';

/**
 * What the server leaves on its disk, under the most common umask (022: 0755 directories, 0644
 * files by default): every directory of the data directory 0700, every file 0600 — databases and
 * their WAL, blobs, secrets, spooled uploads; and nothing of a destroyed record in the read models.
 */

const ops = purpose('operations');
const PATIENT = {
  mrn: 'MRN-77331',
  patientName: 'Ottoline Frobisher',
  documentType: 'correspondence',
  title: 'Quillwort consultation letter',
  encounterDate: '2024-06-01',
};
const RECIPIENT = 'Dr. Philomena Wigglesworth';
const pdfOf = (line: string) => minimalPdf([{ widthPt: 612, heightPt: 792, lines: [line] }]);
const pdf = pdfOf('Referral regarding zygomaticofacial neuralgia and xanthelasma follow-up.');
/** Words of the record's title, patient, MRN, release recipient and recognised text, each in no other record. */
const PHI_WORDS = ['quillwort', 'ottoline', 'frobisher', '77331', 'philomena', 'wigglesworth', 'zygomaticofacial', 'xanthelasma'];
const READ_MODEL_FILES = ['read-models.db', 'read-models.db-wal', 'read-models.db-shm'];

/** Every directory and file under `root` (itself included) whose mode is not the private one. */
function openEntries(root: string): string[] {
  const open: string[] = [];
  const walk = (path: string) => {
    const stat = lstatSync(path);
    const mode = stat.mode & 0o777;
    if (stat.isDirectory()) {
      if (mode !== 0o700) open.push(`${path} ${mode.toString(8)}`);
      for (const name of readdirSync(path)) walk(join(path, name));
    } else if (mode !== 0o600) {
      open.push(`${path} ${mode.toString(8)}`);
    }
  };
  walk(root);
  return open;
}

/** `grep -ai` of each word in the read-model files: where each word is found. */
function foundIn(dataDir: string): Record<string, string[]> {
  const texts = READ_MODEL_FILES.filter((name) => existsSync(join(dataDir, name))).map((name) => ({
    name,
    text: readFileSync(join(dataDir, name)).toString('latin1').toLowerCase(),
  }));
  return Object.fromEntries(PHI_WORDS.map((word) => [word, texts.filter((f) => f.text.includes(word)).map((f) => f.name)]));
}

async function waitForOcr(client: Client, id: string, head: () => Promise<number>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await client.get(`/api/records/${id}`, ops)).body.versions?.[0]?.ocr.status !== 'done') {
    if (Date.now() > deadline) throw new Error(`OCR of ${id} not done`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const caughtUp = await client.get(`/api/search?mrn=${PATIENT.mrn}&after=${await head()}`, ops);
  if (caughtUp.status !== 200) throw new Error(`read models behind: ${caughtUp.status}`);
}

describe('the data directory is private to the server account', () => {
  let umask: number;
  let dataDir: string;
  let t: TestApp;
  let u: Awaited<ReturnType<typeof usersByRole>>;
  let recordId: string;
  const env = { MEDREC_OCR_IN_PROCESS: 'true' };
  const head = async () => (await new Client(t.baseUrl).get('/health/ready')).body.position as number;

  beforeAll(async () => {
    umask = process.umask(0o022);
    // A data directory the server creates itself (mkdtemp's own directory is already 0700).
    dataDir = join(mkdtempSync(join(tmpdir(), 'medrec-e2e-')), 'data');
    t = await startApp(dataDir, env);
    u = await usersByRole(t.baseUrl);
    const created = await u.clerk.request('POST', '/api/records', { form: recordForm(PATIENT, pdf, 'letter.pdf') });
    if (created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);
    recordId = created.body.id;
    await waitForOcr(u.clerk, recordId, head);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    process.umask(umask);
  });

  it('every directory 0700 and every file 0600 after an upload, OCR, a search, a release and a destruction', async () => {
    expect((await u.clinician.get('/api/search?q=zygomaticofacial', purpose('treatment'))).body.results).toHaveLength(1);
    const released = await u.him.post(`/api/records/${recordId}/releases`, {
      recipient: { name: RECIPIENT },
      purpose: 'continuing care',
      authorizationReference: 'AUTH-9',
      description: 'Referral letter',
    });
    expect(released.status).toBe(201);
    const other = await u.clerk.request('POST', '/api/records', { form: recordForm({ mrn: 'MRN-77332' }) });
    expect(other.status).toBe(201);
    const destroyed = await approveAndDestroy(u, other.body.id);
    expect(destroyed.status).toBe(200);
    expect((await u.clerk.get(`/api/search?mrn=MRN-77331&after=${destroyed.body.position}`, ops)).status).toBe(200);

    const names = readdirSync(dataDir);
    expect(names).toEqual(
      expect.arrayContaining(['events.db', 'events.db-wal', 'keys.db', 'read-models.db', 'read-models.db-wal', 'blobs', 'master.key', 'token.secret']),
    );
    expect(openEntries(dataDir)).toEqual([]);
  });

  it('a spooled upload is 0600 while it is being received', async () => {
    const token = (await new Client(t.baseUrl).post('/api/auth/token', { username: 'clerk1', password: PASSWORD })).body.accessToken as string;
    const boundary = 'medrec-spool-test';
    const upload = pdfOf('Spooled upload test page.');
    const fields = Object.entries({
      mrn: 'MRN-77333',
      patientName: 'Spool Patient',
      dateOfBirth: '1950-02-03',
      documentType: 'correspondence',
      title: 'Spool test',
    })
      .map(([name, value]) => `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
      .join('');
    const head = Buffer.from(
      `${fields}--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="letter.pdf"\r\ncontent-type: application/pdf\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const half = Math.floor(upload.length / 2);
    const spool = join(dataDir, 'tmp', 'uploads');

    const req = httpRequest(`${t.baseUrl}/api/records`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': head.length + upload.length + tail.length,
      },
    });
    const answered = new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
    });
    req.write(Buffer.concat([head, upload.subarray(0, half)]));
    const deadline = Date.now() + 10_000;
    while (readdirSync(spool).length === 0) {
      if (Date.now() > deadline) throw new Error('the upload was not spooled');
      await new Promise((r) => setTimeout(r, 20));
    }
    const spooled = openEntries(spool);
    req.end(Buffer.concat([upload.subarray(half), tail]));

    expect(spooled).toEqual([]);
    expect(await answered).toBe(201);
    // Removed once the response has closed (create-app.ts), as the client sees the answer.
    for (const until = Date.now() + 5000; readdirSync(spool).length > 0 && Date.now() < until;) await new Promise((r) => setTimeout(r, 20));
    expect(readdirSync(spool)).toEqual([]);
  });

  it('a destroyed record leaves nothing readable in read-models.db, its WAL or its shared memory once its destruction is projected', async () => {
    // The control: before, the words are there (the WAL holds them, or the database file).
    const before = foundIn(dataDir);
    for (const word of PHI_WORDS) expect({ word, files: before[word].length > 0 }).toEqual({ word, files: true });

    const destroyed = await approveAndDestroy(u, recordId);
    expect(destroyed.status).toBe(200);
    expect((await u.clerk.get(`/api/search?mrn=${PATIENT.mrn}&versions=all&after=${destroyed.body.position}`, ops)).body.results).toEqual([]);

    expect(foundIn(dataDir)).toEqual(Object.fromEntries(PHI_WORDS.map((word) => [word, []])));
  });

  it('a data directory left open by an earlier version is restricted at start, with its databases', async () => {
    await t.close({ keepData: true });
    chmodSync(dataDir, 0o755);
    for (const name of ['events.db', 'keys.db', 'read-models.db']) chmodSync(join(dataDir, name), 0o644);
    t = await startApp(dataDir, env);

    expect(openEntries(dataDir)).toEqual([]);
  });
});
