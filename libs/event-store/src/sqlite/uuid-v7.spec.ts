import { uuidv7 } from './uuid-v7';

describe('uuidv7', () => {
  it('is a version 7, RFC 9562 variant UUID', () => {
    expect(uuidv7()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('starts with the millisecond timestamp, so later ids sort after earlier ones', () => {
    const t = Date.UTC(2024, 4, 6, 7, 8, 9, 10);
    const id = uuidv7(t);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(t);
    expect(uuidv7(t + 1) > uuidv7(t)).toBe(true);
  });

  it('does not repeat', () => {
    const ids = new Set(Array.from({ length: 2000 }, () => uuidv7(0)));
    expect(ids.size).toBe(2000);
  });
});
