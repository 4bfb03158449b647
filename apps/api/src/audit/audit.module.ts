import { Global, Module } from '@nestjs/common';
import { QueryAuditLog } from './query-audit.log';
import { QueryAuditReader } from './query-audit-reader';
import { QueryAuditsController } from './query-audits.controller';

/** The query audit: QueryAuditLog appends each query's fact (for every module); GET /api/audit/queries reads them back. */
@Global()
@Module({ controllers: [QueryAuditsController], providers: [QueryAuditLog, QueryAuditReader], exports: [QueryAuditLog] })
export class AuditModule {}
