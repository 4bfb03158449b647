import { randomBytes } from 'node:crypto';
import { IV_LENGTH, TAG_LENGTH, decodeBase64, open, openString, seal, sealString } from './aes-gcm';
import { DecryptionError } from './errors';

describe('AES-256-GCM seal/open', () => {
  const key = randomBytes(32);
  const plaintext = Buffer.from('Jane Doe, born 1970-01-01, discharge summary', 'utf8');
  const aad = Buffer.from('record-1');

  it('round-trips, with and without associated data', () => {
    expect(open(key, seal(key, plaintext, aad), aad)).toEqual(plaintext);
    expect(open(key, seal(key, plaintext))).toEqual(plaintext);
    expect(open(key, seal(key, Buffer.alloc(0)))).toEqual(Buffer.alloc(0));
  });

  it('lays out version | IV | ciphertext | tag, with a fresh IV each time', () => {
    const a = seal(key, plaintext);
    const b = seal(key, plaintext);
    expect(a[0]).toBe(1);
    expect(a.length).toBe(1 + IV_LENGTH + plaintext.length + TAG_LENGTH);
    expect(a.subarray(1, 1 + IV_LENGTH)).not.toEqual(b.subarray(1, 1 + IV_LENGTH));
    expect(a.includes(plaintext)).toBe(false);
  });

  it('rejects a wrong key', () => {
    expect(() => open(randomBytes(32), seal(key, plaintext, aad), aad)).toThrow(DecryptionError);
  });

  it('rejects a wrong or missing associated data', () => {
    const sealed = seal(key, plaintext, aad);
    expect(() => open(key, sealed, Buffer.from('record-2'))).toThrow(DecryptionError);
    expect(() => open(key, sealed)).toThrow(DecryptionError);
  });

  it('rejects any flipped byte: version, IV, ciphertext or tag', () => {
    const sealed = seal(key, plaintext, aad);
    for (const index of [0, 1, 1 + IV_LENGTH, sealed.length - TAG_LENGTH - 1, sealed.length - 1]) {
      const tampered = Buffer.from(sealed);
      tampered[index] ^= 0x01;
      expect(() => open(key, tampered, aad)).toThrow(DecryptionError);
    }
  });

  it('rejects truncated input', () => {
    const sealed = seal(key, plaintext);
    expect(() => open(key, sealed.subarray(0, sealed.length - 1))).toThrow(DecryptionError);
    expect(() => open(key, sealed.subarray(0, 10))).toThrow(DecryptionError);
  });

  it('never puts data into the error message', () => {
    try {
      open(randomBytes(32), seal(key, plaintext, aad), aad);
      throw new Error('expected failure');
    } catch (error) {
      expect(error).toBeInstanceOf(DecryptionError);
      expect(error.message).not.toContain('Jane');
      expect(error.message).not.toContain(key.toString('hex'));
    }
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => seal(randomBytes(16), plaintext)).toThrow(TypeError);
  });

  it('seals strings as base64 text', () => {
    const sealed = sealString(key, 'Ünïcødé text', 'record-1');
    expect(sealed).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(openString(key, sealed, 'record-1')).toBe('Ünïcødé text');
    expect(() => openString(key, sealed, 'record-2')).toThrow(DecryptionError);
    expect(() => openString(key, sealed.slice(0, -4) + '!!!!', 'record-1')).toThrow(DecryptionError);
  });

  it('decodes only strict, canonical base64', () => {
    for (const n of [0, 1, 2, 3, 4, 31, 32, 33, 3000]) {
      const bytes = randomBytes(n);
      expect(decodeBase64(bytes.toString('base64'))).toEqual(bytes);
    }
    const bytes = Buffer.from([0xfb, 0xff, 0xbf, 0x3e]);
    const text = bytes.toString('base64'); // "+/+/Pg==": both alphabet extras and padding
    expect(decodeBase64(text)).toEqual(bytes);
    for (const bad of [
      text.replace(/\+/g, '-').replace(/\//g, '_'), // URL-safe alphabet
      text.slice(0, -2), // padding missing
      text.slice(0, -1), // padding short
      `${text}=`, // padding too long
      `${text.slice(0, 4)} ${text.slice(4)}`, // whitespace
      `${text.slice(0, 4)}\n${text.slice(4)}`,
      `${text.slice(0, 4)}!${text.slice(5)}`, // outside the alphabet
      `${text.slice(0, 4)}é${text.slice(5)}`,
      'QR==', // non-canonical trailing bits (decodes like "QQ==")
      'QUJ=',
      '====',
      'QQ==QQ==', // padding inside
      'Q',
      12 as unknown as string,
    ]) {
      expect(() => decodeBase64(bad)).toThrow(DecryptionError);
    }
  });
});
