import { Global, Module } from '@nestjs/common';
import { QueryAuditLog } from './query-audit.log';

@Global()
@Module({ providers: [QueryAuditLog], exports: [QueryAuditLog] })
export class AuditModule {}
