import { createHash } from 'node:crypto';
import type { Certificate } from '@medrec/domain';

/**
 * The SHA-256 of a certificate of destruction's canonical JSON (the key order `certificateOf`
 * builds). The API appends it as CertificateIssued and compares on every read; `verify` re-derives
 * every issued certificate and compares too.
 */
export const certificateSha256 = (certificate: Certificate): string => createHash('sha256').update(JSON.stringify(certificate)).digest('hex');
