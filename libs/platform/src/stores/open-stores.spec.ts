import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'minio';
import { MASTER_KEY_FILE } from '@medrec/crypto';
import { startS3rver } from '@medrec/test-support/s3rver';
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

  it('KEY_STORE=minio: the keys in a bucket of their own on the blob store MinIO, shared by a second process', async () => {
    const s3rver = await startS3rver({ bucket: 'medrec' });
    const env = {
      MEDREC_DATA_DIR: dir,
      MEDREC_MASTER_KEY: randomBytes(32).toString('base64'),
      BLOB_STORE: 'minio',
      KEY_STORE: 'minio',
      MINIO_ENDPOINT: s3rver.endPoint,
      MINIO_PORT: String(s3rver.port),
      MINIO_ACCESS_KEY: s3rver.accessKey,
      MINIO_SECRET_KEY: s3rver.secretKey,
    };
    const warnings: string[] = [];
    const first = await openStores(loadConfig(env), { warn: (message) => warnings.push(message) });
    const second = await openStores(loadConfig({ ...env, MEDREC_DATA_DIR: `${dir}/second` }));
    try {
      const key = await first.keys.create('record-1');
      expect(await second.keys.get('record-1')).toEqual(key);
      expect(existsSync(join(dir, 'keys.db'))).toBe(false);
      const names: string[] = [];
      for await (const item of new Client({ ...s3rver, port: s3rver.port, useSSL: false }).listObjects('medrec-keys', 'keys/', true)) names.push(item.name);
      expect(names).toEqual(['keys/record-1']);
      expect(warnings.join('\n')).toContain('ignores If-None-Match');
    } finally {
      await first.close();
      await second.close();
      await s3rver.stop();
    }
  });
});
