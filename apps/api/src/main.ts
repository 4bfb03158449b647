import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { OcrJobRunner } from '@medrec/ingest/jobs/ocr-job-runner';
import { loadConfig, shutdownOnSignals } from '@medrec/platform';
import { createApp } from './create-app';
import { HttpDrain } from './http/http-drain';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(config);
  const drain = new HttpDrain(app.getHttpServer());
  app.use(drain.refuseWhileDraining);
  await app.listen(config.port, config.host);
  new Logger('medrec').log(
    `Listening on http://${config.host}:${config.port} (data in ${config.dataDir}, event store ${config.eventStore.kind}); OpenAPI at /docs`,
  );

  const logger = new Logger('Shutdown');
  shutdownOnSignals({
    timeoutMs: config.shutdownTimeoutMs,
    log: (message) => logger.log(message),
    onTimeout: () => drain.cut(),
    async stop(deadline) {
      const budget = deadline - Date.now();
      // HTTP and OCR wind down side by side; the stores close after both (Nest's hooks, app.close).
      const [answered] = await Promise.all([
        drain.drain(Date.now() + budget * HTTP_SHARE),
        app.get(OcrJobRunner, { strict: false })?.stop({ graceMs: budget * OCR_SHARE }),
      ]);
      if (!answered) {
        logger.warn(
          `${drain.requestsInFlight} request(s) still unanswered after ${Math.round(budget * HTTP_SHARE)} ms: connections cut, nothing of theirs acknowledged`,
        );
        drain.cut();
      }
      await app.close();
    },
  });
}

/** Shares of MEDREC_SHUTDOWN_TIMEOUT_MS: what is left after them closes the read models and stores. */
const HTTP_SHARE = 0.6;
const OCR_SHARE = 0.5;

main().catch((error) => {
  // Configuration and start-up errors carry no PHI; print them plainly and exit non-zero.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
