import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { BLOB_STORE, BlobStore, readStoredText } from '@medrec/blob-store';
import type { VersionState } from '@medrec/domain';
import { ReadModels } from '@medrec/read-models';
import { parseAfter } from '../../http/after-param';
import { RecordContent } from '../../records/record-content';
import { RecordRepository } from '../../records/record-repository';
import { versionView } from '../../records/record-view';
import { wordDiff } from '../word-diff';
import { auditRecordRead } from '../../records/audited-record-read';
import { GetVersionDiffQuery, VersionDiffView } from './history-queries';

/** Pages are joined with a blank line: a word moved across a page break is a move, not two edits of a page. */
const PAGE_BREAK = '\n\n';

/**
 * Diffs the recognised text of two versions, read from the text blobs as GET .../text does (the
 * one stored copy, sealed with the record's key): nothing is duplicated into a read model, and
 * versions OCR'd before OcrCompleted carried the page texts diff as well as new ones.
 */
@QueryHandler(GetVersionDiffQuery)
export class GetVersionDiffHandler implements IQueryHandler<GetVersionDiffQuery> {
  constructor(
    private readonly records: RecordRepository,
    private readonly content: RecordContent,
    private readonly readModels: ReadModels,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
  ) {}

  async execute(query: GetVersionDiffQuery): Promise<VersionDiffView> {
    await this.readModels.reach(parseAfter(query.after));
    const compared = query.a === query.b ? [query.a] : [query.a, query.b];
    const { state } = await auditRecordRead(this.records, query.recordId, query.context, 'diff', compared);
    const a = state.versions.find((v) => v.version === query.a)!;
    const b = state.versions.find((v) => v.version === query.b)!;
    const ends = { a: { version: a.version, ocr: versionView(a).ocr }, b: { version: b.version, ocr: versionView(b).ocr } };
    if (a.ocr.status !== 'done' || b.ocr.status !== 'done') return { ...ends, complete: false, exact: true, hunks: [] };
    const [textA, textB] = await this.content.withRecordKey(query.recordId, (key) => Promise.all([this.textOf(a, key), this.textOf(b, key)]));
    return { ...ends, complete: true, ...wordDiff(textA, textB) };
  }

  private async textOf(version: VersionState, key: Buffer): Promise<string> {
    if (version.ocr.status !== 'done') return '';
    const stored = await readStoredText(this.blobs, version.ocr.textKey, key);
    return stored.pages.map((p) => p.text).join(PAGE_BREAK);
  }
}
