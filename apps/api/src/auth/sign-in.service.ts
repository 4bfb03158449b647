import { Inject, Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { PipelinedAppender, systemActor } from '@medrec/application';
import { ConsecutiveFailures, SignInThrottle, TokenService, UserDirectory } from '@medrec/auth';
import { SIGN_IN_FAILURES_STREAM, SignInFailed } from '@medrec/domain';
import { APP_CONFIG, AppConfig } from '@medrec/platform';

/** The one answer to every refused sign-in: wrong password, unknown user, locked or inactive alike. */
const REFUSED = 'Unknown username or wrong password';

/**
 * Sign-in: throttled per address and per username (429 before any hashing), the password checked
 * in a hashing slot (503 when the queue is full), each failure recorded as SignInFailed, and an
 * account locked (UserLocked) after consecutive failures. The password is never logged or stored.
 */
@Injectable()
export class SignInService {
  private readonly logger = new Logger('SignIn');
  private readonly throttle: SignInThrottle;
  private readonly failures: ConsecutiveFailures;

  constructor(
    private readonly users: UserDirectory,
    private readonly tokens: TokenService,
    private readonly appender: PipelinedAppender,
    storage: ThrottlerStorageService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    const { limitPerAddress, limitPerUsername, windowSeconds, lockoutAfterFailures } = config.signIn;
    this.throttle = new SignInThrottle(storage, { perAddress: limitPerAddress, perUsername: limitPerUsername, windowSeconds, lockoutAfterFailures });
    this.failures = new ConsecutiveFailures(lockoutAfterFailures);
  }

  async signIn(username: string, password: string, request: { address: string; correlationId: string }): Promise<{ accessToken: string; expiresIn: number }> {
    await this.throttle.admit(request.address, username);
    const result = await this.users.signIn(username, password);
    if (result.outcome === 'ok') {
      this.failures.succeed(result.account!.userId);
      return this.tokens.issue(result.account!);
    }

    const at = new Date().toISOString();
    const context = { actor: systemActor('sign-in'), correlationId: request.correlationId, at };
    const account = result.account;
    const failed: SignInFailed = {
      type: 'SignInFailed',
      data: { userId: account?.userId ?? null, username: account?.username ?? null, reason: result.outcome, address: request.address, failedAt: at },
    };
    await this.appender.append(SIGN_IN_FAILURES_STREAM, [failed], context);
    if (account && result.outcome === 'wrong-password') {
      const { count, lock } = this.failures.fail(account.userId);
      if (lock) {
        await this.users.lock(account.userId, count, context);
        // The user id only: no password, no address.
        this.logger.warn(`Locked user ${account.userId} after ${count} consecutive failed sign-ins`);
      }
    }
    throw new UnauthorizedException(REFUSED);
  }
}
