import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { CommandContext, EventSourcedRunner, LoadedStream } from '@medrec/application';
import { BLOB_STORE, BlobStore, getDecrypted, putEncrypted } from '@medrec/blob-store';
import { KEY_STORE, KeyStore } from '@medrec/crypto';
import {
  checkFulfilment,
  currentVersion,
  DomainError,
  ExistingRecordState,
  ExistingReleaseRequest,
  PackagedRecord,
  PurposeOfUse,
  RecordInScope,
  ReleaseRequestCommand,
  releaseRequestDecider,
  ReleaseRequestEvent,
  ReleaseRequestFields,
  ReleaseRequestState,
  releaseRequestStream,
  validateReleaseRequest,
} from '@medrec/domain';
import { auditRecordRead } from '../records/audited-record-read';
import { RecordContent } from '../records/record-content';
import { RecordRepository } from '../records/record-repository';
import { PackagedRecordSource, releasePackageStream } from './release-package';

type LoadedRequest = LoadedStream<ReleaseRequestState, ReleaseRequestEvent>;

/** Where a request's package is stored: a fresh name per build, so a build that loses a race never overwrites the winner's. */
const newPackageKey = (requestId: string): string => `release-requests/${requestId}/package-${randomUUID()}.zip`;

/** Records worked on at once: their appends to their own streams share the event store's group commits. */
const RECORD_CONCURRENCY = 16;

/** Runs `fn` over the items, RECORD_CONCURRENCY at a time; the results in the items' order. */
async function inChunks<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += RECORD_CONCURRENCY) results.push(...(await Promise.all(items.slice(i, i + RECORD_CONCURRENCY).map(fn))));
  return results;
}

export const packageUrl = (requestId: string): string => `/api/release-requests/${requestId}/package`;

/**
 * Release-of-information requests (HIPAA right of access): each is a process stream
 * (`release-request-<id>`, releaseRequestDecider) sealed with a key of its own, which also
 * encrypts its package. Fulfilment: check (authorization, records in scope), build the package
 * (a ZIP streamed through the stream cipher into the blob store), record it on the request
 * (ReleasePackageBuilt), append RecordReleased (release id = request id) to every record it
 * holds that has not got it yet, then ReleaseRequestFulfilled. Each step is idempotent, so a
 * fulfilment interrupted anywhere is finished by asking again, with the same package.
 */
@Injectable()
export class ReleaseRequests {
  constructor(
    private readonly eventSourced: EventSourcedRunner,
    private readonly records: RecordRepository,
    private readonly content: RecordContent,
    @Inject(KEY_STORE) private readonly keys: KeyStore,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
  ) {}

  async receive(request: ReleaseRequestFields, context: CommandContext): Promise<{ id: string; dueAt: string; position: number }> {
    validateReleaseRequest(request, context.at.slice(0, 10));
    const unknown: string[] = [];
    for (const id of new Set(request.recordIds)) {
      if ((await this.records.load(id)).state.status === 'absent') unknown.push(id);
    }
    if (unknown.length > 0) throw DomainError.invalid([{ field: 'recordIds', message: `names records that do not exist: ${unknown.join(', ')}` }]);
    const requestId = randomUUID();
    const stream = releaseRequestStream(requestId);
    (await this.keys.create(stream)).fill(0);
    try {
      const result = await this.run(requestId, { type: 'ReceiveReleaseRequest', requestId, actor: context.actor, at: context.at, ...request }, context);
      return { id: requestId, dueAt: (result.state as ExistingReleaseRequest).dueAt, position: result.position! };
    } catch (error) {
      await this.keys.destroy(stream);
      throw error;
    }
  }

  /** The request as folded from its stream; 404 when there is none. */
  async get(requestId: string): Promise<ExistingReleaseRequest> {
    return existing(await this.load(requestId));
  }

