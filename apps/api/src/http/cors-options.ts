import type { CorsOptions } from '@nestjs/common/interfaces/external/cors-options.interface';

/**
 * CORS for the configured origins only (MEDREC_CORS_ORIGINS, exact origins): the methods and
 * request headers the API uses, and the answer headers a browser client needs to read. Bearer
 * tokens travel in Authorization, not cookies: no credentials mode.
 */
export function corsOptions(origins: string[]): CorsOptions {
  return {
    origin: origins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Accept', 'If-Match', 'X-Purpose-Of-Use', 'X-Emergency-Justification', 'X-Request-Id'],
    exposedHeaders: [
      'X-Request-Id',
      'Location',
      'Retry-After',
      'ETag',
      'Content-Disposition',
      'Digest',
      'X-Cover-Sheet-Id',
      'X-Cover-Sheet-Ids',
      'X-Cover-Sheet-Batch-Id',
    ],
    credentials: false,
    maxAge: 600,
  };
}
