import { BadRequestException, ExecutionContext, ForbiddenException, Logger, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { randomBytes } from 'node:crypto';
import type { Role } from '@medrec/domain';
import { TokenService } from '../token.service';
import { Public, RequirePermission } from './auth.decorators';
import { AuthGuard } from './auth.guard';

class RecordsController {
  @Public()
  health(): void {}

  @RequirePermission('records.read')
  read(): void {}

  @RequirePermission('records.create')
  create(): void {}

  forgotten(): void {}
}

@Public()
class PublicController {
  anything(): void {}
}

type Handler = keyof RecordsController;

interface FakeRequest {
  headers: Record<string, string | string[] | undefined>;
  actor?: unknown;
  purposeOfUse?: unknown;
}

/** A stand-in for Nest's ExecutionContext: the three methods the guard uses, over a plain request. */
function contextFor(handler: Handler, request: FakeRequest, controller: object = RecordsController): ExecutionContext {
  const fn = (controller === RecordsController ? RecordsController.prototype[handler] : PublicController.prototype.anything) as () => void;
  return {
    getHandler: () => fn,
    getClass: () => controller,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
}

describe('AuthGuard', () => {
  const tokens = new TokenService(randomBytes(32), 900);
  const guard = new AuthGuard(new Reflector(), tokens);

  const bearer = (roles: Role[], username = 'dr.clio'): string => `Bearer ${tokens.issue({ userId: 'u-0005', username, roles }).accessToken}`;
  const request = (headers: FakeRequest['headers'] = {}): FakeRequest => ({ headers });
  const check = (handler: Handler, req: FakeRequest) => () => guard.canActivate(contextFor(handler, req));

  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']));

  it('lets a @Public() handler through without a token', () => {
    expect(guard.canActivate(contextFor('health', request()))).toBe(true);
  });

  it('lets every handler of a @Public() controller through', () => {
    expect(guard.canActivate(contextFor('health', request(), PublicController))).toBe(true);
  });

  it('denies a handler that names no permission, even to a valid token', () => {
    expect(check('forgotten', request({ authorization: bearer(['admin']) }))).toThrow(ForbiddenException);
  });

  describe('tokens', () => {
    it.each([
      ['no Authorization header', undefined],
      ['an empty header', ''],
      ['another scheme', 'Basic dXNlcjpwYXNz'],
      ['a bearer without token', 'Bearer '],
      ['a malformed token', 'Bearer not-a-jwt'],
    ])('answers 401 for %s', (_, authorization) => {
      expect(check('create', request({ authorization }))).toThrow(UnauthorizedException);
    });

    it('answers 401 for a token signed with another secret', () => {
      const forged = new TokenService(randomBytes(32), 900).issue({ userId: 'u-1', username: 'eve', roles: ['admin'] }).accessToken;

      expect(check('create', request({ authorization: `Bearer ${forged}` }))).toThrow(UnauthorizedException);
    });

    it('answers 401 for an expired token', () => {
      jest.useFakeTimers({ now: new Date('2024-03-01T09:00:00.000Z') });
      try {
        const authorization = bearer(['clerk']);
        jest.setSystemTime(new Date('2024-03-01T09:15:01.000Z'));

        expect(check('create', request({ authorization }))).toThrow(UnauthorizedException);
      } finally {
        jest.useRealTimers();
      }
    });

    it('accepts the scheme in any case', () => {
      const token = bearer(['clerk']).slice('Bearer '.length);

      expect(guard.canActivate(contextFor('create', request({ authorization: `bearer ${token}` })))).toBe(true);
    });
  });

  describe('roles', () => {
    it('answers 403 when no role of the user holds the permission', () => {
      expect(check('create', request({ authorization: bearer(['clinician', 'auditor']) }))).toThrow(ForbiddenException);
    });

    it('checks the role before the purpose: a wrong role without a purpose is 403, not 400', () => {
      expect(check('read', request({ authorization: bearer(['admin']) }))).toThrow(ForbiddenException);
    });

    it('sets the actor in the permitted role on an operation without patient data, and no purpose', () => {
      const req = request({ authorization: bearer(['clinician', 'clerk'], 'cara.clerk') });

      expect(guard.canActivate(contextFor('create', req))).toBe(true);
      expect(req.actor).toEqual({ userId: 'u-0005', username: 'cara.clerk', role: 'clerk' });
      expect(req.purposeOfUse).toBeUndefined();
    });
  });

  describe('purpose of use on reads of patient data', () => {
    it.each([
      ['missing', undefined],
      ['empty', ''],
      ['unknown', 'curiosity'],
      ['repeated', ['treatment', 'treatment']],
    ])('answers 400 when the purpose is %s', (_, purpose) => {
      expect(check('read', request({ authorization: bearer(['clinician']), 'x-purpose-of-use': purpose }))).toThrow(BadRequestException);
    });

    it('answers 403 when none of the permitted roles may declare the purpose', () => {
      expect(check('read', request({ authorization: bearer(['clinician']), 'x-purpose-of-use': 'payment' }))).toThrow(ForbiddenException);
    });

    it('sets the actor and the purpose on success', () => {
      const req = request({ authorization: bearer(['clinician']), 'x-purpose-of-use': 'treatment' });

      expect(guard.canActivate(contextFor('read', req))).toBe(true);
      expect(req.actor).toEqual({ userId: 'u-0005', username: 'dr.clio', role: 'clinician' });
      expect(req.purposeOfUse).toBe('treatment');
    });

    it('acts in the role of the user that may declare the purpose', () => {
      const asClerk = request({ authorization: bearer(['clerk', 'clinician']), 'x-purpose-of-use': 'operations' });
      const asClinician = request({ authorization: bearer(['clerk', 'clinician']), 'x-purpose-of-use': 'emergency' });

      guard.canActivate(contextFor('read', asClerk));
      guard.canActivate(contextFor('read', asClinician));

      expect(asClerk.actor).toMatchObject({ role: 'clerk' });
      expect(asClinician.actor).toMatchObject({ role: 'clinician' });
      expect(asClinician.purposeOfUse).toBe('emergency');
    });

    it('sets nothing on the request when it refuses', () => {
      const req = request({ authorization: bearer(['clinician']), 'x-purpose-of-use': 'payment' });

      expect(check('read', req)).toThrow(ForbiddenException);
      expect(req.actor).toBeUndefined();
      expect(req.purposeOfUse).toBeUndefined();
    });
  });
});
