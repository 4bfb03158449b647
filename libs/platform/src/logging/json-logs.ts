import type { DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { LOG_SERIALIZERS } from './log-options';

/**
 * `app` with nestjs-pino: Nest's own logs and every `Logger` call go to `logger` once the app
 * calls `useLogger(app.get(Logger))` (nestjs-pino's), those made while handling a request with its
 * id. The API's request lines come from its own pino-http middleware (`useExisting`), mounted first.
 */
export function withJsonLogs(app: DynamicModule, logger: Logger): DynamicModule {
  return {
    module: JsonLoggedApp,
    imports: [app, LoggerModule.forRoot({ pinoHttp: { logger, serializers: LOG_SERIALIZERS, wrapSerializers: false }, useExisting: true })],
  };
}

class JsonLoggedApp {}
