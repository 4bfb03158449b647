import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import { pino } from 'pino';
import { loadConfig, logOptions, withJsonLogs } from '@medrec/platform';
import { WorkerModule } from './worker.module';

/**
 * `medrec` OCR worker for production: competes with other workers (and any API in embedded
 * mode) for pending OCR jobs; each job is claimed on its own stream, so none runs twice at once.
 * It logs JSON lines, as the API does.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = pino(logOptions('worker', config.logLevel));
  const app = await NestFactory.createApplicationContext(withJsonLogs(WorkerModule.forRoot(config), logger), { bufferLogs: true });
  app.useLogger(app.get(PinoNestLogger));
  app.enableShutdownHooks();
  new Logger('worker').log(`OCR worker started (${config.ocr.workers} OCR threads, event store ${config.eventStore.kind})`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
