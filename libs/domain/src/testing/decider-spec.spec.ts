import { DomainError } from '../shared/domain-error';
import { deciderSpec } from './decider-spec';

/** A tiny counter decider, enough to exercise the specification helper itself. */
type Command = { type: 'Add'; amount: number } | { type: 'Reset' };
type Event = { type: 'Added'; amount: number } | { type: 'WasReset' };
interface State {
  total: number;
  log: number[];
}

const counter = {
  initialState: (): State => ({ total: 0, log: [] }),
  decide(command: Command, state: State): Event[] {
    if (command.type === 'Reset') {
      if (state.total === 0) throw new DomainError('conflict', 'Already at zero');
      return [{ type: 'WasReset' }];
    }
    if (command.amount <= 0) throw DomainError.invalid([{ field: 'amount', message: 'must be positive' }]);
    return [{ type: 'Added', amount: command.amount }];
  },
  evolve(state: State, event: Event): State {
    return event.type === 'Added' ? { total: state.total + event.amount, log: [...state.log, event.amount] } : { total: 0, log: state.log };
  },
};

const spec = deciderSpec(counter);

describe('deciderSpec', () => {
  it('passes when the decided events match', () => {
    spec
      .given([{ type: 'Added', amount: 2 }])
      .when({ type: 'Add', amount: 3 })
      .then([{ type: 'Added', amount: 3 }]);
  });

  it('fails when the decided events differ', () => {
    expect(() =>
      spec
        .given([])
        .when({ type: 'Add', amount: 3 })
        .then([{ type: 'Added', amount: 4 }]),
    ).toThrow();
  });

  it('compares strictly: an undefined property is not an absent one', () => {
    expect(() =>
      spec
        .given([])
        .when({ type: 'Add', amount: 1 })
        .then([{ type: 'Added', amount: 1, note: undefined } as unknown as Event]),
    ).toThrow();
  });

  it('explains an unexpected refusal', () => {
    expect(() => spec.given([]).when({ type: 'Reset' }).then([])).toThrow("decide threw DomainError 'conflict': Already at zero");
  });

  it('returns the expected DomainError for further checks', () => {
    const error = spec.given([]).when({ type: 'Add', amount: 0 }).thenThrows('invalid', 'amount');
    expect(error.errors).toEqual([{ field: 'amount', message: 'must be positive' }]);
  });

  it('matches a message part for kinds other than invalid', () => {
    spec.given([]).when({ type: 'Reset' }).thenThrows('conflict', 'zero');
    expect(() => spec.given([]).when({ type: 'Reset' }).thenThrows('conflict', 'hold')).toThrow();
  });

  it('fails on another kind, on a missing field, and when nothing is thrown', () => {
    expect(() => spec.given([]).when({ type: 'Reset' }).thenThrows('gone')).toThrow();
    expect(() => spec.given([]).when({ type: 'Add', amount: 0 }).thenThrows('invalid', 'total')).toThrow();
    expect(() => spec.given([]).when({ type: 'Add', amount: 1 }).thenThrows('invalid')).toThrow('but decide returned [{"type":"Added","amount":1}]');
  });

  it('fails when something other than a DomainError is thrown', () => {
    const broken = {
      ...counter,
      decide: (): Event[] => {
        throw new TypeError('boom');
      },
    };
    expect(() => deciderSpec(broken).given([]).when({ type: 'Reset' }).thenThrows('conflict')).toThrow('decide threw TypeError: boom');
  });

  it('hands the state after the decided events to thenState', () => {
    spec
      .given([{ type: 'Added', amount: 2 }])
      .when({ type: 'Add', amount: 5 })
      .thenState((state) => expect(state).toEqual({ total: 7, log: [2, 5] }));
  });

  it('catches a decider that mutates its state', () => {
    const mutating = {
      ...counter,
      evolve(state: State, event: Event): State {
        if (event.type === 'Added') state.log.push(event.amount);
        return { ...state, total: state.total + (event.type === 'Added' ? event.amount : 0) };
      },
    };
    expect(() =>
      deciderSpec(mutating)
        .given([{ type: 'Added', amount: 1 }])
        .when({ type: 'Reset' })
        .then([{ type: 'WasReset' }]),
    ).toThrow(TypeError);
  });

  it('catches a decide that mutates the state it is given', () => {
    const mutating = {
      ...counter,
      decide(command: Command, state: State): Event[] {
        state.total = 0;
        return counter.decide(command, state);
      },
    };
    expect(() =>
      deciderSpec(mutating)
        .given([{ type: 'Added', amount: 1 }])
        .when({ type: 'Reset' })
        .then([{ type: 'WasReset' }]),
    ).toThrow('decide threw TypeError');
  });

  it('does not freeze the caller’s own objects', () => {
    const given: Event[] = [{ type: 'Added', amount: 1 }];
    const command: Command = { type: 'Add', amount: 1 };
    spec
      .given(given)
      .when(command)
      .then([{ type: 'Added', amount: 1 }]);
    expect(Object.isFrozen(given[0])).toBe(false);
    expect(Object.isFrozen(command)).toBe(false);
  });
});
