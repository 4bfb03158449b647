import { CommandContext, EventSourcedRunner } from '@medrec/application';
import type { Actor } from '@medrec/domain';
import type { EventStore } from '@medrec/event-store';
// The module itself, not the package index: the index also loads the Nest guards, which the CLI has no use for.
import { UserDirectory } from '@medrec/auth/user-directory';
import { AppConfig, loadConfig } from '@medrec/platform/config/app-config';
import { openStores } from '@medrec/platform/stores/open-stores';
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';

/** The CLI acts as one principal; which operator ran it is in the actor's username. */
export const CLI_ACTOR_ID = '00000000-0000-4000-8000-00000000c11a';

/** The stores a command works on, opened from the same configuration as the server. */
export interface CliContext {
  config: AppConfig;
  events: EventStore;
  eventSourced: EventSourcedRunner;
  users: UserDirectory;
  actor: Actor;
  /** A fresh command context (correlation id, time) for one command. */
  commandContext(): CommandContext;
  close(): Promise<void>;
}

/**
 * The commands of this context touch only PHI-free streams (users): the stores are opened without
 * the master key, and any use of a data key fails (NoPhiKeyStore).
 */
export async function openCliContext(env: NodeJS.ProcessEnv): Promise<CliContext> {
  const { config, events, codec, close } = await openStores(loadConfig(env), { phi: false });
  const eventSourced = new EventSourcedRunner(events, codec);
  const actor: Actor = { userId: CLI_ACTOR_ID, username: `cli:${operatorName(env)}`, role: 'admin' };
  return {
    config,
    events,
    eventSourced,
    users: new UserDirectory(eventSourced),
    actor,
    commandContext: () => ({ actor, correlationId: randomUUID(), at: new Date().toISOString() }),
    close,
  };
}

/** Opens the stores, runs `work`, and closes them whatever happens. */
export async function withCliContext<T>(env: NodeJS.ProcessEnv, work: (context: CliContext) => Promise<T>): Promise<T> {
  const context = await openCliContext(env);
  try {
    return await work(context);
  } finally {
    await context.close();
  }
}

/** The OS account running the CLI, as recorded in the audit trail. */
export function operatorName(env: NodeJS.ProcessEnv): string {
  let name: string | undefined;
  try {
    name = userInfo().username;
  } catch {
    // Containers may run under a uid without a passwd entry.
    name = env.USER || env.LOGNAME || env.USERNAME;
  }
  const safe = (name ?? '').replace(/[^A-Za-z0-9._@-]/g, '').slice(0, 64);
  return safe || `uid-${process.getuid?.() ?? 'unknown'}`;
}
