import { DomainError } from '@medrec/domain';
import { ReadModelBehindError } from '@medrec/read-models';
import { ProblemDetailsFilter } from '../problem/problem-details.filter';
import { parseAfter } from './after-param';

describe('read-your-writes (?after=<position>)', () => {
  it('accepts a position or nothing, and refuses anything else with 400', () => {
    expect(parseAfter(undefined)).toBeUndefined();
    expect(parseAfter('')).toBeUndefined();
    expect(parseAfter('42')).toBe(42);
    for (const bad of ['-1', '1.5', 'abc', '1e3', ['1', '2'], '9'.repeat(16)]) expect(() => parseAfter(bad)).toThrow(DomainError);
  });

  it('answers 503 with Retry-After and the position when the views stay behind', () => {
    const error = new ReadModelBehindError(1000);
    const [status, body] = new ProblemDetailsFilter().toProblem(error);
    expect(status).toBe(503);
    expect(body).toMatchObject({ status: 503, position: 1000 });
    expect(error.retryAfterSeconds).toBe(1);
  });
});
