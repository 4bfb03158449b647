import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { systemActor } from '@medrec/application';
import { passwordPolicyProblem, UserDirectory } from '@medrec/auth';
import { DomainError } from '@medrec/domain';
import { APP_CONFIG, AppConfig } from '@medrec/platform';

/**
 * First start with no administrator (no users at all, or only users created with the CLI, none
 * of them admin): creates `admin` with the password from MEDREC_ADMIN_PASSWORD, else a generated
 * one printed once.
 */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger('Users');

  constructor(
    private readonly users: UserDirectory,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const accounts = await this.users.list();
    if (accounts.some((a) => a.roles.includes('admin'))) return;
    if (accounts.some((a) => a.username === 'admin')) {
      this.logger.warn('No user has the admin role and the username "admin" is taken: create an administrator with the CLI');
      return;
    }
    const password = this.config.adminPassword ?? generatedPassword();
    const at = new Date().toISOString();
    try {
      await this.users.create({ username: 'admin', password, roles: ['admin'] }, { actor: systemActor('bootstrap'), correlationId: randomUUID(), at });
    } catch (error) {
      // Another API process of the deployment, started at the same time, created it first.
      if (error instanceof DomainError && error.kind === 'conflict' && (await this.users.list()).some((a) => a.username === 'admin')) {
        this.logger.log('The first user "admin" was created by another process');
        return;
      }
      throw error;
    }
    if (this.config.adminPassword) {
      this.logger.log('Created the first user "admin" with the password from MEDREC_ADMIN_PASSWORD');
    } else {
      // Printed once, to the console only: there is no other way to hand over the first password.
      process.stdout.write(`\n  First start: created user "admin" with password: ${password}\n  Store it safely; it is not shown again.\n\n`);
    }
  }
}

/** 24 random base64url characters, drawn again in the unlikely case they break the password policy. */
function generatedPassword(): string {
  for (;;) {
    const password = randomBytes(18).toString('base64url');
    if (!passwordPolicyProblem(password, 'admin')) return password;
  }
}
