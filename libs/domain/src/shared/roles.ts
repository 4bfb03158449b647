export const ROLES = ['clerk', 'clinician', 'him', 'legal', 'archivist', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const isRole = (value: unknown): value is Role => ROLES.includes(value as Role);

/** Purposes of use a reader must declare (X-Purpose-Of-Use). `emergency` is break-the-glass. */
export const PURPOSES_OF_USE = ['treatment', 'payment', 'operations', 'legal', 'patient-request', 'audit', 'emergency'] as const;
export type PurposeOfUse = (typeof PURPOSES_OF_USE)[number];
export const isPurposeOfUse = (value: unknown): value is PurposeOfUse => PURPOSES_OF_USE.includes(value as PurposeOfUse);

/** Which purposes each role may declare when reading patient data (minimum necessary). */
export const PURPOSES_BY_ROLE: Record<Role, readonly PurposeOfUse[]> = {
  clerk: ['operations'],
  clinician: ['treatment', 'emergency'],
  him: ['treatment', 'payment', 'operations', 'legal', 'patient-request'],
  legal: ['legal'],
  archivist: ['operations'],
  auditor: ['audit'],
  admin: [],
};

/** The acting user, as every command carries it. */
export interface Actor {
  userId: string;
  username: string;
  /** `system` for the server's own processes (OCR, bootstrap), never for a person. */
  role: Role | 'system';
}
