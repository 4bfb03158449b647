import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { CommandContext, systemActor, WorkLoop } from '@medrec/application';
import { APP_CONFIG, AppConfig, loadOrCreateNodeId } from '@medrec/platform';
import { ReadModels } from '@medrec/read-models';
import { ReleaseRequests } from './release-requests.service';

const POLL_MS = 1_000;
/** After a failure (the blob store unreachable, a concurrent append), the package waits this long. */
const RETRY_MS = 30_000;
const BATCH = 16;

/**
 * Destroying a record must leave no copy of it: a release package that holds it (encrypted under
 * its request's key, not the record's) is deleted once the record's RecordDestroyed is projected
 * (the release-requests projection lists it until its ReleasePackageShredded). Runs in every API
 * process; shredding is idempotent, so two nodes taking the same package append one event.
 */
@Injectable()
export class ReleasePackageShredder implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('ReleasePackages');
  private readonly nodeId: string;
  private readonly loop = new WorkLoop(
    'Release package shredding',
    POLL_MS,
    () => this.shredDue(),
    (message) => this.logger.warn(message),
  );
  private readonly notBefore = new Map<string, number>();

  constructor(
    private readonly releases: ReleaseRequests,
    private readonly readModels: ReadModels,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.nodeId = loadOrCreateNodeId(join(config.dataDir, 'node.id'));
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
  }

  /** One pass over the packages due; then the loop waits (what failed waits RETRY_MS). */
  private async shredDue(): Promise<boolean> {
    const now = Date.now();
    for (const { requestId, recordId } of this.readModels.packagesToShred(BATCH)) {
      if (!this.loop.isRunning) break;
      const key = `${requestId}/${recordId}`;
      if ((this.notBefore.get(key) ?? 0) > now) continue;
      try {
        if ((await this.releases.shredPackage(requestId, recordId, this.context())) === 'shredded') {
          this.logger.log(`Release package of request ${requestId} shredded: record ${recordId} was destroyed`);
        }
        // Until the projection shows the ReleasePackageShredded, the row stays: not asked again meanwhile.
        this.notBefore.set(key, now + RETRY_MS);
      } catch (error) {
        this.notBefore.set(key, now + RETRY_MS);
        this.logger.warn(`Release package of request ${requestId} not shredded yet (${(error as Error).name}); retried in ${RETRY_MS / 1000} s`);
      }
    }
    for (const [key, at] of this.notBefore) if (at <= now) this.notBefore.delete(key);
    return false;
  }

  private context(): CommandContext {
    return { actor: systemActor(`release-packages@${this.nodeId}`), correlationId: randomUUID(), at: new Date().toISOString() };
  }
}
