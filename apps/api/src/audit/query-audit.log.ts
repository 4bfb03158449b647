import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CommandContext, PhiCodec, PipelinedAppender } from '@medrec/application';
import { KEY_STORE, KeyExistsError, KeyStore } from '@medrec/crypto';
import { AuditedQueryKind, PatientDataQueried, PurposeOfUse, queryAuditStream } from '@medrec/domain';

export interface AuditedQuery {
  kind: AuditedQueryKind;
  /** An emergency query's context carries its justification, kept sealed with the query's fact. */
  context: CommandContext & { purpose: PurposeOfUse; justification?: string };
  filters: PatientDataQueried['data']['filters'];
  resultCount: number;
  text?: string;
  mrn?: string;
}

/**
 * Audits queries over patient data as `PatientDataQueried` facts, one stream and one data key per
 * day; the PHI of the query (its text, the MRN) is sealed with that key. Appends are coalesced per
 * stream (PipelinedAppender), so auditing keeps up with many concurrent searches.
 */
@Injectable()
export class QueryAuditLog {
  private readonly keyCreations = new Map<string, Promise<void>>();

  constructor(
    private readonly codec: PhiCodec,
    private readonly appender: PipelinedAppender,
    @Inject(KEY_STORE) private readonly keys: KeyStore,
  ) {}

  /** Resolves once the fact is durably appended: answer the query only after that. */
  async record(query: AuditedQuery): Promise<{ queryId: string; position: number }> {
    const { context } = query;
    const stream = queryAuditStream(context.at);
    await this.ensureKey(stream);
    const event: PatientDataQueried = {
      type: 'PatientDataQueried',
      data: {
        queryId: randomUUID(),
        kind: query.kind,
        actor: context.actor.username,
        role: context.actor.role,
        purpose: context.purpose,
        at: context.at,
        filters: query.filters,
        resultCount: query.resultCount,
        ...(query.text !== undefined ? { text: query.text } : {}),
        ...(query.mrn !== undefined ? { mrn: query.mrn } : {}),
        ...(context.justification !== undefined ? { justification: context.justification } : {}),
      },
    };
    const sealed = { type: event.type, data: await this.codec.encode(stream, event) };
    const result = await this.appender.append(stream, [sealed], context);
    return { queryId: event.data.queryId, position: result.position };
  }

  private ensureKey(keyId: string): Promise<void> {
    let pending = this.keyCreations.get(keyId);
    if (!pending) {
      pending = (async () => {
        // Only whether the day's key exists matters here: the copies handed out are wiped at once.
        const existing = await this.keys.get(keyId);
        existing?.fill(0);
        if (existing) return;
        const created = await this.keys.create(keyId).catch((error) => {
          if (!(error instanceof KeyExistsError)) throw error;
        });
        created?.fill(0);
      })();
      pending.catch(() => this.keyCreations.delete(keyId));
      this.keyCreations.set(keyId, pending);
      if (this.keyCreations.size > 8) this.keyCreations.delete(this.keyCreations.keys().next().value!);
    }
    return pending;
  }
}
