import { ExecutionContext, ForbiddenException, Logger, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { randomBytes } from 'node:crypto';
import { DomainError, type Role } from '@medrec/domain';
import { TokenRevocations } from '../token-revocations';
import { TokenService } from '../token.service';
import { UserDirectory } from '../user-directory';
import { Public, RequirePermission } from './auth.decorators';
import { AuthGuard } from './auth.guard';

class RecordsController {
  @Public()
  health(): void {}

  @RequirePermission('records.read')
  read(): void {}

  @RequirePermission('records.create')
  create(): void {}

  @RequirePermission('records.history.report')
  report(): void {}

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
  // The handler is only the key the Reflector reads metadata from: it is never called, so `this` does not matter.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const fn = controller === RecordsController ? RecordsController.prototype[handler] : PublicController.prototype.anything;
  return {
    getHandler: () => fn,
    getClass: () => controller,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
}

/** The directory as the guard sees it: accounts by id (active and unlocked unless said otherwise). */
let accounts: Map<string, { userId: string; username: string; roles: Role[]; active?: boolean; locked?: boolean }>;
const revoked = new Set<string>();
const fakeUsers = {
  activeAccount: async (userId: string) => {
    const a = accounts.get(userId);
    return a && a.active !== false && !a.locked ? { passwordHash: 'x', active: true, locked: false, ...a } : undefined;
  },
} as unknown as UserDirectory;
const fakeRevocations = { isRevoked: async (jti: string) => revoked.has(jti) } as unknown as TokenRevocations;

describe('AuthGuard', () => {
  const tokens = new TokenService(randomBytes(32), 900);
  const guard = new AuthGuard(new Reflector(), tokens, fakeUsers, fakeRevocations);

  /** A token for user u-0005 whose directory entry holds these roles. */
  const bearer = (roles: Role[], username = 'dr.clio'): string => {
    accounts.set('u-0005', { userId: 'u-0005', username, roles });
    return `Bearer ${tokens.issue({ userId: 'u-0005', username, roles }).accessToken}`;
  };
  beforeEach(() => {
    accounts = new Map();
    revoked.clear();
  });
  const request = (headers: FakeRequest['headers'] = {}): FakeRequest => ({ headers });
  const check = (handler: Handler, req: FakeRequest) => guard.canActivate(contextFor(handler, req));

  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']));

  it('lets a @Public() handler through without a token', async () => {
    await expect(guard.canActivate(contextFor('health', request()))).resolves.toBe(true);
  });

  it('lets every handler of a @Public() controller through', async () => {
    await expect(guard.canActivate(contextFor('health', request(), PublicController))).resolves.toBe(true);
  });

  it('denies a handler that names no permission, even to a valid token', async () => {
    await expect(check('forgotten', request({ authorization: bearer(['admin']) }))).rejects.toBeInstanceOf(ForbiddenException);
  });

  describe('tokens', () => {
    it.each([
      ['no Authorization header', undefined],
      ['an empty header', ''],
      ['another scheme', 'Basic dXNlcjpwYXNz'],
      ['a bearer without token', 'Bearer '],
      ['a malformed token', 'Bearer not-a-jwt'],
    ])('answers 401 for %s', async (_, authorization) => {
      await expect(check('create', request({ authorization }))).rejects.toBeInstanceOf(UnauthorizedException);
    });

    it('answers 401 for a token signed with another secret', async () => {
      const forged = new TokenService(randomBytes(32), 900).issue({ userId: 'u-1', username: 'eve', roles: ['admin'] }).accessToken;

      await expect(check('create', request({ authorization: `Bearer ${forged}` }))).rejects.toBeInstanceOf(UnauthorizedException);
    });

    it('answers 401 for an expired token', async () => {
      jest.useFakeTimers({ now: new Date('2024-03-01T09:00:00.000Z') });
      try {
        const authorization = bearer(['clerk']);
        jest.setSystemTime(new Date('2024-03-01T09:15:01.000Z'));

        await expect(check('create', request({ authorization }))).rejects.toBeInstanceOf(UnauthorizedException);
      } finally {
        jest.useRealTimers();
      }
    });

    it('accepts the scheme in any case', async () => {
      const token = bearer(['clerk']).slice('Bearer '.length);

      await expect(guard.canActivate(contextFor('create', request({ authorization: `bearer ${token}` })))).resolves.toBe(true);
    });
  });

  describe('roles', () => {
    it('answers 403 when no role of the user holds the permission', async () => {
      await expect(check('create', request({ authorization: bearer(['clinician', 'auditor']) }))).rejects.toBeInstanceOf(ForbiddenException);
    });

    it('checks the role before the purpose: a wrong role without a purpose is 403, not 400', async () => {
      await expect(check('read', request({ authorization: bearer(['admin']) }))).rejects.toBeInstanceOf(ForbiddenException);
    });

    it('sets the actor in the permitted role on an operation without patient data, and no purpose', async () => {
      const req = request({ authorization: bearer(['clinician', 'clerk'], 'cara.clerk') });

      await expect(guard.canActivate(contextFor('create', req))).resolves.toBe(true);
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
    ])('answers 400 (an invalid request naming the header) when the purpose is %s', async (_, purpose) => {
      const refusal = await check('read', request({ authorization: bearer(['clinician']), 'x-purpose-of-use': purpose })).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(DomainError);
      expect(refusal).toMatchObject({ kind: 'invalid', errors: [{ field: 'X-Purpose-Of-Use', message: expect.any(String) }] });
    });

    it('answers 403 when none of the permitted roles may declare the purpose', async () => {
      await expect(check('read', request({ authorization: bearer(['clinician']), 'x-purpose-of-use': 'payment' }))).rejects.toBeInstanceOf(ForbiddenException);
    });

    it('sets the actor and the purpose on success', async () => {
      const req = request({ authorization: bearer(['clinician']), 'x-purpose-of-use': 'treatment' });

      await expect(guard.canActivate(contextFor('read', req))).resolves.toBe(true);
      expect(req.actor).toEqual({ userId: 'u-0005', username: 'dr.clio', role: 'clinician' });
      expect(req.purposeOfUse).toBe('treatment');
    });

    it('acts in the role of the user that may declare the purpose', async () => {
      const asClerk = request({ authorization: bearer(['clerk', 'clinician']), 'x-purpose-of-use': 'operations' });
      const asClinician = request({
        authorization: bearer(['clerk', 'clinician']),
        'x-purpose-of-use': 'emergency',
        'x-emergency-justification': 'Cardiac arrest in the ED',
      });

      await guard.canActivate(contextFor('read', asClerk));
      await guard.canActivate(contextFor('read', asClinician));

      expect(asClerk.actor).toMatchObject({ role: 'clerk' });
      expect(asClinician.actor).toMatchObject({ role: 'clinician' });
      expect(asClinician.purposeOfUse).toBe('emergency');
    });

    describe('break-the-glass: an emergency read needs X-Emergency-Justification', () => {
      const emergency = (justification?: string | string[]) =>
        request({ authorization: bearer(['clinician']), 'x-purpose-of-use': 'emergency', 'x-emergency-justification': justification });

      it.each([
        ['missing', undefined],
        ['empty', ''],
        ['blank', '   '],
        ['over 1,000 characters', 'j'.repeat(1001)],
        ['10,000 characters', 'j'.repeat(10_000)],
        ['not UTF-8', Buffer.from([0x41, 0xff, 0x42]).toString('latin1')],
        ['repeated', ['Cardiac arrest', 'Cardiac arrest']],
      ])('answers 400 naming the header when the justification is %s, and sets nothing', async (_, justification) => {
        const req = emergency(justification);
        const refusal = await check('read', req).catch((error: unknown) => error);
        expect(refusal).toBeInstanceOf(DomainError);
        expect(refusal).toMatchObject({ kind: 'invalid', errors: [{ field: 'X-Emergency-Justification', message: expect.any(String) }] });
        expect(req.purposeOfUse).toBeUndefined();
        expect(req.actor).toBeUndefined();
      });

      it('puts the justification (trimmed, read as UTF-8) on the request', async () => {
        const req = emergency(Buffer.from(' Patient Zoë unconscious ', 'utf8').toString('latin1')) as FakeRequest & { emergencyJustification?: string };
        await expect(check('read', req)).resolves.toBe(true);
        expect(req.purposeOfUse).toBe('emergency');
        expect(req.emergencyJustification).toBe('Patient Zoë unconscious');
      });

      it('accepts exactly 1,000 characters', async () => {
        await expect(check('read', emergency('j'.repeat(1000)))).resolves.toBe(true);
      });

      it('checks the purpose against the role first: a clerk declaring emergency gets 403, justified or not', async () => {
        const req = request({ authorization: bearer(['clerk']), 'x-purpose-of-use': 'emergency' });
        await expect(check('read', req)).rejects.toBeInstanceOf(ForbiddenException);
      });

      it('ignores the header on reads for another purpose', async () => {
        const req = request({ authorization: bearer(['clinician']), 'x-purpose-of-use': 'treatment', 'x-emergency-justification': 'x' }) as FakeRequest & {
          emergencyJustification?: string;
        };
        await expect(check('read', req)).resolves.toBe(true);
        expect(req.emergencyJustification).toBeUndefined();
      });
    });

    it('sets the fixed purpose of an endpoint that reads for one purpose (the legal report), whatever header was sent', async () => {
      const plain = request({ authorization: bearer(['auditor']) });
      const claiming = request({ authorization: bearer(['auditor']), 'x-purpose-of-use': 'emergency' });
      await expect(check('report', plain)).resolves.toBe(true);
      await expect(check('report', claiming)).resolves.toBe(true);
      expect(plain.purposeOfUse).toBe('legal');
      expect(claiming.purposeOfUse).toBe('legal');
      expect(plain.actor).toMatchObject({ role: 'auditor' });
    });

    it('sets nothing on the request when it refuses', async () => {
      const req = request({ authorization: bearer(['clinician']), 'x-purpose-of-use': 'payment' });

      await expect(check('read', req)).rejects.toBeInstanceOf(ForbiddenException);
      expect(req.actor).toBeUndefined();
      expect(req.purposeOfUse).toBeUndefined();
    });
  });

  describe('the token against its user (issue 9, defect 10)', () => {
    it('answers 401 when the subject is no user of the directory', async () => {
      const token = tokens.issue({ userId: 'u-ghost', username: 'ghost', roles: ['admin'] }).accessToken;
      await expect(check('create', request({ authorization: `Bearer ${token}` }))).rejects.toBeInstanceOf(UnauthorizedException);
    });

    it.each([
      ['deactivated', { active: false }],
      ['locked', { locked: true }],
    ])('answers 401 when the user is %s', async (_, state) => {
      const authorization = bearer(['clerk']);
      accounts.set('u-0005', { ...accounts.get('u-0005')!, ...state });
      await expect(check('create', request({ authorization }))).rejects.toBeInstanceOf(UnauthorizedException);
    });

    it.each([
      ['deactivated', { active: false }],
      ['locked', { locked: true }],
    ])('answers 401 when the user is %s after the token was accepted (its verification remembered)', async (_, state) => {
      const authorization = bearer(['clerk']);
      await expect(check('create', request({ authorization }))).resolves.toBe(true);
      accounts.set('u-0005', { ...accounts.get('u-0005')!, ...state });
      await expect(check('create', request({ authorization }))).rejects.toBeInstanceOf(UnauthorizedException);
    });

    it('answers 401 for a token revoked after it was accepted', async () => {
      const authorization = bearer(['clerk']);
      await expect(check('create', request({ authorization }))).resolves.toBe(true);
      revoked.add((JSON.parse(Buffer.from(authorization.split('.')[1], 'base64url').toString()) as { jti: string }).jti);
      await expect(check('create', request({ authorization }))).rejects.toBeInstanceOf(UnauthorizedException);
    });

    it('answers 401 for a revoked token, and accepts another token of the same user', async () => {
      const authorization = bearer(['clerk']);
      const other = bearer(['clerk']);
      revoked.add((JSON.parse(Buffer.from(authorization.split('.')[1], 'base64url').toString()) as { jti: string }).jti);
      await expect(check('create', request({ authorization }))).rejects.toBeInstanceOf(UnauthorizedException);
      await expect(check('create', request({ authorization: other }))).resolves.toBe(true);
    });

    it("acts on the directory's roles and username, not the token's", async () => {
      const authorization = bearer(['clerk'], 'cara.clerk');
      accounts.set('u-0005', { userId: 'u-0005', username: 'cara.renamed', roles: ['auditor'] });
      await expect(check('create', request({ authorization }))).rejects.toBeInstanceOf(ForbiddenException);
      accounts.set('u-0005', { userId: 'u-0005', username: 'cara.renamed', roles: ['him'] });
      const req = request({ authorization });
      await expect(check('create', req)).resolves.toBe(true);
      expect(req.actor).toEqual({ userId: 'u-0005', username: 'cara.renamed', role: 'him' });
    });

    it('puts the jti, exp and sign-in time on the request (for sign-out and renewal)', async () => {
      const req = request({ authorization: bearer(['clerk']) });
      await check('create', req);
      expect((req as unknown as { token: unknown }).token).toEqual({ jti: expect.any(String), exp: expect.any(Number), authTime: expect.any(Number) });
    });
  });
});
