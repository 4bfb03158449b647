import { ApiProperty } from '@nestjs/swagger';
import type { Permission } from '@medrec/auth';
import { PURPOSES_OF_USE, ROLES } from '@medrec/domain';

/** The bodies the auth and users routes answer (OpenAPI only). */

export class TokenAnswer {
  @ApiProperty({ description: 'Send as `Authorization: Bearer <accessToken>`' })
  accessToken: string;

  @ApiProperty({ type: 'integer', description: 'Seconds until the token expires' })
  expiresIn: number;
}

/** GET /api/auth/me: who the caller is and what they may do. */
export class Me {
  @ApiProperty({ format: 'uuid' })
  userId: string;

  @ApiProperty()
  username: string;

  @ApiProperty({ enum: ROLES, isArray: true })
  roles: string[];

  @ApiProperty({ type: String, isArray: true, description: 'The permissions the roles grant (e.g. `records.read`)' })
  permissions: Permission[];

  @ApiProperty({ enum: PURPOSES_OF_USE, isArray: true, description: 'The purposes of use the caller may declare' })
  purposes: string[];
}

/** 201 of POST /api/users. */
export class CreatedUser {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  username: string;

  @ApiProperty({ enum: ROLES, isArray: true })
  roles: string[];
}

export class UserView extends CreatedUser {
  @ApiProperty()
  active: boolean;

  @ApiProperty({ description: 'Locked after repeated failed sign-ins, until an administrator unlocks it' })
  locked: boolean;
}

export class UserList {
  @ApiProperty({ type: [UserView] })
  users: UserView[];
}
