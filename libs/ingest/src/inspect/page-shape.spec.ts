import { DEFAULT_INGEST_LIMITS } from './ingest-limits';
import { pageShapeRefusal } from './page-shape';

describe('pageShapeRefusal', () => {
  const reason = (width: number, height: number, limits = DEFAULT_INGEST_LIMITS) => pageShapeRefusal(width, height, limits)?.reason;

  it('accepts plausible pages, up to the limits (16 pixels, 20:1)', () => {
    expect([reason(1700, 2200), reason(16, 16), reason(16, 320), reason(320, 16), reason(600, 12_000)]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('refuses a side under the minimum (page-too-narrow) before looking at the aspect', () => {
    expect([reason(15, 15), reason(1, 5_000_000), reason(59_000_000, 1), reason(0, 0)]).toEqual([
      'page-too-narrow',
      'page-too-narrow',
      'page-too-narrow',
      'page-too-narrow',
    ]);
  });

  it('refuses more than 20:1 (page-too-elongated)', () => {
    expect([reason(16, 321), reason(40_000, 100), reason(64, 900_000)]).toEqual(['page-too-elongated', 'page-too-elongated', 'page-too-elongated']);
  });

  it('takes its limits from the caller, and says them without quoting the file', () => {
    const limits = { minPageSidePixels: 100, maxPageAspectRatio: 3 };
    expect([reason(99, 200, { ...DEFAULT_INGEST_LIMITS, ...limits }), reason(100, 301, { ...DEFAULT_INGEST_LIMITS, ...limits })]).toEqual([
      'page-too-narrow',
      'page-too-elongated',
    ]);
    expect(pageShapeRefusal(1, 100, DEFAULT_INGEST_LIMITS)).toMatchObject({ status: 422, message: 'A page is narrower than the 16 pixels allowed' });
  });
});
