import { DynamicModule, Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { EventSourcedRunner, PhiCodec, PipelinedAppender } from '@medrec/application';
import { HashingSlots, TokenRevocations, TokenService, UserDirectory } from '@medrec/auth';
import { BLOB_STORE } from '@medrec/blob-store';
import { KEY_STORE } from '@medrec/crypto';
import { EVENT_STORE, EventStore } from '@medrec/event-store';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { countingAppends } from '../metrics/counting-event-store';
import { METRICS } from '../metrics/metrics.port';
import { PrometheusMetrics } from '../metrics/prometheus-metrics';
import { secureDataDir } from '../stores/data-dir';
import { DataDirHolder, lockDataDir } from '../stores/data-dir-lock';
import { DestructionLedger } from '../stores/destruction-ledger';
import { openStores, Stores } from '../stores/open-stores';
import { loadServerSecret, SERVER_SECRET } from './server-secret';

/** The stores of openStores, opened once the data directory is owner-only. */
const STORES = Symbol('STORES');

/** The stores and the shell services over them, chosen by configuration. Closed on shutdown. */
@Global()
@Module({})
export class InfrastructureModule implements OnApplicationShutdown {
  constructor(@Inject(STORES) private readonly stores: Stores) {}

  /** `holder`: what this process is to its data directory (see lockDataDir): an API server, or an OCR worker. */
  static forRoot(config: AppConfig, holder: Extract<DataDirHolder, 'server' | 'worker'> = 'server'): DynamicModule {
    const logger = new Logger('Infrastructure');
    const warn = (message: string) => logger.warn(message);
    return {
      module: InfrastructureModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        {
          provide: STORES,
          useFactory: (): Promise<Stores> => {
            // Synchronous until openStores: a data directory that cannot be used is the first error reported.
            secureDataDir(config.dataDir, warn);
            // Held while the process runs: a restore of the directory, or a second server on it, is
            // refused meanwhile, and no process starts while a restore runs.
            const lock = lockDataDir(config.dataDir, holder);
            return openStores(config, { warn }).then(
              (stores) => ({ ...stores, close: () => stores.close().finally(() => lock.release()) }),
              (error: unknown) => {
                lock.release();
                throw error;
              },
            );
          },
        },
        // One registry per app: a test process may run several.
        { provide: PrometheusMetrics, useFactory: () => new PrometheusMetrics() },
        { provide: METRICS, useExisting: PrometheusMetrics },
        {
          provide: EVENT_STORE,
          inject: [STORES, METRICS],
          useFactory: (stores: Stores, metrics: PrometheusMetrics) => countingAppends(stores.events, metrics),
        },
        { provide: KEY_STORE, inject: [STORES], useFactory: (stores: Stores) => stores.keys },
        { provide: BLOB_STORE, inject: [STORES], useFactory: (stores: Stores) => stores.blobs },
        { provide: PhiCodec, inject: [STORES], useFactory: (stores: Stores) => stores.codec },
        {
          provide: EventSourcedRunner,
          useFactory: (store: EventStore, codec: PhiCodec) => new EventSourcedRunner(store, codec),
          inject: [EVENT_STORE, PhiCodec],
        },
        { provide: PipelinedAppender, useFactory: (store: EventStore) => new PipelinedAppender(store), inject: [EVENT_STORE] },
        { provide: HashingSlots, useFactory: () => new HashingSlots(config.passwordHashing.concurrency, config.passwordHashing.maxWaiting) },
        {
          provide: UserDirectory,
          useFactory: (eventSourced: EventSourcedRunner, hashing: HashingSlots) =>
            new UserDirectory(eventSourced, { refreshMs: config.userRefreshMs, hashing }),
          inject: [EventSourcedRunner, HashingSlots],
        },
        {
          provide: TokenRevocations,
          useFactory: (eventSourced: EventSourcedRunner, appender: PipelinedAppender) => new TokenRevocations(eventSourced, appender, config.userRefreshMs),
          inject: [EventSourcedRunner, PipelinedAppender],
        },
        { provide: DestructionLedger, useFactory: () => new DestructionLedger(config.destructionLedger) },
        { provide: SERVER_SECRET, useFactory: (): Buffer => loadServerSecret(config) },
        {
          provide: TokenService,
          useFactory: (secret: Buffer) => new TokenService(secret, config.tokenTtlSeconds, config.maxSessionSeconds),
          inject: [SERVER_SECRET],
        },
      ],
      exports: [
        APP_CONFIG,
        PrometheusMetrics,
        METRICS,
        EVENT_STORE,
        KEY_STORE,
        BLOB_STORE,
        PhiCodec,
        EventSourcedRunner,
        PipelinedAppender,
        HashingSlots,
        UserDirectory,
        TokenRevocations,
        TokenService,
        SERVER_SECRET,
        DestructionLedger,
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stores.close();
  }
}
