import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventSourcedRunner, PhiCodec, systemActor } from '@medrec/application';
import { NoPhiKeyStore } from '@medrec/platform/stores/no-phi-key-store';
import { reviewItemStream } from '@medrec/domain';
import { SqliteEventStore } from '@medrec/event-store';
import type { RecognizedPage } from '../jobs/document-recognizer';
import { openReviewItems, reviewItemId, reviewKindsOf } from './review-items';

const RECORD = '0190a3c4-0000-7000-8000-0000000000a1';
const quality = { inkRatio: 0.01, grayStdDev: 17, paperLevel: 250, skewDegrees: 0.4, blank: false, skewed: false, dark: false };
const page = (n: number, overrides: Partial<RecognizedPage> = {}, q: Partial<typeof quality> = {}): RecognizedPage => ({
  page: n,
  text: 'text',
  confidence: 91,
  source: 'ocr',
  words: [],
  quality: { ...quality, ...q },
  ...overrides,
});

describe('review items of recognized pages', () => {
  it('derives one id per record, version, page and kind', () => {
    const id = reviewItemId(RECORD, 1, 2, 'blank-page');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(reviewItemId(RECORD, 1, 2, 'blank-page')).toBe(id);
    expect(
      new Set([id, reviewItemId(RECORD, 2, 2, 'blank-page'), reviewItemId(RECORD, 1, 3, 'blank-page'), reviewItemId(RECORD, 1, 2, 'dark-page')]).size,
    ).toBe(4);
  });

  it('flags a blank page as blank only, and each other signal as its own kind', () => {
    expect(reviewKindsOf(page(1, { confidence: 0 }, { blank: true, dark: true }), 70)).toEqual(['blank-page']);
    expect(reviewKindsOf(page(1, { confidence: 69.9 }, { skewed: true, dark: true }), 70)).toEqual(['low-confidence', 'skewed-page', 'dark-page']);
    expect(reviewKindsOf(page(1, { confidence: 70 }), 70)).toEqual([]);
    // A PDF's own text layer was not read by OCR, and text stored before the measures has none.
    expect(reviewKindsOf(page(1, { source: 'text-layer', confidence: 10 }), 70)).toEqual([]);
    expect(reviewKindsOf({ ...page(1, { confidence: 10 }), quality: undefined }, 70)).toEqual([]);
  });

  describe('opening them on the event store', () => {
    let dir: string;
    let store: SqliteEventStore;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'medrec-review-items-'));
      store = new SqliteEventStore({ filename: join(dir, 'events.db') });
    });
    afterEach(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('opens each item once, however often the OCR of the version is recorded again', async () => {
      const runner = new EventSourcedRunner(store, new PhiCodec(new NoPhiKeyStore(), {}));
      const context = { actor: systemActor('ocr@n1'), correlationId: 'c1', at: '2024-06-01T09:00:00.000Z' };
      const pages = [page(1), page(2, { confidence: 0, text: '' }, { blank: true }), page(3, { confidence: 40 }, { skewed: true })];
      expect(await openReviewItems(runner, { recordId: RECORD, version: 1 }, pages, context, 70)).toBe(3);
      expect(await openReviewItems(runner, { recordId: RECORD, version: 1 }, pages, context, 70)).toBe(0);
      const blank = await store.readStream(reviewItemStream(reviewItemId(RECORD, 1, 2, 'blank-page')));
      expect(blank).toHaveLength(1);
      expect(blank[0]).toMatchObject({ type: 'ReviewItemOpened' });
    });
  });
});
