import { Inject, Injectable } from '@nestjs/common';
import { PhiCodec } from '@medrec/application';
import { AuditedQueryKind, PatientDataQueried, PurposeOfUse, queryAuditStream } from '@medrec/domain';
import { EVENT_STORE, EventStore } from '@medrec/event-store';
import { encodePageCursor, PageRequest } from '@medrec/read-models';

/** One audited query as an auditor reads it: its PHI decrypted, or null when absent or once the day's key is gone. */
export type AuditedQueryEntry = Omit<PatientDataQueried['data'], 'text' | 'mrn' | 'justification'> & {
  text: string | null;
  mrn: string | null;
  justification: string | null;
  position: number;
};

export interface QueryAuditFilter {
  purpose?: PurposeOfUse;
  kind?: AuditedQueryKind;
}

/**
 * The most events of a day's stream one page reads while looking for entries that match its filter;
 * past it the page ends early, with a cursor to go on from (a filter matching rarely in a long day
 * must not turn one request into a read of the whole day).
 */
export const MAX_SCANNED_PER_PAGE = 20_000;

/**
 * Reads a day's query audit (`query-audit-<date>`) straight from its stream, a page at a time,
 * decrypting the queries' PHI with the day's key.
 */
@Injectable()
export class QueryAuditReader {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly codec: PhiCodec,
  ) {}

  async page(
    date: string,
    filter: QueryAuditFilter,
    page: PageRequest,
    maxScanned = MAX_SCANNED_PER_PAGE,
  ): Promise<{ queries: AuditedQueryEntry[]; nextCursor: string | null }> {
    const stream = queryAuditStream(date);
    const matches = (d: PatientDataQueried['data']) => (!filter.purpose || d.purpose === filter.purpose) && (!filter.kind || d.kind === filter.kind);
    const taken: Array<{ entry: AuditedQueryEntry; revision: number }> = [];
    const entries = (upTo: number) => taken.slice(0, upTo).map((t) => t.entry);
    let revision = page.cursor?.r ?? 0;
    let scanned = 0;
    for (;;) {
      // One match more than the page holds tells whether another page follows.
      const wanted = Math.min(page.limit + 1 - taken.length, maxScanned - scanned);
      const raw = await this.events.readStream(stream, { fromRevision: revision, maxCount: wanted });
      for (const { event, stored } of await this.codec.decodeAll<PatientDataQueried>(stream, raw)) {
        if (event.type === 'PatientDataQueried' && matches(event.data)) taken.push({ entry: entryOf(event.data, stored.position), revision: stored.revision });
      }
      scanned += raw.length;
      if (taken.length > page.limit) {
        const last = taken[page.limit - 1];
        return { queries: entries(page.limit), nextCursor: encodePageCursor({ p: last.entry.position, r: last.revision + 1 }) };
      }
      if (raw.length < wanted) return { queries: entries(taken.length), nextCursor: null };
      const end = raw[raw.length - 1];
      revision = end.revision + 1;
      if (scanned >= maxScanned) return { queries: entries(taken.length), nextCursor: encodePageCursor({ p: end.position, r: revision }) };
    }
  }
}

function entryOf({ text, mrn, justification, ...clear }: PatientDataQueried['data'], position: number): AuditedQueryEntry {
  return { ...clear, text: text ?? null, mrn: mrn ?? null, justification: justification ?? null, position };
}
