import { nameBasedUuid } from './name-based-uuid';

describe('nameBasedUuid', () => {
  // RFC 9562 appendix A.4: "www.example.com" in the DNS namespace.
  const DNS = Buffer.from('6ba7b8109dad11d180b400c04fd430c8', 'hex');

  it('is the version 5 UUID of the RFC for its example', () => {
    expect(nameBasedUuid(DNS, 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('names the same thing the same way, and different things differently', () => {
    expect(nameBasedUuid(DNS, 'a/1')).toBe(nameBasedUuid(DNS, 'a/1'));
    expect(nameBasedUuid(DNS, 'a/1')).not.toBe(nameBasedUuid(DNS, 'a/2'));
  });
});
