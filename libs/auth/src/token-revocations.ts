import { CommandContext, EventSourcedRunner, PipelinedAppender, StreamCache } from '@medrec/application';
import { RevocationsState, revocationsDecider, RevokeToken, TOKEN_REVOCATIONS_STREAM, TokenRevoked } from '@medrec/domain';

/**
 * Signed-out tokens: `TokenRevoked { jti, exp }` in the token-revocations stream, and the check of
 * a token against them from a cache caught up at most every refreshMs (no read per request).
 */
export class TokenRevocations {
  private readonly cache: StreamCache<RevokeToken, TokenRevoked, RevocationsState>;

  constructor(
    eventSourced: EventSourcedRunner,
    private readonly appender: PipelinedAppender,
    refreshMs = 1000,
  ) {
    this.cache = new StreamCache(eventSourced, TOKEN_REVOCATIONS_STREAM, revocationsDecider, refreshMs);
  }

  /** Appends the revocation (attributed to the context's actor, normally the token's own user). */
  async revoke(token: { jti: string; exp: number }, context: CommandContext): Promise<{ position: number }> {
    const events = revocationsDecider.decide({ type: 'RevokeToken', jti: token.jti, exp: token.exp, at: context.at });
    const result = await this.appender.append(TOKEN_REVOCATIONS_STREAM, events, context);
    this.cache.invalidate();
    return { position: result.position };
  }

  async isRevoked(jti: string): Promise<boolean> {
    return (await this.cache.state()).revoked.has(jti);
  }
}
