import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { ReadModels } from '@medrec/read-models';
import { QueryAuditLog } from '../../audit/query-audit.log';
import { parseAfter } from '../../http/after-param';
import { DisclosuresView, GetDisclosuresQuery } from './history-queries';

/**
 * The accounting of disclosures of one patient. A report over many records, so it is audited as
 * one PatientDataQueried fact (the MRN sealed in it) rather than one access per record; the fact
 * is durable before the report is returned.
 */
@QueryHandler(GetDisclosuresQuery)
export class GetDisclosuresHandler implements IQueryHandler<GetDisclosuresQuery> {
  constructor(
    private readonly readModels: ReadModels,
    private readonly audit: QueryAuditLog,
  ) {}

  async execute(query: GetDisclosuresQuery): Promise<DisclosuresView> {
    await this.readModels.reach(parseAfter(query.after));
    const { from, to } = query.window;
    const disclosures = this.readModels.disclosures(query.mrn, from, to);
    await this.audit.record({
      kind: 'disclosures',
      context: query.context,
      filters: { from: from.toISOString(), to: to.toISOString(), format: query.format },
      resultCount: disclosures.length,
      mrn: query.mrn,
    });
    return { from: from.toISOString(), to: to.toISOString(), disclosures };
  }
}