  /**
   * Fulfils the request (idempotent: a fulfilled request answers its package again; resumable: an
   * interrupted one finishes with the package it built). 409 when denied, when the authorization
   * expired, or when a record in scope is destroyed or another patient's; nothing is appended then.
   */
  async fulfil(requestId: string, context: CommandContext): Promise<{ packageUrl: string; position: number | null }> {
    let loaded = await this.load(requestId);
    let request = existing(loaded);
    let position: number | null = null;
    if (request.status === 'fulfilled') return { packageUrl: packageUrl(requestId), position };
    if (!request.package) {
      const found = await Promise.all(request.recordIds.map((id) => this.records.load(id)));
      const inScope: RecordInScope[] = found.map(({ state }, i) =>
        state.status === 'absent' ? { recordId: request.recordIds[i], status: 'absent' } : { recordId: state.recordId, status: state.status, mrn: state.mrn },
      );
      checkFulfilment(request, inScope, context.at);
      const states = found.map((f) => f.state as ExistingRecordState);
      const releases: PackagedRecord[] = states.map((s) => ({ recordId: s.recordId, versions: [currentVersion(s).version] }));
      const packageKey = newPackageKey(requestId);
      const stored = await this.buildPackage(request, states, packageKey, context);
      try {
        const result = await this.run(
          requestId,
          {
            type: 'RecordReleasePackage',
            requestId,
            actor: context.actor,
            at: context.at,
            records: inScope,
            packageKey,
            sha256: stored.sha256,
            size: stored.size,
            releases,
          },
          context,
          loaded,
        );
        position = result.position;
      } catch (error) {
        await this.blobs.delete(packageKey).catch(() => undefined);
        throw error;
      }
      loaded = await this.load(requestId, loaded);
      request = existing(loaded);
      // Built concurrently by another call that won: its package stands, this one goes.
      if (request.package && request.package.packageKey !== packageKey) await this.blobs.delete(packageKey).catch(() => undefined);
    }
    const built = request.package!;
    // Each record on its own stream, a few at a time: their appends share the event store's commits.
    for (const appended of await inChunks(built.releases, (release) => this.releaseRecord(request, release, context))) {
      if (appended > 0) position = Math.max(position ?? 0, appended);
    }
    const completed = await this.run(requestId, { type: 'CompleteReleaseRequest', requestId, actor: context.actor, at: context.at }, context, loaded);
    if (completed.position !== null) position = completed.position;
    return { packageUrl: packageUrl(requestId), position };
  }

  async deny(requestId: string, reason: string, context: CommandContext): Promise<{ id: string; status: 'denied'; position: number | null }> {
    const result = await this.run(requestId, { type: 'DenyReleaseRequest', requestId, actor: context.actor, at: context.at, reason }, context);
    return { id: requestId, status: 'denied', position: result.position };
  }

  /**
   * The package of a fulfilled request, decrypted as it streams (checked against its SHA-256 at
   * the end). Audited before anything is returned: one RecordAccessed (content, with the declared
   * purpose) per released version; a record destroyed since answers 410 and nothing is sent.
   */
  async openPackage(requestId: string, context: CommandContext & { purpose: PurposeOfUse }): Promise<{ body: Readable; size: number; sha256: string }> {
    const request = existing(await this.load(requestId));
    if (request.status !== 'fulfilled' || !request.package)
      throw new DomainError('conflict', 'The release request has not been fulfilled: there is no package yet');
    const built = request.package;
    if (built.shredded) throw new DomainError('gone', 'The release package was shredded: a record it held has been destroyed');
    try {
      await inChunks(built.releases, (release) => auditRecordRead(this.records, release.recordId, context, 'content', release.versions));
    } catch (error) {
      // A record destroyed before the shredder came round: its copy in the package goes now.
      if (error instanceof DomainError && error.kind === 'gone') await this.shredPackageOfDestroyed(requestId, context);
      throw error;
    }
    const stream = releaseRequestStream(requestId);
    const key = await this.keys.get(stream);
    if (!key) throw new DomainError('gone', 'The release package is no longer readable');
    let body: Readable;
    try {
      body = await getDecrypted(this.blobs, built.packageKey, key, { expectedSha256: built.sha256 });
    } catch (error) {
      key.fill(0);
      throw error;
    }
    body.once('close', () => key.fill(0));
    return { body, size: built.size, sha256: built.sha256 };
  }

