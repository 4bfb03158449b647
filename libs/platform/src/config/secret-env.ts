import { readFileSync } from 'node:fs';

/** The settings that hold secrets: each may also be given as a file (`<NAME>_FILE`, Docker secrets). */
export const SECRET_SETTINGS = [
  'MEDREC_MASTER_KEY',
  'MEDREC_TOKEN_SECRET',
  'MEDREC_ADMIN_PASSWORD',
  'MINIO_SECRET_KEY',
  'EVENTSTORE_CONNECTION_STRING',
] as const;

export type SecretSetting = (typeof SECRET_SETTINGS)[number];

/**
 * The environment with every secret setting resolved: `X` itself, or the trimmed content of the
 * file `X_FILE` names. Both set, an unreadable or an empty file → a problem naming the variable;
 * a problem never quotes the secret (nor the file's content), only the file's path.
 */
export function withSecretFiles(env: NodeJS.ProcessEnv, problems: string[]): NodeJS.ProcessEnv {
  const resolved: NodeJS.ProcessEnv = { ...env };
  for (const name of SECRET_SETTINGS) {
    const file = env[`${name}_FILE`];
    if (file === undefined || file === '') continue;
    if (env[name]) {
      problems.push(`${name} and ${name}_FILE are both set: set only one of them`);
      delete resolved[name];
      continue;
    }
    let content: string;
    try {
      content = readFileSync(file, 'utf8').trim();
    } catch (error) {
      problems.push(`${name}_FILE names a file that cannot be read: ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      continue;
    }
    if (content === '') problems.push(`${name}_FILE names an empty file: ${file}`);
    else resolved[name] = content;
  }
  return resolved;
}
