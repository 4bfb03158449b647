import { Writable } from 'node:stream';
import { pino } from 'pino';
import { logOptions, safeError } from './log-options';

function capture(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  let text = '';
  const stream = new Writable({ write: (chunk, _encoding, done) => ((text += String(chunk)), done()) });
  return {
    stream,
    lines: () =>
      text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('logOptions', () => {
  it('writes JSON lines with the level by name, an ISO time and the service', () => {
    const out = capture();
    pino(logOptions('worker', 'info'), out.stream).info('started');
    expect(out.lines()).toEqual([
      expect.objectContaining({ level: 'info', name: 'medrec-worker', msg: 'started', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }),
    ]);
  });

  it('logs at MEDREC_LOG_LEVEL and above only', () => {
    const out = capture();
    const logger = pino(logOptions('api', 'warn'), out.stream);
    logger.info('not this');
    logger.warn('this');
    expect(out.lines().map((l) => l.msg)).toEqual(['this']);
  });

  it('keeps of a whole request its id and method only, and of an error its type and frames', () => {
    const out = capture();
    const req = {
      id: 'r1',
      method: 'GET',
      url: '/api/patients/MRN-4411/disclosures?q=Jane',
      headers: { authorization: 'Bearer secret' },
      body: { patientName: 'Jane' },
    };
    const err = new TypeError('Unexpected token J in "Jane Example"');
    pino(logOptions('api', 'info'), out.stream).error({ req, err, query: { q: 'Jane' }, headers: { cookie: 'sid=1' } }, 'failed');
    const [line] = out.lines();
    expect(line.req).toEqual({ id: 'r1', method: 'GET' });
    expect(line.err).toEqual({ type: 'TypeError', stack: expect.stringMatching(/^\s+at /) });
    expect(line.query).toBe('[redacted]');
    expect(JSON.stringify(line)).not.toMatch(/Jane|MRN-4411|secret|sid=1/);
  });
});

describe('safeError', () => {
  it('keeps no message, also of what pino-std-serializers made of an error', () => {
    expect(safeError({ type: 'SqliteError', message: 'UNIQUE failed: Jane', stack: 'SqliteError: UNIQUE failed: Jane\n    at run (db.js:1:1)' })).toEqual({
      type: 'SqliteError',
      stack: '    at run (db.js:1:1)',
    });
    expect(safeError('Jane Example')).toEqual({ type: 'string' });
  });
});
