import { stdTimeFunctions, type LoggerOptions } from 'pino';
import type { LogLevel } from '../config/app-config';

/**
 * Where PHI could sit if a request, a response or an error were ever logged whole. The serializers
 * below already keep none of them: this is the second line of defence.
 */
export const REDACTED_PATHS = [
  'req.url',
  'req.originalUrl',
  'req.query',
  'req.params',
  'req.body',
  'req.headers',
  'res.headers',
  'err.message',
  'body',
  'query',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'cookie',
];

/**
 * Requests, responses and errors reduced to fields without patient data. pino-http puts its own
 * serializers on the loggers it derives unless given these (with `wrapSerializers: false`).
 */
export const LOG_SERIALIZERS = {
  req: (req: { id?: unknown; method?: unknown }) => ({ id: req.id, method: req.method }),
  res: (res: { statusCode?: unknown }) => ({ statusCode: res.statusCode }),
  err: safeError,
};

/**
 * One JSON object per line on stdout, for the API and the OCR worker alike: ISO time, the level
 * by name, the process it came from. An error keeps its type and stack frames, never its message
 * (third-party errors quote their input).
 */
export function logOptions(service: 'api' | 'worker', level: LogLevel): LoggerOptions {
  return {
    level,
    name: `medrec-${service}`,
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    serializers: LOG_SERIALIZERS,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
}

/** An error's type and where it was thrown; the first line of a stack repeats the message, so it goes. */
export function safeError(error: unknown): { type: string; stack?: string } {
  if (!(error instanceof Error) && (typeof error !== 'object' || error === null)) return { type: typeof error };
  const e = error as { name?: unknown; type?: unknown; stack?: unknown };
  const type = typeof e.type === 'string' ? e.type : typeof e.name === 'string' ? e.name : 'Error';
  const frames = typeof e.stack === 'string' ? e.stack.split('\n').filter((line) => /^\s+at /.test(line)) : [];
  return frames.length > 0 ? { type, stack: frames.join('\n') } : { type };
}
