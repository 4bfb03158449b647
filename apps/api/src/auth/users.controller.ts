import { Body, Controller, Get, Patch, Req } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequirePermission, UserDirectory } from '@medrec/auth';
import type { UserAccount } from '@medrec/domain';
import { ApiAuthenticated, ApiProblems, ApiSummary } from '../http/api-docs';
import { contextOf, TracedRequest } from '../http/request-context';
import { UserList, UserView } from './auth.response';
import { UpdateUserDto } from './auth.dto';
import { UuidParam } from '../http/uuid-param';

const view = (a: UserAccount) => ({ id: a.userId, username: a.username, roles: a.roles, active: a.active, locked: a.locked });

/** Administration of accounts: listing, roles, deactivation, unlocking. Every change is an attributed event on the users stream. */
@ApiTags('users')
@ApiAuthenticated()
@Controller('api/users')
export class UsersController {
  constructor(private readonly users: UserDirectory) {}

  @Get()
  @RequirePermission('users.list')
  @ApiSummary('List the user accounts (administrators)')
  @ApiOkResponse({ type: UserList })
  async list() {
    return { users: (await this.users.list()).map(view) };
  }

  /** `{ roles?, active?, locked?: false }`: effective on the user's next request (tokens already issued included). */
  @Patch(':id')
  @RequirePermission('users.update')
  @ApiSummary("Change a user's roles, deactivate or reactivate them, or unlock them (administrators)")
  @ApiOkResponse({ type: UserView })
  @ApiProblems(400, 404, 409, 413, 415)
  async update(@UuidParam('id') id: string, @Body() body: UpdateUserDto, @Req() req: TracedRequest) {
    return view(await this.users.update(id, body, contextOf(req)));
  }
}
