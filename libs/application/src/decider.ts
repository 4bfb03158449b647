/** The shape every decider in libs/domain has (Emmett-style). */
export interface Decider<Command, Event extends DomainEvent, State> {
  initialState(): State;
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
}

export interface DomainEvent {
  type: string;
  data: object;
}
