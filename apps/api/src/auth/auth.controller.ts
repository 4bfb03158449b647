import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public, RequirePermission, TokenRevocations, UserDirectory } from '@medrec/auth';
import { contextOf, TracedRequest } from '../http/request-context';
import { CreateUserDto, TokenRequestDto } from './auth.dto';
import { SignInService } from './sign-in.service';

@ApiTags('auth')
@Controller('api')
export class AuthController {
  constructor(
    private readonly users: UserDirectory,
    private readonly signIns: SignInService,
    private readonly revocations: TokenRevocations,
  ) {}

  @Post('auth/token')
  @HttpCode(200)
  @Public()
  token(@Body() body: TokenRequestDto, @Req() req: TracedRequest) {
    return this.signIns.signIn(body.username, body.password, { address: clientAddress(req), correlationId: req.correlationId });
  }

  /** Revokes the token this request carries (TokenRevoked); the user's other tokens stay valid. */
  @Post('auth/sign-out')
  @HttpCode(204)
  @RequirePermission('auth.sign-out')
  async signOut(@Req() req: TracedRequest): Promise<void> {
    await this.revocations.revoke(req.token, contextOf(req));
  }

  @Post('users')
  @RequirePermission('users.create')
  async createUser(@Body() body: CreateUserDto, @Req() req: TracedRequest) {
    const account = await this.users.create(body, contextOf(req));
    return { id: account.userId, username: account.username, roles: account.roles };
  }
}

/** The peer's address (Express's req.ip: the socket's, unless `trust proxy` is set). */
function clientAddress(req: TracedRequest): string {
  return req.ip ?? req.socket?.remoteAddress ?? 'unknown';
}
