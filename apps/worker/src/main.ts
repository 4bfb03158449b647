import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import { pino } from 'pino';
import { OcrJobRunner } from '@medrec/ingest/jobs/ocr-job-runner';
import { loadConfig, logOptions, shutdownOnSignals, withJsonLogs } from '@medrec/platform';
import { WorkerModule } from './worker.module';

/**
 * `medrec` OCR worker for production: competes with other workers (and any API in embedded
 * mode) for pending OCR jobs; each job is claimed on its own stream, so none runs twice at once.
 * It logs JSON lines, as the API does.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const jsonLogs = pino(logOptions('worker', config.logLevel));
  const app = await NestFactory.createApplicationContext(withJsonLogs(WorkerModule.forRoot(config), jsonLogs), { bufferLogs: true });
  app.useLogger(app.get(PinoNestLogger));
  // No Nest shutdown hooks: shutdownOnSignals below stops OCR first, then closes the app.
  new Logger('worker').log(`OCR worker started (${config.ocr.workers} OCR threads, event store ${config.eventStore.kind})`);

  const logger = new Logger('Shutdown');
  shutdownOnSignals({
    timeoutMs: config.shutdownTimeoutMs,
    log: (message) => logger.log(message),
    async stop(deadline) {
      // The documents in hand may finish in the first half; past it their claims are released for
      // another worker and the pages being recognized finish. Then the read models and stores close.
      await app.get(OcrJobRunner).stop({ graceMs: (deadline - Date.now()) * OCR_SHARE });
      await app.close();
    },
  });
}

/** Share of MEDREC_SHUTDOWN_TIMEOUT_MS the documents in hand may take to finish. */
const OCR_SHARE = 0.5;

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
