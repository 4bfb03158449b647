import { randomBytes } from 'node:crypto';
import { DecryptionError } from './errors';
import { decryptPhi, encryptPhi, isEncryptedPhi } from './phi-cipher';

describe('PHI field envelope', () => {
  const key = randomBytes(32);
  const fields = { patientName: 'Jane Doe', dateOfBirth: '1970-01-01', title: 'Discharge summary', pages: 3, tags: ['a'] };

  it('round-trips fields through an opaque "v1." string', () => {
    const blob = encryptPhi(key, 'rec-1', fields);
    expect(blob.startsWith('v1.')).toBe(true);
    expect(isEncryptedPhi(blob)).toBe(true);
    expect(blob).not.toContain('Jane');
    expect(Buffer.from(blob.slice(3), 'base64').includes(Buffer.from('Jane'))).toBe(false);
    expect(decryptPhi(key, 'rec-1', blob)).toEqual(fields);
  });

  it('fails with a wrong key', () => {
    expect(() => decryptPhi(randomBytes(32), 'rec-1', encryptPhi(key, 'rec-1', fields))).toThrow(DecryptionError);
  });

  it('fails when moved to another record (AAD)', () => {
    expect(() => decryptPhi(key, 'rec-2', encryptPhi(key, 'rec-1', fields))).toThrow(DecryptionError);
  });

  it('fails on tampering, unknown versions and garbage, without echoing input', () => {
    const blob = encryptPhi(key, 'rec-1', fields);
    const raw = Buffer.from(blob.slice(3), 'base64');
    raw[20] ^= 0xff;
    expect(() => decryptPhi(key, 'rec-1', 'v1.' + raw.toString('base64'))).toThrow(DecryptionError);
    expect(() => decryptPhi(key, 'rec-1', 'v2.' + blob.slice(3))).toThrow(DecryptionError);
    expect(() => decryptPhi(key, 'rec-1', 'Jane Doe')).toThrow(/^(?!.*Jane).*$/);
    expect(() => decryptPhi(key, 'rec-1', 'v1.%%%')).toThrow(DecryptionError);
  });

  it('only takes plain objects', () => {
    expect(() => encryptPhi(key, 'rec-1', ['x'] as unknown as Record<string, unknown>)).toThrow(TypeError);
    expect(() => encryptPhi(key, '', fields)).toThrow(TypeError);
  });
});
