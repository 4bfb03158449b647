import { requestIdOf } from './request-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('requestIdOf', () => {
  it.each(['3f1c2a9e-8b7d-4c6e-9a5b-1d2e3f4a5b6c', '7f3a9c0e11d24b5f8e6a1c3d5e7f9a0b', 'F'.repeat(64)])('keeps the acceptable X-Request-Id %j', (id) => {
    expect(requestIdOf(id)).toBe(id);
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['too long', 'a'.repeat(65)],
    ['too short', 'abcdef'],
    ['shaped like an MRN', 'MRN-00482913'],
    ['made of digits like a date of birth', '1961-04-17'],
    ['a word', 'lb-01.7f3a_req'],
    ['with a space', 'Jane Example'],
    ['with markup', '<script>'],
    ['with a slash', 'a/b'],
    ['with a line break', 'abc\ndef'],
    ['repeated', ['a', 'b']],
  ])('replaces an X-Request-Id %s by a new UUID', (_case, given) => {
    const id = requestIdOf(given);
    expect(id).toMatch(UUID);
    expect(requestIdOf(given)).not.toBe(id);
  });
});
