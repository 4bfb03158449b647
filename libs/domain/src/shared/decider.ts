/**
 * The shape every decider of the domain has (Emmett-style): pure functions, no I/O. Each decider
 * is declared `satisfies Decider<…>` so its command and event unions are checked against it.
 */
export interface Decider<Command, Event, State> {
  initialState(): State;
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  /**
   * Optional: several events folded at once, to the same state as evolve() one after the other,
   * without changing `state`. For a state that grows with every event (a batch's records), where a
   * copy per event would make folding a long stream quadratic.
   */
  evolveAll?(state: State, events: readonly Event[]): State;
}

/** The state after `events`: evolveAll when the decider has it, else evolve one event at a time. */
export function fold<Command, Event, State>(decider: Decider<Command, Event, State>, state: State, events: readonly Event[]): State {
  if (decider.evolveAll) return decider.evolveAll(state, events);
  let folded = state;
  for (const event of events) folded = decider.evolve(folded, event);
  return folded;
}

/**
 * Closes a `switch` over a union: the compiler refuses the call while a member is unhandled, so
 * a new command or event type cannot be ignored silently. Reached at run time only when a stream
 * holds a type this code does not know (written by a newer version): the fold stops rather than
 * deciding on a state that lacks it (an ignored hold could let a record be destroyed).
 */
export function unhandled(value: never, what: 'command' | 'event'): never {
  const type = (value as { type?: unknown } | null)?.type;
  throw new Error(`Unknown ${what} type ${JSON.stringify(typeof type === 'string' ? type : null)}`);
}
