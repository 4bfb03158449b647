/** Keys are portable across the filesystem and S3 adapters: relative ASCII paths whose segments
 * use only [A-Za-z0-9._-] and never start with a dot (which also rules out '.' and '..'). */
export class InvalidBlobKeyError extends Error {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`Invalid blob key ${JSON.stringify(key.slice(0, 200))}: ${reason}`);
    this.name = 'InvalidBlobKeyError';
  }
}

const MAX_KEY_LENGTH = 1024;
const ALLOWED = /^[A-Za-z0-9._/-]+$/;

export function assertValidBlobKey(key: string): void {
  checkPath(key, 'key');
  if (key.endsWith('/')) throw new InvalidBlobKeyError(key, 'must not end with "/"');
}

/** A prefix follows the key rules but may end with '/'. It must not be empty: deleting "everything" is never meant. */
export function assertValidBlobPrefix(prefix: string): void {
  checkPath(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix, 'prefix', prefix);
}

function checkPath(path: string, what: string, original = path): void {
  if (typeof path !== 'string' || path.length === 0) throw new InvalidBlobKeyError(String(original ?? ''), `${what} must not be empty`);
  if (original.length > MAX_KEY_LENGTH) throw new InvalidBlobKeyError(original, `longer than ${MAX_KEY_LENGTH} characters`);
  if (!ALLOWED.test(path)) throw new InvalidBlobKeyError(original, 'only A-Z a-z 0-9 . _ - / are allowed');
  if (path.startsWith('/')) throw new InvalidBlobKeyError(original, 'must be relative');
  for (const segment of path.split('/')) {
    if (segment.length === 0) throw new InvalidBlobKeyError(original, 'empty path segment');
    if (segment.startsWith('.')) throw new InvalidBlobKeyError(original, 'a segment must not start with "." (no "..")');
  }
}
