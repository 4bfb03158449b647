import { Injectable } from '@nestjs/common';
import { CommandContext, EventSourcedRunner } from '@medrec/application';
import { RETENTION_SCHEDULES_STREAM, RetentionSchedule, retentionSchedulesDecider, schedulesInForce } from '@medrec/domain';
import { WrongExpectedRevisionError } from '@medrec/event-store';

const MAX_ATTEMPTS = 5;

export interface ScheduleChange {
  documentType: string;
  years: unknown;
  minorsUntilAge?: unknown;
  authority: unknown;
}

/** The retention-schedules stream: read whole (it is small), changed through the runner. */
@Injectable()
export class RetentionSchedules {
  constructor(private readonly eventSourced: EventSourcedRunner) {}

  /** Every document type's schedule in force now: the last change, else the shipped default. */
  async inForce(): Promise<RetentionSchedule[]> {
    const loaded = await this.eventSourced.load(RETENTION_SCHEDULES_STREAM, null, retentionSchedulesDecider);
    return schedulesInForce(loaded.state);
  }

  /**
   * Appends the change. A change does not depend on the stream's state, so a concurrent append
   * (another type's change) is safely decided again.
   */
  async change(change: ScheduleChange, context: CommandContext): Promise<{ schedule: RetentionSchedule; position: number | null }> {
    const command = { type: 'ChangeRetentionSchedule' as const, ...change, actor: context.actor.username, at: context.at };
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.eventSourced.run({ stream: RETENTION_SCHEDULES_STREAM, keyId: null, decider: retentionSchedulesDecider, command, context });
        const schedule = schedulesInForce(result.state).find((s) => s.documentType === change.documentType)!;
        return { schedule, position: result.position };
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }
}
