import { CanActivate, ExecutionContext, ForbiddenException, Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError, EMERGENCY_JUSTIFICATION_RULE, isEmergencyJustification, isPurposeOfUse, PURPOSES_OF_USE } from '@medrec/domain';
import { FIXED_PURPOSES, Permission, READS_PATIENT_DATA, resolveActingRole } from '../permissions';
import { TokenRevocations } from '../token-revocations';
import { InvalidTokenError, TokenService } from '../token.service';
import { UserDirectory } from '../user-directory';
import { PERMISSION_KEY, PUBLIC_KEY } from './auth.decorators';
import type { AuthenticatedRequest } from './authenticated-request';

/**
 * Global guard: every handler is denied unless it is @Public() or names a permission.
 * Order of answers: 401 (no/bad token; its user unknown, inactive or locked; the token revoked),
 * 403 (role), 400 (purpose missing or unknown), 403 (purpose not allowed for the role), 400 (an
 * emergency read without a valid X-Emergency-Justification).
 * The user and their roles come from the directory (cached), never from the token's claims alone.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly logger = new Logger(AuthGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
    private readonly users: UserDirectory,
    private readonly revocations: TokenRevocations,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const permission = this.reflector.getAllAndOverride<Permission | undefined>(PERMISSION_KEY, targets);
    if (!permission) {
      this.logger.error(`Handler ${context.getClass().name}.${context.getHandler().name} names no permission; denied`);
      throw new ForbiddenException('This operation is not available');
    }

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) throw new UnauthorizedException('A bearer token is required');
    let claims;
    try {
      claims = this.tokens.verify(match[1]);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new UnauthorizedException(error.message);
      throw error;
    }
    // The same answer as a bad token: nothing tells an unknown user from a deactivated, locked or signed-out one.
    const [account, revoked] = await Promise.all([this.users.activeAccount(claims.sub), this.revocations.isRevoked(claims.jti)]);
    if (!account || revoked) throw new UnauthorizedException(new InvalidTokenError().message);
    const roles = account.roles;

    const byRole = resolveActingRole(roles, permission);
    if (!byRole.allowed) throw new ForbiddenException('Your roles do not permit this operation');
    let role = byRole.role;

    if (READS_PATIENT_DATA.has(permission)) {
      const purpose = request.headers['x-purpose-of-use'];
      if (purpose === undefined || purpose === '') {
        throw DomainError.invalid([{ field: 'X-Purpose-Of-Use', message: `is required: one of ${PURPOSES_OF_USE.join(', ')}` }]);
      }
      if (!isPurposeOfUse(purpose)) {
        throw DomainError.invalid([{ field: 'X-Purpose-Of-Use', message: `must be one of ${PURPOSES_OF_USE.join(', ')}` }]);
      }
      const byPurpose = resolveActingRole(roles, permission, purpose);
      if (!byPurpose.allowed) throw new ForbiddenException('Your roles do not permit reading for this purpose of use');
      role = byPurpose.role;
      // Break-the-glass: an emergency read says why, or nothing of it happens.
      const justification = purpose === 'emergency' ? emergencyJustificationOf(request.headers['x-emergency-justification']) : undefined;
      request.purposeOfUse = purpose;
      if (justification !== undefined) request.emergencyJustification = justification;
    } else if (FIXED_PURPOSES[permission]) {
      request.purposeOfUse = FIXED_PURPOSES[permission];
    }

    request.actor = { userId: account.userId, username: account.username, role };
    request.token = { jti: claims.jti, exp: claims.exp, authTime: claims.authTime };
    return true;
  }
}

/**
 * The X-Emergency-Justification of an emergency read, as UTF-8 text (HTTP hands header bytes over
 * one per character): present, non-blank, at most 1,000 characters; otherwise 400 naming the header.
 */
export function emergencyJustificationOf(header: string | string[] | undefined): string {
  const invalid = () => DomainError.invalid([{ field: 'X-Emergency-Justification', message: EMERGENCY_JUSTIFICATION_RULE }]);
  if (typeof header !== 'string') throw invalid();
  const text = Buffer.from(header, 'latin1').toString('utf8');
  if (text.includes('\uFFFD') || !isEmergencyJustification(text)) throw invalid();
  return text.trim();
}
