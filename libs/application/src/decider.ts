import type { Decider as DomainDecider } from '@medrec/domain';

/** The domain's one decider shape, with the event constraint the runner needs to store events. */
export type Decider<Command, Event extends DomainEvent, State> = DomainDecider<Command, Event, State>;

export interface DomainEvent {
  type: string;
  data: object;
}
