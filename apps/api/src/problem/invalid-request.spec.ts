import { BadRequestException } from '@nestjs/common';
import { DomainError } from '@medrec/domain';
import { parseAfter } from '../http/after-param';
import { parsePageRequest } from '../history/timeline-paging';
import { parseInstant } from '../history/time-window';
import { parseIfMatch } from '../http/request-context';
import { parseVersion } from '../http/version-param';
import { bodyParserProblem, ProblemDetailsFilter } from './problem-details.filter';

const filter = new ProblemDetailsFilter();
const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal');
};
const SHAPE = { type: 'https://medrec.dev/problems/bad-request', title: 'Bad Request', status: 400, detail: 'The request is invalid' };

describe('one 400 path', () => {
  it.each([
    ['?after=', () => parseAfter('soon'), 'after'],
    ['?limit=', () => parsePageRequest('0', undefined), 'limit'],
    ['?cursor=', () => parsePageRequest(undefined, 'bm90LWEtY3Vyc29y'), 'cursor'],
    ['If-Match', () => parseIfMatch('abc'), 'If-Match'],
    ['a version parameter', () => parseVersion('01', 'v'), 'v'],
    ['a time parameter', () => parseInstant('yesterday', 'asOf', 'end-of-day'), 'asOf'],
  ])('%s: a DomainError invalid, answered as every invalid request', (_, refuse, field) => {
    const error = thrown(refuse);
    expect(error).toBeInstanceOf(DomainError);
    const [status, body] = filter.toProblem(error);
    expect([status, body]).toEqual([
      400,
      { ...SHAPE, detail: expect.stringMatching(`^The request is invalid: ${field} `) as string, errors: [{ field, message: expect.any(String) as string }] },
    ]);
    expect(body.detail).toBe(`The request is invalid: ${field} ${(body.errors as Array<{ message: string }>)[0].message}`);
  });

  it('lists at most 100 errors, saying how many there were', () => {
    const errors = Array.from({ length: 150 }, (_, i) => ({ field: `f${i}`, message: 'is not an allowed field' }));
    const [, body] = filter.toProblem(DomainError.invalid(errors));
    expect(body).toMatchObject({ ...SHAPE, detail: 'The request is invalid: 150 errors, the first 100 listed' });
    expect(body.errors).toHaveLength(100);
  });

  it('does not repeat a field name its message already starts with', () => {
    const [, body] = filter.toProblem(DomainError.invalid([{ field: 'title', message: 'title must be a string' }]));
    expect(body).toMatchObject({ ...SHAPE, detail: 'The request is invalid: title must be a string' });
  });

  it('names the fields in its detail when there are several', () => {
    const [, body] = filter.toProblem(
      DomainError.invalid([
        { field: 'mrn', message: 'is required' },
        { field: 'title', message: 'is required' },
        { field: 'mrn', message: 'is too long' },
      ]),
    );
    expect(body).toMatchObject({ ...SHAPE, detail: 'The request is invalid: see mrn, title' });
  });

  it('a body that cannot be read at all names `body`, keeping its own detail', () => {
    expect(bodyParserProblem({ type: 'entity.parse.failed', status: 400 })).toEqual({
      ...SHAPE,
      detail: 'The request body is not valid JSON',
      errors: [{ field: 'body', message: 'is not valid JSON' }],
    });
    const [, multipart] = filter.toProblem(new BadRequestException('Multipart: Boundary not found'));
    expect(multipart).toEqual({
      ...SHAPE,
      detail: 'The request body could not be read (Multipart: Boundary not found)',
      errors: [{ field: 'body', message: 'could not be read (Multipart: Boundary not found)' }],
    });
  });
});
