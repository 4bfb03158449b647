import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { Public } from '@medrec/auth';
import { ProjectionRunner } from '@medrec/read-models';
import { ApiProblems, ApiSummary } from '../http/api-docs';
import { problem, ProblemException } from '../problem/problem';
import { Liveness, Readiness } from './health.response';
import { ReadinessChecks, ReadinessFacts } from './readiness-checks';

@ApiTags('health')
@Controller('health')
@Public()
// The JSON body parser runs before every route: a request with a body it cannot read answers 400.
@ApiProblems(400)
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly checks: ReadinessChecks,
    private readonly projections: ProjectionRunner,
  ) {}

  /** The process answers: no store is asked, so a broken store never gets a live process restarted. */
  @Get('live')
  @ApiSummary('Liveness: the process answers', { public: true })
  @ApiOkResponse({ type: Liveness })
  live() {
    return { status: 'live' };
  }

  /**
   * Ready when the event store, the blob store and the key store answer and no read model lags
   * beyond MEDREC_READY_MAX_LAG; reports the head position, each projection's lag and, while the
   * projections keep failing, the type of their last error. Terminus's per-check `info`, `error`
   * and `details` sit beside them; a 503 names the failed checks in the same members.
   */
  @Get('ready')
  @ApiSummary('Readiness: the event, blob and key stores answer and the read models are not too far behind', { public: true })
  @ApiOkResponse({ type: Readiness })
  @ApiProblems(503)
  async ready(): Promise<Readiness> {
    const facts: ReadinessFacts = {};
    let result: HealthCheckResult;
    try {
      result = await this.health.check(this.checks.indicatorsFor(facts));
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const { info, error: failed, details } = error.getResponse() as HealthCheckResult;
      const names = Object.keys(failed ?? {});
      const detail = names.length > 0 ? `Not ready: ${names.join(', ')}` : 'Not ready: shutting down';
      throw new ProblemException(problem(503, detail, { info, error: failed, details }));
    }
    const projectionError = this.projections.lastError();
    return {
      status: 'ready',
      position: facts.position!,
      projections: facts.projections!,
      ...(projectionError ? { projectionError } : {}),
      info: (result.info ?? {}) as Readiness['info'],
      error: (result.error ?? {}) as Readiness['error'],
      details: result.details,
    };
  }
}
