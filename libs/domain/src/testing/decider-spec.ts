import { DomainError, DomainErrorKind } from '../shared/domain-error';

import type { Decider } from '../shared/decider';

export interface DeciderThen<Event, State> {
  /** Asserts the command decides exactly these events (strict deep equality, order included). */
  then(expected: readonly Event[]): void;
  /**
   * Asserts the command is refused with a DomainError of this kind, and returns it for further checks.
   * For 'invalid', `fieldOrMessagePart` names a field that must be among `error.errors`;
   * for the other kinds it is a part of the message.
   */
  thenThrows(kind: DomainErrorKind, fieldOrMessagePart?: string): DomainError;
  /** Decides, folds the decided events onto the given state, and hands the resulting state to `assert`. */
  thenState(assert: (state: State) => void): void;
}

export interface DeciderSpecification<Command, Event, State> {
  given(events: readonly Event[]): { when(command: Command): DeciderThen<Event, State> };
}

/**
 * Given/when/then specifications for a pure decider:
 *
 *   const spec = deciderSpec(recordDecider);
 *   spec.given([recordCreated()]).when(archiveRecord()).then([recordArchived()]);
 *
 * The given events, every intermediate state and the command are deep-frozen, so a decider that
 * mutates its inputs fails loudly instead of passing by accident.
 */
export function deciderSpec<Command, Event, State>(decider: Decider<Command, Event, State>): DeciderSpecification<Command, Event, State> {
  return {
    given(events) {
      return {
        when(command) {
          const fold = (from: State, history: readonly Event[]): State =>
            history.reduce<State>((state, event) => deepFreeze(decider.evolve(state, frozenCopy(event))), from);
          // Folding the given events is arrangement: an error there propagates as it is.
          const givenState = (): State => fold(deepFreeze(decider.initialState()), events);
          const decideOrExplain = (): { state: State; decided: Event[] } => {
            const state = givenState();
            try {
              return { state, decided: decider.decide(frozenCopy(command), state) };
            } catch (error) {
              throw new Error(`Expected the command to be accepted, but decide threw ${explain(error)}`, { cause: error });
            }
          };

          return {
            then(expected) {
              expect(decideOrExplain().decided).toStrictEqual(expected);
            },

            thenState(assert) {
              const { state, decided } = decideOrExplain();
              assert(fold(state, decided));
            },

            thenThrows(kind, fieldOrMessagePart) {
              const state = givenState();
              let decided: Event[] | undefined;
              let thrown: unknown;
              try {
                decided = decider.decide(frozenCopy(command), state);
              } catch (error) {
                thrown = error;
              }
              if (decided !== undefined) {
                throw new Error(`Expected a DomainError '${kind}', but decide returned ${JSON.stringify(decided)}`);
              }
              if (!(thrown instanceof DomainError)) {
                throw new Error(`Expected a DomainError '${kind}', but decide threw ${explain(thrown)}`, { cause: thrown });
              }
              // Compared as one object so a failure shows the message and field errors beside the kind.
              expect({ kind: thrown.kind, message: thrown.message, errors: thrown.errors }).toEqual(expect.objectContaining({ kind }));
              if (fieldOrMessagePart !== undefined) {
                if (kind === 'invalid') {
                  expect(thrown.errors.map((e) => e.field)).toContain(fieldOrMessagePart);
                } else {
                  expect(thrown.message).toContain(fieldOrMessagePart);
                }
              }
              return thrown;
            },
          };
        },
      };
    },
  };
}

function explain(error: unknown): string {
  if (error instanceof DomainError) return `DomainError '${error.kind}': ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

function frozenCopy<T>(value: T): T {
  return deepFreeze(structuredClone(value));
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const nested of Object.values(value)) deepFreeze(nested);
  }
  return value;
}
