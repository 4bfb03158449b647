import { Body, Controller, Get, HttpCode, Post, Req, UnauthorizedException } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { capabilitiesOf, InvalidTokenError, Public, RequirePermission, SessionTooOldError, TokenRevocations, TokenService, UserDirectory } from '@medrec/auth';
import { ApiAuthenticated, ApiProblems, ApiSummary } from '../http/api-docs';
import { contextOf, TracedRequest } from '../http/request-context';
import { CreatedUser, Me, TokenAnswer } from './auth.response';
import { CreateUserDto, TokenRequestDto } from './auth.dto';
import { SignInService } from './sign-in.service';

@ApiTags('auth')
@Controller('api')
export class AuthController {
  constructor(
    private readonly users: UserDirectory,
    private readonly signIns: SignInService,
    private readonly revocations: TokenRevocations,
    private readonly tokens: TokenService,
  ) {}

  @Post('auth/token')
  @HttpCode(200)
  @Public()
  @ApiSummary('Sign in: a bearer token for a username and password', { public: true })
  @ApiOkResponse({ type: TokenAnswer })
  @ApiProblems(400, 401, 413, 415, 429, 503)
  token(@Body() body: TokenRequestDto, @Req() req: TracedRequest) {
    return this.signIns.signIn(body.username, body.password, { address: clientAddress(req), correlationId: req.correlationId });
  }

  /** Revokes the token this request carries (TokenRevoked); the user's other tokens stay valid. */
  @Post('auth/sign-out')
  @HttpCode(204)
  @RequirePermission('auth.sign-out')
  @ApiSummary('Sign out: revoke the token this request carries')
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiAuthenticated()
  async signOut(@Req() req: TracedRequest): Promise<void> {
    await this.revocations.revoke(req.token, contextOf(req));
  }

  /**
   * A fresh token for the signed-in user (roles as the directory has them now), for clients that
   * renew before expiry; 401 once the sign-in is older than MEDREC_MAX_SESSION_SECONDS.
   */
  @Post('auth/token/renew')
  @HttpCode(200)
  @RequirePermission('auth.renew')
  @ApiSummary('Renew the token before it expires (until the session is too old)')
  @ApiOkResponse({ type: TokenAnswer })
  @ApiAuthenticated()
  async renew(@Req() req: TracedRequest) {
    // The guard has just found the account active; its roles are the directory's, not the old token's.
    const account = await this.users.activeAccount(req.actor.userId);
    if (!account) throw new UnauthorizedException(new InvalidTokenError().message);
    try {
      return this.tokens.renew(account, req.token.authTime);
    } catch (error) {
      if (error instanceof SessionTooOldError) throw new UnauthorizedException(error.message);
      throw error;
    }
  }

  /** Who the caller is, their roles as the directory has them now, what they may do and which purposes of use they may declare. */
  @Get('auth/me')
  @RequirePermission('auth.me')
  @ApiSummary('Who the caller is: roles, permissions and the purposes of use they may declare')
  @ApiOkResponse({ type: Me })
  @ApiAuthenticated()
  async me(@Req() req: TracedRequest) {
    const account = await this.users.activeAccount(req.actor.userId);
    if (!account) throw new UnauthorizedException(new InvalidTokenError().message);
    return { userId: account.userId, username: account.username, roles: account.roles, ...capabilitiesOf(account.roles) };
  }

  @Post('users')
  @RequirePermission('users.create')
  @ApiSummary('Create a user account with roles (administrators)')
  @ApiCreatedResponse({ type: CreatedUser })
  @ApiAuthenticated()
  @ApiProblems(400, 409, 413, 415, 503)
  async createUser(@Body() body: CreateUserDto, @Req() req: TracedRequest) {
    const account = await this.users.create(body, contextOf(req));
    return { id: account.userId, username: account.username, roles: account.roles };
  }
}

/** The peer's address (Express's req.ip: the socket's, unless `trust proxy` is set). */
function clientAddress(req: TracedRequest): string {
  return req.ip ?? req.socket?.remoteAddress ?? 'unknown';
}
