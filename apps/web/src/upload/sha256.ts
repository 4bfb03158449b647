/**
 * The hex SHA-256 of a file (Web Crypto), the `Idempotency-Key` of a stack: the server derives the
 * stack's id from it, so sending the same file again after a lost answer makes nothing new.
 */
export async function sha256Hex(file: Blob): Promise<string> {
  // crypto.subtle exists only in a secure context (HTTPS, or this machine over HTTP).
  if (!globalThis.crypto?.subtle) throw new Error('This browser cannot fingerprint the file here: open medrec over HTTPS.');
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