  private async buildPackage(request: ExistingReleaseRequest, states: ExistingRecordState[], packageKey: string, context: CommandContext) {
    const sources: PackagedRecordSource[] = states.map((s) => ({
      recordId: s.recordId,
      documentType: s.documentType,
      version: currentVersion(s),
      statements: s.amendmentStatements,
    }));
    const zip = releasePackageStream(
      {
        id: request.requestId,
        mrn: request.mrn ?? '',
        requester: request.requester ?? '',
        recipient: request.recipient ?? { name: '' },
        purpose: request.purpose ?? '',
        authorizationReference: request.authorizationReference ?? '',
        authorizationExpires: request.authorizationExpires,
        receivedAt: request.receivedAt,
        dueAt: request.dueAt,
        builtBy: context.actor.username,
        builtAt: context.at,
      },
      sources,
      { openContent: (recordId, content) => this.content.open(recordId, content), readText: (recordId, textKey) => this.content.readText(recordId, textKey) },
    );
    const key = await this.keys.get(releaseRequestStream(request.requestId));
    if (!key) throw new DomainError('gone', 'The release request’s key is gone');
    try {
      return await putEncrypted(this.blobs, packageKey, zip, key);
    } catch (error) {
      zip.destroy();
      await this.blobs.delete(packageKey).catch(() => undefined);
      throw error;
    } finally {
      key.fill(0);
    }
  }

  /**
   * Deletes the package of a request when a record it holds is destroyed (the package is a copy of
   * the record's content, under the request's key, which stays: the request's own details are not
   * the record's), then appends ReleasePackageShredded. Idempotent and safe on every node: the blob
   * is deleted before the event, so a crash between them deletes it again next time.
   */
  async shredPackage(requestId: string, recordId: string, context: CommandContext): Promise<'shredded' | 'nothing-to-shred'> {
    const loaded = await this.load(requestId);
    const built = loaded.state.status === 'absent' ? undefined : loaded.state.package;
    if (!built || built.shredded || !built.releases.some((r) => r.recordId === recordId)) return 'nothing-to-shred';
    await this.blobs.delete(built.packageKey);
    const result = await this.run(requestId, { type: 'ShredReleasePackage', requestId, recordId, actor: context.actor, at: context.at }, context, loaded);
    return result.position === null ? 'nothing-to-shred' : 'shredded';
  }

  /** shredPackage for the destroyed records of a request's package (found when it was asked for). */
  private async shredPackageOfDestroyed(requestId: string, context: CommandContext): Promise<void> {
    const request = existing(await this.load(requestId));
    for (const release of request.package?.releases ?? []) {
      if ((await this.records.load(release.recordId)).state.status === 'destroyed') {
        await this.shredPackage(requestId, release.recordId, context);
        return;
      }
    }
  }

  /** RecordReleased on one record of the package, unless it already has this release (a resumed fulfilment); the position appended or 0. */
  private async releaseRecord(request: ExistingReleaseRequest, release: PackagedRecord, context: CommandContext): Promise<number> {
    const { state, revision } = await this.records.load(release.recordId);
    if (state.status !== 'absent' && state.releases.includes(request.requestId)) return 0;
    // Against the revision just read: a concurrent fulfilment that released it meanwhile makes this a 409, never a second release.
    const result = await this.records.execute(
      {
        type: 'ReleaseRecord',
        recordId: release.recordId,
        actor: context.actor,
        at: context.at,
        releaseId: request.requestId,
        recipient: request.recipient!,
        purpose: request.purpose!,
        authorizationReference: request.authorizationReference!,
        versions: release.versions,
        description: `Release package of request ${request.requestId} (right of access)`,
      },
      context,
      revision ?? undefined,
    );
    return result.position ?? 0;
  }

  private load(requestId: string, since?: LoadedRequest): Promise<LoadedRequest> {
    const stream = releaseRequestStream(requestId);
    return this.eventSourced.load(stream, stream, releaseRequestDecider, since);
  }

  private run(requestId: string, command: ReleaseRequestCommand, context: CommandContext, since?: LoadedRequest) {
    const stream = releaseRequestStream(requestId);
    return this.eventSourced.run({ stream, keyId: stream, decider: releaseRequestDecider, command, context, since });
  }
}

function existing(loaded: LoadedRequest): ExistingReleaseRequest {
  if (loaded.state.status === 'absent') throw new DomainError('not-found', 'No such release request');
  return loaded.state;
}
