import { certificateSha256, EventSourcedRunner, PhiCodec } from '@medrec/application';
import { BlobNotFoundError, getDecrypted } from '@medrec/blob-store';
import { ChainBreak, ChainWalker, KeyStore } from '@medrec/crypto';
import { certificateOf, type ContentRef, disposalDecider } from '@medrec/domain';
import type { EventStore } from '@medrec/event-store';
import type { BlobStore } from '@medrec/blob-store';

export type ContentProblemReason = 'missing' | 'sha256-mismatch' | 'undecryptable' | 'key-missing' | 'key-not-destroyed';

export interface ContentProblem {
  stream: string;
  version: number | null;
  reason: ContentProblemReason;
}

/**
 * `sha256-mismatch`: the certificate re-derived from the batch's events does not hash to the SHA-256
 * appended when it was issued (the events it is built from were altered). `unreadable`: the batch's
 * sealed facts (MRNs) cannot be opened (its key is missing), or the batch cannot be folded.
 */
export type CertificateProblemReason = 'sha256-mismatch' | 'unreadable';

export interface CertificateProblem {
  stream: string;
  certificateId: string;
  reason: CertificateProblemReason;
}

export interface VerificationReport {
  streams: number;
  events: number;
  contentsChecked: number;
  /** Certificates of destruction re-derived from their batch's events and compared with CertificateIssued. */
  certificatesChecked: number;
  /** The first broken link of each broken stream. */
  brokenChains: readonly ChainBreak[];
  contentProblems: ContentProblem[];
  certificateProblems: CertificateProblem[];
  valid: boolean;
}

export interface VerifyOptions {
  /** Also read every stored content back and compare its SHA-256 (default true). */
  content?: boolean;
  batchSize?: number;
  onProgress?(progress: { events: number; contents: number }): void;
}

interface RecordContents {
  stream: string;
  versions: Array<{ version: number; content: ContentRef }>;
  destroyed: boolean;
}

const RECORD_STREAM = /^record-([0-9a-f-]{36})$/;
const DISPOSAL_STREAM = /^disposal-[0-9a-f-]{36}$/;

/**
 * Walks the whole log once: every stream's hash chain, then every issued certificate of
 * destruction (re-derived from its batch's events as the API serves it, and hashed against the
 * SHA-256 of its CertificateIssued), then (unless disabled) every stored version of every live
 * record, decrypted and hashed against the SHA-256 recorded at upload. A destroyed record must
 * have lost its key.
 */
export async function verifyStore(
  stores: { events: EventStore; keys: KeyStore; blobs: BlobStore; codec: PhiCodec },
  options: VerifyOptions = {},
): Promise<VerificationReport> {
  const walker = new ChainWalker();
  const records = new Map<string, RecordContents>();
  /** Disposal streams with a CertificateIssued (its type is in clear), in log order. */
  const issued = new Set<string>();
  const batchSize = options.batchSize ?? 1000;
  let from = 0;
  let events = 0;
  for (;;) {
    const batch = await stores.events.readAll({ fromPosition: from, maxCount: batchSize });
    if (batch.length === 0) break;
    for (const event of batch) {
      walker.visit(event);
      const recordId = RECORD_STREAM.exec(event.stream)?.[1];
      if (recordId) collectContent(records, recordId, event.stream, event.type, event.data);
      else if (event.type === 'CertificateIssued' && DISPOSAL_STREAM.test(event.stream)) issued.add(event.stream);
    }
    events += batch.length;
    from = batch[batch.length - 1].position;
    options.onProgress?.({ events, contents: 0 });
  }

  const certificateProblems = await checkCertificates(new EventSourcedRunner(stores.events, stores.codec), issued);

  const contentProblems: ContentProblem[] = [];
  let contentsChecked = 0;
  if (options.content !== false) {
    for (const [recordId, record] of records) {
      const key = await stores.keys.get(recordId);
      try {
        if (record.destroyed) {
          if (key) contentProblems.push({ stream: record.stream, version: null, reason: 'key-not-destroyed' });
          continue;
        }
        if (!key) {
          contentProblems.push({ stream: record.stream, version: null, reason: 'key-missing' });
          continue;
        }
        for (const { version, content } of record.versions) {
          const reason = await checkContent(stores.blobs, content, key);
          contentsChecked += 1;
          if (reason) contentProblems.push({ stream: record.stream, version, reason });
          options.onProgress?.({ events, contents: contentsChecked });
        }
      } finally {
        key?.fill(0); // the key store hands out copies; this one is done with
      }
    }
  }
  return {
    streams: walker.streams,
    events,
    contentsChecked,
    certificatesChecked: issued.size,
    brokenChains: walker.broken,
    contentProblems,
    certificateProblems,
    valid: walker.broken.length === 0 && contentProblems.length === 0 && certificateProblems.length === 0,
  };
}

/** Each batch loaded and its certificate derived exactly as the API does (DisposalBatches.certificate), then compared. */
async function checkCertificates(runner: EventSourcedRunner, streams: Iterable<string>): Promise<CertificateProblem[]> {
  const problems: CertificateProblem[] = [];
  for (const stream of streams) {
    let certificateId = '';
    try {
      // The batch's PHI (MRNs) is sealed with its own key, whose id is the stream name.
      const loaded = await runner.load(stream, stream, disposalDecider);
      const batch = loaded.state;
      if (batch.status === 'absent' || !batch.certificate) throw new Error('no certificate in the folded batch');
      certificateId = batch.certificate.certificateId;
      if (loaded.events.some((e) => !e.phiReadable)) {
        problems.push({ stream, certificateId, reason: 'unreadable' });
      } else if (certificateSha256(certificateOf(batch)) !== batch.certificate.sha256) {
        problems.push({ stream, certificateId, reason: 'sha256-mismatch' });
      }
    } catch {
      problems.push({ stream, certificateId, reason: 'unreadable' });
    }
  }
  return problems;
}

function collectContent(records: Map<string, RecordContents>, recordId: string, stream: string, type: string, data: Record<string, unknown>): void {
  let record = records.get(recordId);
  if (!record) {
    record = { stream, versions: [], destroyed: false };
    records.set(recordId, record);
  }
  if (type === 'RecordDestroyed') record.destroyed = true;
  // `content` is not PHI (keys, digests, sizes): it stays readable without the record key.
  if ((type === 'RecordCreated' || type === 'RecordAmended') && data.content) {
    record.versions.push({ version: Number(data.version), content: data.content as ContentRef });
  }
}

async function checkContent(blobs: BlobStore, content: ContentRef, key: Buffer): Promise<ContentProblemReason | undefined> {
  try {
    const stream = await getDecrypted(blobs, content.blobKey, key, { expectedSha256: content.sha256 });
    for await (const _chunk of stream) {
      /* hashed on the way through */
    }
    return undefined;
  } catch (error) {
    if (error instanceof BlobNotFoundError) return 'missing';
    if ((error as Error).name === 'BlobIntegrityError') return 'sha256-mismatch';
    return 'undecryptable';
  }
}
