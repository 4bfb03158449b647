import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { BLOB_STORE, BlobStore } from '@medrec/blob-store';
import { KEY_STORE, KeyStore } from '@medrec/crypto';
import { EVENT_STORE, EventStore } from '@medrec/event-store';
import { APP_CONFIG, AppConfig } from '@medrec/platform';
import { ProjectionRunner } from '@medrec/read-models';

/** A check that has not answered by then counts as down: a store that hangs is not ready either. */
const CHECK_TIMEOUT_MS = 5_000;

/** A key id no record ever has (the nil UUID; records' ids are random, version 4): its lookup reads the key store and finds nothing. */
export const HEALTH_KEY_ID = '00000000-0000-0000-0000-000000000000';

export interface ProjectionStatus {
  name: string;
  position: number;
  lag: number;
}

/** What the readiness checks found, beyond up or down: the answer of /health/ready keeps these fields. */
export interface ReadinessFacts {
  position?: number;
  projections?: ProjectionStatus[];
}

/**
 * The checks behind /health/ready, as terminus health indicators: the event store (its head), the
 * blob store (ping), the key store (a lookup through the KeyStore port, whatever the adapter) and
 * the read models' lag (down above MEDREC_READY_MAX_LAG, when set). A failing check reports the
 * error's type and our own sentence only: third-party messages may quote keys or addresses.
 */
@Injectable()
export class ReadinessChecks {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(KEY_STORE) private readonly keys: KeyStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly projections: ProjectionRunner,
    private readonly indicators: HealthIndicatorService,
  ) {}

  /** The indicators for HealthCheckService.check, filling `facts` as they answer. */
  indicatorsFor(facts: ReadinessFacts): Array<() => Promise<HealthIndicatorResult>> {
    return [
      () =>
        this.check('eventStore', 'The event store did not answer', async () => {
          facts.position = await this.events.headPosition();
          return { position: facts.position };
        }),
      () => this.check('blobStore', 'The blob store did not answer or cannot take writes', async () => void (await this.blobs.ping())),
      () => this.check('keyStore', 'The key store did not answer', async () => void (await this.keys.get(HEALTH_KEY_ID))),
      () => this.projectionsCheck(facts),
    ];
  }

  private async projectionsCheck(facts: ReadinessFacts): Promise<HealthIndicatorResult> {
    const session = this.indicators.check('projections');
    let status: ProjectionStatus[];
    try {
      status = await withTimeout(this.projections.status());
    } catch (error) {
      return session.down({ message: `The read models' lag could not be read (${errorType(error)})` });
    }
    facts.projections = status;
    const maxLag = Math.max(0, ...status.map((p) => p.lag));
    const limit = this.config.readyMaxLag;
    const lastError = this.projections.lastError();
    const data = { maxLag, ...(limit !== undefined ? { limit } : {}), ...(lastError ? { lastError } : {}) };
    if (limit !== undefined && maxLag > limit) {
      const behind = status.filter((p) => p.lag > limit).map((p) => p.name);
      return session.down({ ...data, behind, message: `Read models more than ${limit} events behind (MEDREC_READY_MAX_LAG)` });
    }
    return session.up(data);
  }

  private async check(key: string, failure: string, probe: () => Promise<Record<string, unknown> | void>): Promise<HealthIndicatorResult> {
    const session = this.indicators.check(key);
    try {
      return session.up((await withTimeout(probe())) ?? {});
    } catch (error) {
      return session.down({ message: `${failure} (${errorType(error)})` });
    }
  }
}

function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimeoutError()), CHECK_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

class CheckTimeoutError extends Error {
  constructor() {
    super(`No answer within ${CHECK_TIMEOUT_MS} ms`);
    this.name = 'CheckTimeoutError';
  }
}

/** The error's type and, for a system error, its code (ENOTDIR, ECONNREFUSED): never its message. */
function errorType(error: unknown): string {
  const e = error as { name?: unknown; code?: unknown };
  const name = typeof e?.name === 'string' ? e.name : 'Error';
  return typeof e?.code === 'string' && /^[A-Za-z0-9_]{2,40}$/.test(e.code) ? `${name} ${e.code}` : name;
}
