import { Writable } from 'node:stream';
import { createIngestProgress, formatEta } from './ingest-progress';

function capture(isTTY: boolean) {
  let text = '';
  const stream = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        text += chunk.toString();
        done();
      },
    }),
    { isTTY, columns: 120 },
  );
  return { stream, text: () => text };
}

describe('ingest progress', () => {
  it('prints plain lines off a terminal: files, pages, pages per minute and an ETA from the bytes left', () => {
    jest.useFakeTimers();
    try {
      let now = 0;
      const out = capture(false);
      const progress = createIngestProgress(out.stream, { intervalMs: 10_000, now: () => now });

      progress.start(4, 4000);
      jest.advanceTimersByTime(10_000);
      now = 30_000;
      progress.skipped(1000);
      progress.uploaded(1000, 3); // 1000 bytes in 30 s, 2000 bytes left -> 60 s
      jest.advanceTimersByTime(10_000);
      now = 60_000;
      progress.uploaded(1000, 2);
      progress.uploaded(1000, 1);
      progress.stop();
      jest.advanceTimersByTime(60_000);

      expect(out.text()).toBe(
        'ingest: 0/4 files, 0 pages, - pages/min, ETA -\n' +
          'ingest: 2/4 files, 3 pages, 6.0 pages/min, ETA 1m00s\n' +
          'ingest: 4/4 files, 6 pages, 6.0 pages/min, ETA 0s\n',
      );
    } finally {
      jest.useRealTimers();
    }
  });

  it('draws a bar on a terminal', () => {
    const out = capture(true);
    const progress = createIngestProgress(out.stream);
    progress.start(2, 2000);
    progress.uploaded(1000, 2);
    progress.uploaded(1000, 1);
    progress.stop();
    expect(out.text()).toMatch(/ingest \[[█░]+\] 2\/2 files \| 3 pages \| \d+ pages\/min \| ETA 0s/);
  });

  it('formats ETAs', () => {
    expect([formatEta(undefined), formatEta(0.2), formatEta(59), formatEta(61), formatEta(3 * 3600 + 5 * 60)]).toEqual(['-', '1s', '59s', '1m01s', '3h05m']);
    expect(formatEta(100, true)).toBe('0s');
  });
});
