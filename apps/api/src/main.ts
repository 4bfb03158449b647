import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadConfig } from '@medrec/platform';
import { createApp } from './create-app';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(config);
  await app.listen(config.port, config.host);
  new Logger('medrec').log(
    `Listening on http://${config.host}:${config.port} (data in ${config.dataDir}, event store ${config.eventStore.kind}); OpenAPI at /docs`,
  );
}

main().catch((error) => {
  // Configuration and start-up errors carry no PHI; print them plainly and exit non-zero.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
