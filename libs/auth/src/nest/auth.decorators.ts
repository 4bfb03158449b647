import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader } from '@nestjs/swagger';
import { MAX_EMERGENCY_JUSTIFICATION, PURPOSES_OF_USE } from '@medrec/domain';
import { Permission, PERMISSIONS, READS_PATIENT_DATA } from '../permissions';
import type { AuthenticatedRequest } from './authenticated-request';

export const PERMISSION_KEY = 'medrec:permission';
export const PUBLIC_KEY = 'medrec:public';

/** Names the entry of the role x endpoint table that guards this handler. */
export function RequirePermission(permission: Permission): MethodDecorator {
  const decorators: Array<ClassDecorator | MethodDecorator | PropertyDecorator> = [SetMetadata(PERMISSION_KEY, permission), ApiBearerAuth()];
  if (READS_PATIENT_DATA.has(permission)) {
    decorators.push(
      ApiHeader({ name: 'X-Purpose-Of-Use', required: true, enum: [...PURPOSES_OF_USE], description: `Roles: ${PERMISSIONS[permission].join(', ')}` }),
      ApiHeader({
        name: 'X-Emergency-Justification',
        required: false,
        description: `Required with X-Purpose-Of-Use: emergency (break-the-glass): why, non-blank, at most ${MAX_EMERGENCY_JUSTIFICATION} characters`,
      }),
    );
  }
  return applyDecorators(...decorators);
}

export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_KEY, true);

/** The authenticated caller and the role they act in for this request. */
export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext) => {
  return ctx.switchToHttp().getRequest<AuthenticatedRequest>().actor;
});

/** The declared purpose of use (validated by the guard on reads of patient data). */
export const PurposeOfUseHeader = createParamDecorator((_: unknown, ctx: ExecutionContext) => {
  return ctx.switchToHttp().getRequest<AuthenticatedRequest>().purposeOfUse;
});
