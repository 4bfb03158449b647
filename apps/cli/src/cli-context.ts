import { CommandContext, EventSourcedRunner, PhiCodec } from '@medrec/application';
import type { Actor } from '@medrec/domain';
import type { EventStore } from '@medrec/event-store';
// The module itself, not the package index: the index also loads the Nest guards, which the CLI has no use for.
import { UserDirectory } from '@medrec/auth/user-directory';
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { AppConfig, loadConfig } from '../../api/src/config/app-config';
import { createEventStore } from '../../api/src/infrastructure/create-event-store';
import { NoPhiKeyStore } from './no-phi-key-store';

/** The CLI acts as one principal; which operator ran it is in the actor's username. */
export const CLI_ACTOR_ID = '00000000-0000-4000-8000-00000000c11a';

/** The stores a command works on, opened from the same configuration as the server. */
export interface CliContext {
  config: AppConfig;
  events: EventStore;
  runner: EventSourcedRunner;
  users: UserDirectory;
  actor: Actor;
  /** A fresh command context (correlation id, time) for one command. */
  commandContext(): CommandContext;
  close(): Promise<void>;
}

export function openCliContext(env: NodeJS.ProcessEnv): CliContext {
  const config = loadConfig(env);
  const events = createEventStore(config);
  const keys = new NoPhiKeyStore();
  const runner = new EventSourcedRunner(events, new PhiCodec(keys, {}));
  const actor: Actor = { userId: CLI_ACTOR_ID, username: `cli:${operatorName(env)}`, role: 'admin' };
  return {
    config,
    events,
    runner,
    users: new UserDirectory(runner),
    actor,
    commandContext: () => ({ actor, correlationId: randomUUID(), at: new Date().toISOString() }),
    async close() {
      await events.close();
      await keys.close();
    },
  };
}

/** Opens the stores, runs `work`, and closes them whatever happens. */
export async function withCliContext<T>(env: NodeJS.ProcessEnv, work: (context: CliContext) => Promise<T>): Promise<T> {
  const context = openCliContext(env);
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
