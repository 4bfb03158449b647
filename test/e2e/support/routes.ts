import type { INestApplication } from '@nestjs/common';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { PERMISSION_KEY, PUBLIC_KEY } from '../../../libs/auth/src/nest/auth.decorators';

export interface DeclaredRoute {
  /** e.g. `DELETE /api/records/:id/holds/:holdId` */
  route: string;
  handler: string;
  permission?: string;
  isPublic: boolean;
}

/** Every route of every controller the running app registered, with the permission (or @Public) it declares. */
export function declaredRoutes(app: INestApplication): DeclaredRoute[] {
  const routes: DeclaredRoute[] = [];
  for (const module of app.get(ModulesContainer, { strict: false }).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
      if (!controller) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      const classPublic = Reflect.getMetadata(PUBLIC_KEY, controller) === true;
      const classPermission = Reflect.getMetadata(PERMISSION_KEY, controller) as string | undefined;
      const proto = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(proto)) {
        const handler = proto[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue;
        const paths = ([] as string[]).concat(Reflect.getMetadata(PATH_METADATA, handler) ?? '/');
        for (const path of paths) {
          routes.push({
            route: `${RequestMethod[method]} ${joinPath(base, path)}`,
            handler: `${controller.name}.${name}`,
            permission: (Reflect.getMetadata(PERMISSION_KEY, handler) as string | undefined) ?? classPermission,
            isPublic: Reflect.getMetadata(PUBLIC_KEY, handler) === true || classPublic,
          });
        }
      }
    }
  }
  return routes;
}

function joinPath(...parts: string[]): string {
  const joined = parts
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter((p) => p.length > 0)
    .join('/');
  return '/' + joined;
}
