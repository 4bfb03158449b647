const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPENERS = new Set([0x7b, 0x5b]); // { [
const CLOSERS = new Set([0x7d, 0x5d]); // } ]
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

export interface JsonShapeLimits {
  /** Nesting of objects and arrays. */
  maxDepth: number;
  /** Array elements and object members, all containers together. */
  maxMembers: number;
}

export type JsonShapeExcess = 'too-deep' | 'too-many-members';

/**
 * Which limit JSON text exceeds, read from its bytes before any parser sees them: one pass, no
 * recursion, strings skipped. Bytes of multi-byte UTF-8 characters are all >= 0x80, so they are
 * never mistaken for brackets, commas or quotes. Counts are exact for valid JSON; invalid JSON may
 * be counted loosely, JSON.parse refuses it afterwards.
 */
export function jsonShapeExcess(bytes: Uint8Array, limits: JsonShapeLimits): JsonShapeExcess | undefined {
  let depth = 0;
  let members = 0;
  let inString = false;
  /** Just after `{` or `[`: the next token is a first member unless it closes the container. */
  let opened = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
      continue;
    }
    if (WHITESPACE.has(byte)) continue;
    if (opened && !CLOSERS.has(byte)) members++;
    opened = false;
    if (byte === QUOTE) {
      inString = true;
    } else if (OPENERS.has(byte)) {
      if (++depth > limits.maxDepth) return 'too-deep';
      opened = true;
    } else if (CLOSERS.has(byte)) {
      if (depth > 0) depth--;
    } else if (byte === COMMA) {
      members++;
    }
    if (members > limits.maxMembers) return 'too-many-members';
  }
  return undefined;
}
