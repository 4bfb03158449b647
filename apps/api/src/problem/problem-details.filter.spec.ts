import { Logger } from '@nestjs/common';
import { Writable } from 'node:stream';
import { Logger as PinoNestLogger, PinoLogger } from 'nestjs-pino';
import { pino } from 'pino';
import { LOG_SERIALIZERS, logOptions } from '@medrec/platform';
import { ProblemDetailsFilter } from './problem-details.filter';

describe('ProblemDetailsFilter: an unexpected error', () => {
  let text = '';
  beforeAll(() => {
    const logger = pino(logOptions('api', 'info'), new Writable({ write: (chunk, _encoding, done) => ((text += String(chunk)), done()) }));
    const params = { pinoHttp: { logger, serializers: LOG_SERIALIZERS, wrapSerializers: false }, useExisting: true as const };
    Logger.overrideLogger(new PinoNestLogger(new PinoLogger(params), params));
  });
  afterAll(() => Logger.overrideLogger(false));

  it('answers 500 and is logged by its type and stack frames, never its message (third-party errors quote their input)', () => {
    const [status, body] = new ProblemDetailsFilter().toProblem(new TypeError('Unexpected token in "Jane Example, MRN-4411"'));
    expect(status).toBe(500);
    expect(JSON.stringify(body)).not.toMatch(/Jane|4411/);
    const lines = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'error',
        context: 'Errors',
        msg: 'Unhandled TypeError',
        err: { type: 'TypeError', stack: expect.stringMatching(/^\s+at /) },
      }),
    ]);
    expect(text).not.toMatch(/Jane|4411/);
  });
});
