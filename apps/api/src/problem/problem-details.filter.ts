import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Inject, Logger, NotFoundException, Optional, PayloadTooLargeException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { HashingBusyError, SignInThrottledError } from '@medrec/auth';
import { DomainError, DomainErrorKind } from '@medrec/domain';
import { StreamDeletedError, WrongExpectedRevisionError } from '@medrec/event-store';
import { IngestRefusal } from '@medrec/ingest/inspect/ingest-refusal';
import { Metrics, METRICS } from '@medrec/platform';
import { ReadModelBehindError } from '@medrec/read-models';
import { CLIENT_CLOSED_REQUEST, ClientGoneError } from '../http/client-gone';
import { invalidBodyProblem, invalidRequestProblem, problem, PROBLEM_CONTENT_TYPE, ProblemDetails, ProblemException } from './problem';

const STATUS_BY_KIND: Record<DomainErrorKind, number> = {
  invalid: 400,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  gone: 410,
};

/** The one place errors become HTTP: every error leaves as application/problem+json, with no PHI. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(@Optional() @Inject(METRICS) private readonly metrics?: Metrics) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const [status, body] = this.toProblem(exception);
    const refused = refusedUploadReason(exception, host.switchToHttp().getRequest<Request>());
    if (refused) this.metrics?.uploadRefused(refused);
    if (response.headersSent) {
      response.destroy();
      return;
    }
    if (exception instanceof ReadModelBehindError || exception instanceof SignInThrottledError || exception instanceof HashingBusyError) {
      response.setHeader('Retry-After', String(exception.retryAfterSeconds));
    }
    response.status(status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
  }

  /**
   * The HTTP status and the body. A domain error's details (e.g. a destroyed record's tombstone
   * `{ id, recordStatus: 'destroyed', destroyedAt, authority }`) are extension members: they never
   * replace the standard ones, so `status` is always the HTTP status (RFC 9457).
   */
  toProblem(exception: unknown): [number, ProblemDetails] {
    const body = this.problemOf(exception);
    const details = exception instanceof DomainError ? exception.details : undefined;
    return [body.status, details ? { ...details, ...body } : body];
  }

  private problemOf(exception: unknown): ProblemDetails {
    if (exception instanceof ProblemException) return exception.problem;
    // Every invalid request (DTO, parameter, header, cursor, domain rule) is a DomainError 'invalid'.
    if (exception instanceof DomainError && exception.kind === 'invalid') {
      return invalidRequestProblem(exception.errors.length > 0 ? exception.errors : [{ field: 'request', message: exception.message }]);
    }
    if (exception instanceof DomainError) {
      return problem(STATUS_BY_KIND[exception.kind], exception.message, exception.errors.length > 0 ? { errors: exception.errors } : {});
    }
    if (exception instanceof WrongExpectedRevisionError) {
      return problem(409, 'The record was changed by someone else since the revision you sent; reload it and try again', {
        currentRevision: exception.actual === 'no_stream' ? null : exception.actual,
      });
    }
    if (exception instanceof ReadModelBehindError) return problem(503, exception.message, { position: exception.position });
    if (exception instanceof SignInThrottledError) return problem(429, exception.message);
    if (exception instanceof HashingBusyError) return problem(503, exception.message);
    if (exception instanceof StreamDeletedError) return problem(410, 'The resource was deleted');
    if (exception instanceof IngestRefusal) return problem(exception.status, exception.message, { reason: exception.reason });
    // Nobody reads this answer; it is what the access log shows. Not an error of ours: not logged.
    if (exception instanceof ClientGoneError) return problem(CLIENT_CLOSED_REQUEST, exception.message);
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const payload = exception.getResponse();
      const message = typeof payload === 'string' ? payload : (payload as { message?: unknown }).message;
      // The router's own 404 quotes the path and query string, which may carry PHI (an MRN, a name).
      if (exception instanceof NotFoundException && typeof message === 'string' && /^Cannot [A-Z]+ /.test(message)) {
        return problem(404, 'No route matches this method and path');
      }
      // What Nest itself still refuses with 400 is a body it could not read (multer: a broken multipart form).
      if (status === 400) return invalidBodyProblem(`could not be read${typeof message === 'string' ? ` (${message})` : ''}`);
      return problem(status, typeof message === 'string' ? message : Array.isArray(message) ? message.join('; ') : undefined);
    }
    const parserError = bodyParserProblem(exception);
    if (parserError) return parserError;
    // Unexpected: log the type and stack only; messages of third-party errors may quote input.
    const error = exception as Error;
    const type = error?.name ?? typeof exception;
    // As an object: given a message and a stack, nestjs-pino would make an Error of them and log no message.
    this.logger.error({ msg: `Unhandled ${type}`, err: { type, stack: error?.stack?.split('\n').slice(1, 8).join('\n') } });
    return problem(500, 'An unexpected error occurred; it has been logged');
  }
}

/**
 * Why an upload was refused, for the metrics: inspection's reason, or `too-large` when multer cut
 * the file at MEDREC_MAX_UPLOAD_BYTES. Only multipart requests are uploads: a stored page refused
 * when it is rendered (GET .../pages/:page) is no upload refused.
 */
function refusedUploadReason(exception: unknown, request: Request | undefined): string | undefined {
  if (!request?.is?.('multipart/form-data')) return undefined;
  if (exception instanceof IngestRefusal) return exception.reason;
  if (exception instanceof PayloadTooLargeException) return 'too-large';
  return undefined;
}

/** Errors from express's body parsers (they carry `type` and `status`). */
export function bodyParserProblem(exception: unknown): ProblemDetails | undefined {
  const e = exception as { type?: string; status?: number; limit?: number };
  if (!e || typeof e.type !== 'string' || typeof e.status !== 'number') return undefined;
  switch (e.type) {
    case 'entity.too.large':
      return problem(413, `The request body is larger than the limit of ${e.limit} bytes`);
    case 'entity.parse.failed':
      return invalidBodyProblem('is not valid JSON');
    case 'entity.too.deep':
      return invalidBodyProblem(`is JSON nested deeper than ${e.limit} levels`);
    case 'entity.too.wide':
      return invalidBodyProblem(`is JSON with more than ${e.limit} array elements and object members`);
    case 'entity.encoding.invalid':
      return invalidBodyProblem('is not valid UTF-8');
    case 'charset.unsupported':
      return problem(415, 'JSON bodies must be UTF-8 (RFC 8259): send charset=utf-8 or no charset');
    case 'encoding.unsupported':
      return problem(415, 'Compressed request bodies are not accepted: send the body without Content-Encoding');
    default:
      if (e.status === 400) return invalidBodyProblem('could not be read');
      return e.status > 400 && e.status < 500 ? problem(e.status, 'The request body could not be read') : undefined;
  }
}
