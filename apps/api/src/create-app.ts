import { LoggerService, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import { pino } from 'pino';
import { DomainError } from '@medrec/domain';
import { unlink } from 'node:fs';
import { AppModule } from './app.module';
import { type AppConfig, logOptions, withJsonLogs } from '@medrec/platform';
import { jsonBody } from './http/json-body';
import { requestId } from './http/request-id';
import { requestLog } from './http/request-log';
import { securityHeaders } from './http/security-headers';
import { webApp } from './http/web-app';
import { corsOptions } from './http/cors-options';
import { fieldErrorsOf } from './problem/field-errors';
import { PROBLEM_SCHEMA, PROBLEM_SCHEMA_NAME } from './http/api-docs';

/**
 * Builds the HTTP application (not yet listening): used by main.ts, the tests and the benchmarks.
 * Without `logger` it logs JSON lines (see README, Logs); `false` silences it.
 */
export async function createApp(config: AppConfig, logger?: LoggerService | false): Promise<NestExpressApplication> {
  const jsonLogs = logger === undefined ? pino(logOptions('api', config.logLevel)) : undefined;
  const app = await NestFactory.create<NestExpressApplication>(jsonLogs ? withJsonLogs(AppModule.forRoot(config), jsonLogs) : AppModule.forRoot(config), {
    bodyParser: false,
    ...(jsonLogs ? { bufferLogs: true } : { logger }),
  });
  if (jsonLogs) app.useLogger(app.get(PinoNestLogger));
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestId);
  if (jsonLogs) app.use(requestLog(jsonLogs));
  // Hardening (README: Hardening / TLS): the proxies believed, and CORS only for configured origins.
  app.set('trust proxy', config.trustProxy);
  if (config.corsOrigins.length > 0) app.enableCors(corsOptions(config.corsOrigins));
  app.use(securityHeaders());
  app.use(removeSpooledUpload);
  app.use(jsonBody(config.limits.jsonBodyBytes));
  const web = webApp(config.webDir);
  if (web) app.use(web);
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) => DomainError.invalid(fieldErrorsOf(errors)),
    }),
  );
  const document = openApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  // No enableShutdownHooks: main.ts drains HTTP and OCR on SIGTERM/SIGINT first, then closes the app.
  return app;
}

/** The OpenAPI document of the app's routes: served at /docs-json and the source of the web app's client. */
export function openApiDocument(app: NestExpressApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('medrec')
      .setDescription('Event-sourced medical records: see API.md for the contract')
      .setVersion('1')
      .setLicense('Apache-2.0', 'https://www.apache.org/licenses/LICENSE-2.0')
      .addServer('/', 'The server this document is served from')
      .addBearerAuth()
      .build(),
  );
  // Every error answer refers to it (ApiProblems); no class describes it, so it is added here.
  document.components = { ...document.components, schemas: { ...document.components?.schemas, [PROBLEM_SCHEMA_NAME]: PROBLEM_SCHEMA } };
  return document;
}

/** Uploads are spooled to a temporary file (clear content): remove it however the request ends. */
function removeSpooledUpload(req: Request, res: Response, next: NextFunction): void {
  res.on('close', () => {
    const path = (req as Request & { file?: { path?: string } }).file?.path;
    if (path) unlink(path, () => undefined);
  });
  next();
}
