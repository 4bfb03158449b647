import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MasterKeyError } from './errors';
import { loadMasterKey, parseKey } from './master-key';

describe('loadMasterKey', () => {
  let dataDir: string;
  let warnings: string[];
  const warn = (message: string) => warnings.push(message);

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'medrec-master-key-'));
    warnings = [];
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('reads MEDREC_MASTER_KEY as base64, url-safe base64 or hex', () => {
    const key = randomBytes(32);
    for (const text of [key.toString('base64'), key.toString('base64url'), key.toString('hex'), ` ${key.toString('hex')}\n`]) {
      const loaded = loadMasterKey({ env: { MEDREC_MASTER_KEY: text }, dataDir, embedded: false, warn });
      expect(loaded).toEqual(key);
    }
    expect(warnings).toEqual([]);
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it.each([
    ['too short', randomBytes(16).toString('base64')],
    ['too long', randomBytes(33).toString('hex')],
    ['not an encoding', 'correct horse battery staple, definitely a secret!'],
    ['hex with a stray character', randomBytes(32).toString('hex').slice(0, 63) + 'g'],
  ])('rejects a key that is %s, naming the variable without echoing it', (_case, text) => {
    let thrown: Error | undefined;
    try {
      loadMasterKey({ env: { MEDREC_MASTER_KEY: text }, dataDir, embedded: true, warn });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MasterKeyError);
    expect(thrown!.message).toContain('MEDREC_MASTER_KEY');
    expect(thrown!.message).not.toContain(text.trim());
    expect(thrown!.message).not.toContain(text.slice(0, 12));
  });

  it('fails outside embedded mode when the variable is unset or empty', () => {
    expect(() => loadMasterKey({ env: {}, dataDir, embedded: false, warn })).toThrow(/MEDREC_MASTER_KEY is not set/);
    expect(() => loadMasterKey({ env: { MEDREC_MASTER_KEY: '  ' }, dataDir, embedded: false, warn })).toThrow(MasterKeyError);
  });

  it('generates a 0600 key file on first embedded start, then reuses it', () => {
    const first = loadMasterKey({ env: {}, dataDir, embedded: true, warn });
    expect(first).toHaveLength(32);
    const file = join(dataDir, 'master.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dataDir)).toEqual(['master.key']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/production deployment must set MEDREC_MASTER_KEY/);
    expect(warnings[0]).not.toContain(first.toString('base64'));

    const second = loadMasterKey({ env: {}, dataDir, embedded: true, warn });
    expect(second).toEqual(first);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.toString('base64'));
    expect(warnings[1]).toMatch(/must set MEDREC_MASTER_KEY/);
  });

  it('creates the data directory when it does not exist', () => {
    const nested = join(dataDir, 'a', 'b');
    expect(loadMasterKey({ env: {}, dataDir: nested, embedded: true, warn })).toHaveLength(32);
    expect(statSync(join(nested, 'master.key')).isFile()).toBe(true);
  });

  it('prefers the environment over the key file', () => {
    loadMasterKey({ env: {}, dataDir, embedded: true, warn });
    const key = randomBytes(32);
    expect(loadMasterKey({ env: { MEDREC_MASTER_KEY: key.toString('hex') }, dataDir, embedded: true, warn })).toEqual(key);
  });

  it('refuses a corrupt key file instead of replacing it', () => {
    const file = join(dataDir, 'master.key');
    writeFileSync(file, 'garbage\n', { mode: 0o600 });
    expect(() => loadMasterKey({ env: {}, dataDir, embedded: true, warn })).toThrow(/master key file .* is corrupt/);
    expect(readFileSync(file, 'utf8')).toBe('garbage\n');
  });

  it('warns when the key file is readable by others', () => {
    loadMasterKey({ env: {}, dataDir, embedded: true, warn });
    chmodSync(join(dataDir, 'master.key'), 0o644);
    loadMasterKey({ env: {}, dataDir, embedded: true, warn });
    expect(warnings.some((w) => w.includes('chmod 600'))).toBe(true);
  });
});

describe('parseKey', () => {
  it('rejects non-canonical base64 spellings', () => {
    const text = randomBytes(32).toString('base64'); // 43 chars + '='; the last char carries 2 padding bits
    const last = text[42];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1];
    expect(parseKey(text)).not.toBeNull();
    expect(parseKey(text.slice(0, 42) + sibling + '=')).toBeNull();
  });
});
