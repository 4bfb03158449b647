import { Body, Controller, HttpCode, Post, Req, UnauthorizedException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public, RequirePermission, TokenService, UserDirectory } from '@medrec/auth';
import { contextOf, TracedRequest } from '../http/request-context';
import { CreateUserDto, TokenRequestDto } from './auth.dto';

@ApiTags('auth')
@Controller('api')
export class AuthController {
  constructor(
    private readonly users: UserDirectory,
    private readonly tokens: TokenService,
  ) {}

  @Post('auth/token')
  @HttpCode(200)
  @Public()
  async token(@Body() body: TokenRequestDto) {
    const account = await this.users.authenticate(body.username, body.password);
    if (!account) throw new UnauthorizedException('Unknown username or wrong password');
    return this.tokens.issue(account);
  }

  @Post('users')
  @RequirePermission('users.create')
  async createUser(@Body() body: CreateUserDto, @Req() req: TracedRequest) {
    const account = await this.users.create(body, contextOf(req));
    return { id: account.userId, username: account.username, roles: account.roles };
  }
}
