import { type CommandContext, type EventSourcedRunner, nameBasedUuid } from '@medrec/application';
import { ReviewItemKind, reviewItemDecider, reviewItemStream } from '@medrec/domain';
import { WrongExpectedRevisionError } from '@medrec/event-store';
import type { RecognizedPage } from '../jobs/document-recognizer';

/** Namespace of review item ids (a name-based UUID, RFC 9562 version 5). */
const REVIEW_ITEM_NAMESPACE = Buffer.from('6f1d9a52c0e44d7b9a3e5b8c2d1f0a47', 'hex');

/**
 * The id of the item of one kind about one page: derived, so that flagging the page again (OCR
 * retried after a crash, on this node or another) names the same stream and opens nothing new.
 * Stack kinds derive theirs from the stack id and page range the same way.
 */
export function reviewItemId(...parts: Array<string | number>): string {
  return nameBasedUuid(REVIEW_ITEM_NAMESPACE, parts.join('/'));
}

/** The kinds of item a recognized page calls for: a blank page is only that; otherwise each signal its own. */
export function reviewKindsOf(page: RecognizedPage, minConfidence: number): ReviewItemKind[] {
  const quality = page.quality;
  if (!quality) return [];
  if (quality.blank) return ['blank-page'];
  const kinds: ReviewItemKind[] = [];
  if (page.source === 'ocr' && page.confidence < minConfidence) kinds.push('low-confidence');
  if (quality.skewed) kinds.push('skewed-page');
  if (quality.dark) kinds.push('dark-page');
  return kinds;
}

/**
 * Opens the review items of a version's recognized pages (once each: see reviewItemId). Called by
 * the OCR job runner before it records OcrCompleted, so that a crash in between leaves the job
 * pending and its retry opens whatever is missing.
 */
export async function openReviewItems(
  eventSourced: EventSourcedRunner,
  job: { recordId: string; version: number },
  pages: readonly RecognizedPage[],
  context: CommandContext,
  minConfidence: number,
): Promise<number> {
  let opened = 0;
  for (const page of pages) {
    for (const kind of reviewKindsOf(page, minConfidence)) {
      const itemId = reviewItemId(job.recordId, job.version, page.page, kind);
      const { inkRatio, grayStdDev, paperLevel, skewDegrees } = page.quality!;
      const command = {
        type: 'OpenReviewItem' as const,
        itemId,
        kind,
        subject: { recordId: job.recordId, version: job.version, page: page.page },
        measure: { inkRatio, grayStdDev, paperLevel, skewDegrees, confidence: page.confidence },
        actor: context.actor,
        at: context.at,
      };
      try {
        const result = await eventSourced.run({ stream: reviewItemStream(itemId), keyId: null, decider: reviewItemDecider, command, context });
        opened += result.appended.length;
      } catch (error) {
        // Another node opened it at the same moment: it is open, which is all that was wanted.
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
      }
    }
  }
  return opened;
}
