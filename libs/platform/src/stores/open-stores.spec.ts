import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MASTER_KEY_FILE } from '@medrec/crypto';
import { loadConfig } from '../config/app-config';
import { openStores } from './open-stores';

const metadata = { actor: 'u', role: 'clerk', correlationId: 'c', causationId: 'c', occurredAt: '2026-01-01T00:00:00Z', schemaVersion: 1 };

describe('openStores', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'medrec-stores-'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('opens every store of an embedded deployment, the key store under a generated master key, and closes them', async () => {
    const warnings: string[] = [];
    const stores = await openStores(loadConfig({ MEDREC_DATA_DIR: dir }), { warn: (message) => warnings.push(message) });
    try {
      await stores.events.append('s', [{ type: 'Noted', data: {}, metadata }], 'any');
      expect(await stores.events.headPosition()).toBe(1);
      const key = await stores.keys.create('r-1');
      expect(await stores.keys.get('r-1')).toEqual(key);
      await stores.blobs.put('records/r-1/content/x', Buffer.from('bytes'));
      expect(await stores.blobs.exists('records/r-1/content/x')).toBe(true);
      expect(existsSync(join(dir, MASTER_KEY_FILE))).toBe(true);
      expect(warnings.join('\n')).toContain('generated a new master key');
    } finally {
      await stores.close();
    }
  });

  it('without PHI: no master key, a key store that refuses any use, no blob store', async () => {
    const stores = await openStores(loadConfig({ MEDREC_DATA_DIR: dir }), { phi: false });
    try {
      await stores.events.append('users', [{ type: 'Noted', data: {}, metadata }], 'any');
      await expect(stores.keys.get('r-1')).rejects.toThrow('no access to data keys');
      expect('blobs' in stores).toBe(false);
      expect(existsSync(join(dir, MASTER_KEY_FILE))).toBe(false);
    } finally {
      await stores.close();
    }
  });
});
