import { dictionary } from '@zxcvbn-ts/language-common';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '@medrec/domain';

let common: ReadonlySet<string> | undefined;

/** The ~49,000 most common passwords shipped with @zxcvbn-ts/language-common, lower-cased; loaded on first use. */
function commonPasswords(): ReadonlySet<string> {
  common ??= new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));
  return common;
}

/**
 * NIST SP 800-63B (5.1.1.2) where a password is set: long enough, not a known common password
 * (case-insensitively), not one character repeated, not containing the username. No composition
 * rules, no expiry. The first rule broken, as a message for the `password` field; null when none.
 * Never quotes the password.
 */
export function passwordPolicyProblem(password: unknown, username?: string): string | null {
  if (typeof password !== 'string') return 'must be a string';
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (password.length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  const lower = password.toLowerCase();
  if (new Set(lower).size === 1) return 'must not be one character repeated';
  if (commonPasswords().has(lower)) return 'is too common: it is on the list of common passwords';
  const name = username?.toLowerCase();
  if (name && lower.includes(name)) return 'must not contain the username';
  return null;
}
