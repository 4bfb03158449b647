import { LoggerService, ValidationError, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import express, { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { unlink } from 'node:fs';
import type { FieldError } from '@medrec/domain';
import { AppModule } from './app.module';
import type { AppConfig } from './config/app-config';
import type { TracedRequest } from './http/request-context';
import { problem, PROBLEM_CONTENT_TYPE, RequestValidationError } from './problem/problem';
import { bodyParserProblem } from './problem/problem-details.filter';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Builds the HTTP application (not yet listening): used by main.ts, the tests and the benchmarks. */
export async function createApp(config: AppConfig, logger?: LoggerService | false): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    ...(logger !== undefined ? { logger } : {}),
  });
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(correlationId);
  app.use(removeSpooledUpload);
  app.use(jsonBody(config.limits.jsonBodyBytes));
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: true,
      exceptionFactory: (errors) => new RequestValidationError(flatten(errors)),
    }),
  );
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('medrec')
      .setDescription('Event-sourced medical records: see API.md for the contract')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  app.enableShutdownHooks();
  return app;
}

/** Uploads are spooled to a temporary file (clear content): remove it however the request ends. */
function removeSpooledUpload(req: Request, res: Response, next: NextFunction): void {
  res.on('close', () => {
    const path = (req as Request & { file?: { path?: string } }).file?.path;
    if (path) unlink(path, () => undefined);
  });
  next();
}

function correlationId(req: Request, res: Response, next: NextFunction): void {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && UUID.test(given) ? given : randomUUID();
  (req as TracedRequest).correlationId = id;
  res.setHeader('X-Request-Id', id);
  next();
}

/** JSON bodies with a size limit; parser failures answer problem+json (they happen before Nest's filters). */
function jsonBody(limit: number) {
  const parse = express.json({ limit, type: ['application/json', 'application/*+json'] });
  return (req: Request, res: Response, next: NextFunction): void =>
    parse(req, res, (error?: unknown) => {
      const field = error ? undefined : forbiddenKey(req.body);
      if (!error && !field) return next();
      const body = field
        ? problem(400, 'The request is invalid', { errors: [{ field, message: 'is not an allowed field' }] })
        : (bodyParserProblem(error) ?? problem(400, 'The request body could not be read'));
      res.status(body.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
    });
}

/** Keys that could reach object prototypes; the unknown-field check never sees them, so refuse them here. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function forbiddenKey(value: unknown, path = ''): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  for (const key of Object.keys(value)) {
    const field = path ? `${path}.${key}` : key;
    if (FORBIDDEN_KEYS.has(key)) return field;
    const nested = forbiddenKey((value as Record<string, unknown>)[key], field);
    if (nested) return nested;
  }
  return undefined;
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({
      field,
      // class-validator quotes the property, never the value; whitelist errors name the unknown field.
      message: message.replace(/^property .* should not exist$/, 'is not an allowed field'),
    }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}
