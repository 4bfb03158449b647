import { DynamicModule, Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { hkdfSync } from 'node:crypto';
import { join } from 'node:path';
import { EventSourcedRunner, PhiCodec, PipelinedAppender } from '@medrec/application';
import { HashingSlots, TokenRevocations, TokenService, UserDirectory } from '@medrec/auth';
import { BLOB_STORE, BlobStore } from '@medrec/blob-store';
import { KEY_STORE, KeyStore, loadMasterKey, SqliteKeyStore } from '@medrec/crypto';
import { QUERY_AUDIT_PHI_FIELDS, RECORD_PHI_FIELDS } from '@medrec/domain';
import { EVENT_STORE, EventStore } from '@medrec/event-store';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { createBlobStore } from './create-blob-store';
import { createEventStore } from './create-event-store';
import { secureDataDir } from './data-dir';
import { loadOrCreateSecretFile } from './secret-file';

/**
 * The server's secret (MEDREC_TOKEN_SECRET, else a file in the data directory): every API instance
 * of one deployment shares it. Tokens are signed with it; other keys are derived from it (HKDF).
 */
export const SERVER_SECRET = Symbol('SERVER_SECRET');

/** The data directory, made owner-only before any store opens a file in it. */
const DATA_DIR = Symbol('DATA_DIR');

/** A key for one purpose, derived from the server's secret, the same in every instance and after restarts. */
export function deriveServerKey(secret: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `medrec ${purpose}`, 32));
}

/** The stores and the shell services over them, chosen by configuration. Closed on shutdown. */
@Global()
@Module({})
export class InfrastructureModule implements OnApplicationShutdown {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(KEY_STORE) private readonly keys: KeyStore,
  ) {}

  static forRoot(config: AppConfig): DynamicModule {
    const logger = new Logger('Infrastructure');
    return {
      module: InfrastructureModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: DATA_DIR, useFactory: () => secureDataDir(config.dataDir, (message) => logger.warn(message)) },
        { provide: EVENT_STORE, inject: [DATA_DIR], useFactory: () => createEventStore(config) },
        {
          provide: KEY_STORE,
          inject: [DATA_DIR],
          useFactory: () =>
            new SqliteKeyStore({
              file: join(config.dataDir, 'keys.db'),
              masterKey: loadMasterKey({
                env: { MEDREC_MASTER_KEY: config.masterKey },
                dataDir: config.dataDir,
                embedded: config.embedded,
                warn: (message) => logger.warn(message),
              }),
            }),
        },
        { provide: BLOB_STORE, inject: [DATA_DIR], useFactory: (): Promise<BlobStore> => createBlobStore(config) },
        { provide: PhiCodec, useFactory: (keys: KeyStore) => new PhiCodec(keys, { ...RECORD_PHI_FIELDS, ...QUERY_AUDIT_PHI_FIELDS }), inject: [KEY_STORE] },
        { provide: EventSourcedRunner, useFactory: (store: EventStore, codec: PhiCodec) => new EventSourcedRunner(store, codec), inject: [EVENT_STORE, PhiCodec] },
        { provide: PipelinedAppender, useFactory: (store: EventStore) => new PipelinedAppender(store), inject: [EVENT_STORE] },
        { provide: HashingSlots, useFactory: () => new HashingSlots(config.passwordHashing.concurrency, config.passwordHashing.maxWaiting) },
        {
          provide: UserDirectory,
          useFactory: (runner: EventSourcedRunner, hashing: HashingSlots) => new UserDirectory(runner, { refreshMs: config.userRefreshMs, hashing }),
          inject: [EventSourcedRunner, HashingSlots],
        },
        {
          provide: TokenRevocations,
          useFactory: (runner: EventSourcedRunner, appender: PipelinedAppender) => new TokenRevocations(runner, appender, config.userRefreshMs),
          inject: [EventSourcedRunner, PipelinedAppender],
        },
        {
          provide: SERVER_SECRET,
          useFactory: (): Buffer =>
            config.tokenSecret ? Buffer.from(config.tokenSecret, 'base64') : loadOrCreateSecretFile(join(config.dataDir, 'token.secret')),
        },
        { provide: TokenService, useFactory: (secret: Buffer) => new TokenService(secret, config.tokenTtlSeconds), inject: [SERVER_SECRET] },
      ],
      exports: [APP_CONFIG, EVENT_STORE, KEY_STORE, BLOB_STORE, PhiCodec, EventSourcedRunner, PipelinedAppender, HashingSlots, UserDirectory, TokenRevocations, TokenService, SERVER_SECRET],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.events.close();
    await this.keys.close();
  }
}
