import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { writePrivateFileSync } from '@medrec/crypto';
import { systemActor } from '@medrec/application';
import { passwordPolicyProblem, UserDirectory } from '@medrec/auth';
import { DomainError } from '@medrec/domain';
import { APP_CONFIG, AppConfig } from '@medrec/platform';

/**
 * First start with no administrator (no users at all, or only users created with the CLI, none
 * of them admin): creates `admin` with the password from MEDREC_ADMIN_PASSWORD, else a generated
 * one written to an owner-only file of the data directory (never to the logs, which are shipped
 * and kept elsewhere).
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
      const file = join(this.config.dataDir, INITIAL_ADMIN_PASSWORD_FILE);
      writePrivateFileSync(file, `${password}\n`);
      this.logger.warn(`First start: created the user "admin"; its password is in ${file} (owner-only). Sign in, store it safely, then delete the file.`);
    }
  }
}

export const INITIAL_ADMIN_PASSWORD_FILE = 'initial-admin-password';

/** 24 random base64url characters, drawn again in the unlikely case they break the password policy. */
function generatedPassword(): string {
  for (;;) {
    const password = randomBytes(18).toString('base64url');
    if (!passwordPolicyProblem(password, 'admin')) return password;
  }
}
