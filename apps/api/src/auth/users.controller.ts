import { Body, Controller, Get, Patch, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RequirePermission, UserDirectory } from '@medrec/auth';
import type { UserAccount } from '@medrec/domain';
import { contextOf, TracedRequest } from '../http/request-context';
import { UpdateUserDto } from './auth.dto';
import { UuidParam } from '../http/uuid-param';

const view = (a: UserAccount) => ({ id: a.userId, username: a.username, roles: a.roles, active: a.active, locked: a.locked });

/** Administration of accounts: listing, roles, deactivation, unlocking. Every change is an attributed event on the users stream. */
@ApiTags('users')
@Controller('api/users')
export class UsersController {
  constructor(private readonly users: UserDirectory) {}

  @Get()
  @RequirePermission('users.list')
  async list() {
    return { users: (await this.users.list()).map(view) };
  }

  /** `{ roles?, active?, locked?: false }`: effective on the user's next request (tokens already issued included). */
  @Patch(':id')
  @RequirePermission('users.update')
  async update(@UuidParam('id') id: string, @Body() body: UpdateUserDto, @Req() req: TracedRequest) {
    return view(await this.users.update(id, body, contextOf(req)));
  }
}
