import jwt from 'jsonwebtoken';
import { randomBytes } from 'node:crypto';
import { InvalidTokenError, SessionTooOldError, TokenService } from './token.service';

const user = { userId: 'u-0002', username: 'hugo.him', roles: ['him' as const, 'clerk' as const] };

const base64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const decodePart = (part: string): Record<string, unknown> => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

describe('TokenService', () => {
  const secret = randomBytes(32);
  let tokens: TokenService;

  beforeEach(() => {
    tokens = new TokenService(secret, 900);
  });
  afterEach(() => jest.useRealTimers());

  it('verifies the tokens it issues and returns their claims', () => {
    const { accessToken, expiresIn } = tokens.issue(user);

    expect(expiresIn).toBe(900);
    expect(tokens.verify(accessToken)).toEqual({
      sub: 'u-0002',
      username: 'hugo.him',
      roles: ['him', 'clerk'],
      jti: expect.any(String),
      exp: expect.any(Number),
      authTime: expect.any(Number),
    });
  });

  describe('a token verified before (its signature is checked once)', () => {
    it('is refused once it has expired', () => {
      jest.useFakeTimers({ now: new Date('2026-01-05T08:00:00Z') });
      const { accessToken } = tokens.issue(user);
      expect(tokens.verify(accessToken).sub).toBe('u-0002');
      jest.setSystemTime(new Date('2026-01-05T08:14:59Z'));
      expect(tokens.verify(accessToken).sub).toBe('u-0002');
      jest.setSystemTime(new Date('2026-01-05T08:15:00Z'));
      expect(() => tokens.verify(accessToken)).toThrow(InvalidTokenError);
      jest.setSystemTime(new Date('2026-01-05T08:00:00Z'));
      // Forgotten once expired, and verified afresh: a clock set back does not revive it from memory.
      expect(tokens.verify(accessToken).sub).toBe('u-0002');
    });

    it('does not make a token with another signature or payload acceptable', () => {
      const { accessToken } = tokens.issue(user);
      tokens.verify(accessToken);
      const [header, payload, signature] = accessToken.split('.');
      const otherSignature = `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
      const otherPayload = `${header}.${base64url({ ...decodePart(payload), roles: ['admin'] })}.${signature}`;
      expect(() => tokens.verify(otherSignature)).toThrow(InvalidTokenError);
      expect(() => tokens.verify(otherPayload)).toThrow(InvalidTokenError);
    });

    it('answers claims its caller may change without changing the next answer', () => {
      const { accessToken } = tokens.issue(user);
      for (const claims of [tokens.verify(accessToken), tokens.verify(accessToken)]) {
        claims.roles.push('admin');
        claims.sub = 'u-9999';
      }
      expect(tokens.verify(accessToken)).toMatchObject({ sub: 'u-0002', roles: ['him', 'clerk'] });
    });
  });

  describe('renewal', () => {
    it('issues a new token (new jti, later expiry) that keeps the sign-in time', () => {
      jest.useFakeTimers({ now: new Date('2026-01-05T08:00:00Z') });
      const first = tokens.verify(tokens.issue(user).accessToken);
      jest.setSystemTime(new Date('2026-01-05T08:12:00Z'));
      const renewed = tokens.verify(tokens.renew(user, first.authTime).accessToken);
      expect(renewed.jti).not.toBe(first.jti);
      expect(renewed.exp - first.exp).toBe(12 * 60);
      expect(renewed.authTime).toBe(first.authTime);
    });

    it('refuses to renew a session older than maxSessionSeconds (the user signs in again)', () => {
      const shortSessions = new TokenService(secret, 900, 3600);
      const signedIn = Math.floor(Date.parse('2026-01-05T08:00:00Z') / 1000);
      expect(() => shortSessions.renew(user, signedIn, Date.parse('2026-01-05T08:59:59Z'))).not.toThrow();
      expect(() => shortSessions.renew(user, signedIn, Date.parse('2026-01-05T09:00:01Z'))).toThrow(SessionTooOldError);
    });

    it('dates a token issued before auth_time existed from its iat', () => {
      const legacy = jwt.sign({ username: 'hugo.him', roles: ['him'] }, secret, { algorithm: 'HS256', subject: 'u-0002', expiresIn: 900, jwtid: 'j-1' });
      const claims = tokens.verify(legacy);
      expect(claims.authTime).toBe((jwt.decode(legacy) as { iat: number }).iat);
    });
  });

  it('issues HS256 tokens that expire after ttlSeconds', () => {
    const { accessToken } = tokens.issue(user);

    const [header, payload] = accessToken.split('.');
    expect(decodePart(header)).toMatchObject({ alg: 'HS256' });
    const claims = decodePart(payload);
    expect((claims.exp as number) - (claims.iat as number)).toBe(900);
  });

  it('gives every token its own jti', () => {
    const a = tokens.verify(tokens.issue(user).accessToken);
    const b = tokens.verify(tokens.issue(user).accessToken);
    expect(a.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.jti).not.toBe(b.jti);
  });

  it('refuses a correctly signed token without exp (it would never expire), or without jti (it could not be revoked)', () => {
    const noExp = jwt.sign({ username: 'hugo.him', roles: ['him'], jti: 'j-1' }, secret, { algorithm: 'HS256', subject: 'u-0002' });
    const noJti = jwt.sign({ username: 'hugo.him', roles: ['him'] }, secret, { algorithm: 'HS256', subject: 'u-0002', expiresIn: 900 });
    const control = jwt.sign({ username: 'hugo.him', roles: ['him'] }, secret, { algorithm: 'HS256', subject: 'u-0002', expiresIn: 900, jwtid: 'j-1' });

    expect(() => tokens.verify(noExp)).toThrow(InvalidTokenError);
    expect(() => tokens.verify(noJti)).toThrow(InvalidTokenError);
    expect(tokens.verify(control).jti).toBe('j-1');
  });

  it('refuses an expired token', () => {
    jest.useFakeTimers({ now: new Date('2024-03-01T09:00:00.000Z') });
    const shortLived = new TokenService(secret, 1);
    const { accessToken } = shortLived.issue(user);
    expect(shortLived.verify(accessToken).sub).toBe('u-0002');

    jest.setSystemTime(new Date('2024-03-01T09:00:01.500Z'));

    expect(() => shortLived.verify(accessToken)).toThrow(InvalidTokenError);
  });

  it('refuses a token signed with another secret', () => {
    const forged = new TokenService(randomBytes(32), 900).issue(user).accessToken;

    expect(() => tokens.verify(forged)).toThrow(InvalidTokenError);
  });

  it("refuses an unsigned token (alg 'none')", () => {
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: 'u-0002', username: 'hugo.him', roles: ['admin'], iat: now, exp: now + 900 })}.`;

    expect(() => tokens.verify(unsigned)).toThrow(InvalidTokenError);
  });

  it('refuses a token whose payload was changed (roles raised to admin)', () => {
    const [header, payload, signature] = tokens.issue(user).accessToken.split('.');
    const tampered = `${header}.${base64url({ ...decodePart(payload), roles: ['admin'] })}.${signature}`;

    expect(() => tokens.verify(tampered)).toThrow(InvalidTokenError);
  });

  it('refuses a token signed with the same secret under another algorithm', () => {
    const hs512 = jwt.sign({ username: 'hugo.him', roles: ['him'] }, secret, { algorithm: 'HS512', subject: 'u-0002', expiresIn: 900 });

    expect(() => tokens.verify(hs512)).toThrow(InvalidTokenError);
  });

  it.each([
    ['an unknown role', { username: 'hugo.him', roles: ['superuser'] }, { subject: 'u-0002' }],
    ['roles not an array', { username: 'hugo.him', roles: 'him' }, { subject: 'u-0002' }],
    ['no roles', { username: 'hugo.him' }, { subject: 'u-0002' }],
    ['no username', { roles: ['him'] }, { subject: 'u-0002' }],
    ['no subject', { username: 'hugo.him', roles: ['him'] }, {}],
  ])('refuses a correctly signed token with %s', (_, payload, options) => {
    const token = jwt.sign(payload, secret, { algorithm: 'HS256', expiresIn: 900, jwtid: 'j-1', ...options });

    expect(() => tokens.verify(token)).toThrow(InvalidTokenError);
  });

  it.each(['', 'garbage', 'a.b.c'])('refuses a malformed token %p', (token) => {
    expect(() => tokens.verify(token)).toThrow(InvalidTokenError);
  });

  it('says nothing about the token in its error', () => {
    const error = (() => {
      try {
        tokens.verify('garbage');
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toBe('Invalid or expired token');
  });

  it('requires a secret of at least 32 bytes', () => {
    expect(() => new TokenService(randomBytes(31), 900)).toThrow('at least 32 bytes');
    expect(() => new TokenService(Buffer.alloc(0), 900)).toThrow();
    expect(() => new TokenService(randomBytes(32), 900)).not.toThrow();
  });
});
