import { Actor, PURPOSES_BY_ROLE, PURPOSES_OF_USE, PurposeOfUse, Role, ROLES } from '@medrec/domain';

/**
 * The role x endpoint table: the single place that says who may call what. Every controller
 * method names its permission; a test walks every entry against every role over HTTP.
 */
export const PERMISSIONS = {
  'users.create': ['admin'],
  'users.list': ['admin'],
  /** Roles, active, unlock: effective on the user's next request. */
  'users.update': ['admin'],
  /** Revokes the caller's own token. */
  'auth.sign-out': ['clerk', 'clinician', 'him', 'legal', 'archivist', 'auditor', 'admin'],
  'auth.renew': ['clerk', 'clinician', 'him', 'legal', 'archivist', 'auditor', 'admin'],
  /** Who the caller is and what they may do (what a client shows them); no patient data. */
  'auth.me': ['clerk', 'clinician', 'him', 'legal', 'archivist', 'auditor', 'admin'],
  'records.create': ['clerk', 'him'],
  'records.read': ['clerk', 'clinician', 'him', 'legal', 'archivist', 'auditor'],
  /** Versions and OCR status only (no patient data, not audited): what the upload screen polls. */
  'records.status': ['clerk', 'clinician', 'him', 'legal', 'archivist', 'auditor'],
  'records.content': ['clerk', 'clinician', 'him', 'legal'],
  'records.text': ['clerk', 'clinician', 'him', 'legal'],
  'records.amend': ['him'],
  'records.release': ['him'],
  'records.holds.place': ['legal'],
  'records.holds.lift': ['legal'],
  /** Legal holds by matter (over records by id and/or a patient's MRN). */
  'legal-holds.place': ['legal'],
  'legal-holds.list': ['legal', 'archivist', 'auditor'],
  'legal-holds.lift': ['legal'],
  'records.archive': ['him', 'archivist'],
  /** The approver's own approval, which a destruction by someone else then names. */
  'records.destroy.approve': ['archivist', 'him'],
  'records.destroy': ['archivist'],
  'records.events': ['legal', 'auditor'],
  'records.history': ['legal', 'him', 'auditor'],
  'records.diff': ['clerk', 'clinician', 'him', 'legal'],
  'records.accesses': ['auditor', 'legal'],
  /** The legal history report (PDF or JSON): read for the purpose `legal` whoever asks (FIXED_PURPOSES). */
  'records.history.report': ['legal', 'him', 'auditor'],
  /** Break-the-glass review: the emergency reads not yet reviewed, and an auditor's review of one. */
  'audit.emergency-access.list': ['auditor'],
  'audit.emergency-access.review': ['auditor'],
  /** The same for searches declared emergency: those not yet reviewed, and an auditor's review of one. */
  'audit.emergency-searches.list': ['auditor'],
  'audit.emergency-searches.review': ['auditor'],
  /** The query audit: who searched or reported over patients' data, with what and why (PHI, read for the purpose audit). */
  'audit.queries.list': ['auditor'],
  'patients.disclosures': ['him', 'legal', 'auditor'],
  search: ['clerk', 'clinician', 'him', 'legal', 'archivist', 'auditor'],
  /** Counts only, no patient data. */
  stats: ['him', 'archivist', 'auditor', 'admin'],
  /** Retention schedules (no patient data); changes are attributed RetentionScheduleChanged events. */
  'retention.schedules.read': ['archivist', 'him', 'auditor'],
  'retention.schedules.change': ['archivist', 'him'],
  /** Record ids, document types and retention dates: no names, no MRNs. */
  'retention.due': ['archivist', 'him'],
  /** Disposal batches: proposed by an archivist, approved by another archivist or HIM, executed by an archivist. */
  'disposal.propose': ['archivist'],
  'disposal.list': ['archivist', 'him', 'auditor'],
  'disposal.read': ['archivist', 'him', 'auditor'],
  'disposal.approve': ['archivist', 'him'],
  'disposal.execute': ['archivist'],
  /** Certificates of destruction (MRNs, which the law requires on them). */
  'disposal.certificates.list': ['archivist', 'auditor', 'legal'],
  'disposal.certificates.read': ['archivist', 'auditor', 'legal'],
  /** Bulk archive: every live record inactive since a day, each archived by the caller (record ids only in the answer). */
  'archive.batches.start': ['archivist', 'him'],
  /** Finishes a batch interrupted part way; a finished one is answered again. */
  'archive.batches.resume': ['archivist', 'him'],
  /** A batch's date, document type, records and progress: no patient data. */
  'archive.batches.read': ['archivist', 'him', 'auditor'],
  /** Release-of-information requests (right of access): registered, fulfilled and denied by HIM; followed by legal and auditors. */
  'release-requests.create': ['him'],
  'release-requests.list': ['him', 'legal', 'auditor'],
  'release-requests.read': ['him', 'legal', 'auditor'],
  'release-requests.fulfil': ['him'],
  'release-requests.deny': ['him'],
  /** The package itself: the released records' content, audited as a read with its purpose. */
  'release-requests.package': ['him'],
  /** Patients' amendment requests (45 CFR 164.526): received, accepted or denied, disagreement and rebuttal, all by HIM. */
  'amendment-requests.create': ['him'],
  /** Ids, statuses and dates: no patient data (the texts are read in the record's history). */
  'amendment-requests.list': ['him'],
  'amendment-requests.read': ['him'],
  'amendment-requests.accept': ['him'],
  'amendment-requests.deny': ['him'],
  /** The patient's statement of disagreement, entered by HIM. */
  'amendment-requests.disagreement': ['him'],
  'amendment-requests.rebuttal': ['him'],
  /** The quality-review queue: ids, kinds, page numbers and measures, no patient data. */
  'review.list': ['clerk', 'him'],
  /** Accept, rescan, or assign the page(s) to a record (a new version, whoever of the two files it). */
  'review.resolve': ['clerk', 'him'],
  /** Cover sheets for the scanner: issued one at a time or from a CSV, read back (audited); the separator sheet names no one. */
  'cover-sheets.issue': ['clerk', 'him'],
  'cover-sheets.batch': ['clerk', 'him'],
  'cover-sheets.separator': ['clerk', 'him'],
  'cover-sheets.read': ['clerk', 'him'],
  /** A sheet printed by mistake: voided, it files nothing (no patient data in the answer). */
  'cover-sheets.void': ['clerk', 'him'],
  /** Scanner stacks split into records by their cover sheets; the stack's answer holds ids and page numbers, no patient data. */
  'stacks.receive': ['clerk', 'him'],
  'stacks.read': ['clerk', 'him'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

/** Permissions whose endpoints return patient data and so require a purpose of use. */
export const READS_PATIENT_DATA: ReadonlySet<Permission> = new Set<Permission>([
  'records.read',
  'records.content',
  'records.text',
  'records.events',
  'records.history',
  'records.diff',
  'records.accesses',
  'patients.disclosures',
  'search',
  'release-requests.package',
  'cover-sheets.read',
  // The archivists' workflow lists (legal holds, disposal batches, certificates) show matters and
  // MRNs to the roles the contract names, without X-Purpose-Of-Use (API.md "Workflows").
]);

/**
 * Permissions whose endpoints read patient data for one purpose, fixed by the endpoint rather than
 * declared: no X-Purpose-Of-Use is taken (one sent is ignored), and the read is recorded with this
 * purpose. The legal history report is a legal document whoever asks for it.
 */
export const FIXED_PURPOSES: Readonly<Partial<Record<Permission, PurposeOfUse>>> = {
  'records.history.report': 'legal',
  'audit.queries.list': 'audit',
};

/**
 * Whether search may match and show the documents' text for a role: only where the text itself may
 * be read (records.text). Matching words is reading the text, so a role without it searches by
 * metadata filters only and gets results without snippets. Decided on the role the search acts
 * in, which for any purpose is one that may read the text whenever the user holds such a role.
 */
export function maySearchText(role: Actor['role']): boolean {
  return (PERMISSIONS['records.text'] as readonly Actor['role'][]).includes(role);
}

export type RoleDecision = { allowed: true; role: Role } | { allowed: false; reason: 'role' | 'purpose' };

/**
 * Picks the role a user acts in for a permission: the first of the user's roles (in ROLES order)
 * that holds the permission and, for reads of patient data, may declare the purpose.
 */
export function resolveActingRole(userRoles: readonly Role[], permission: Permission, purpose?: PurposeOfUse): RoleDecision {
  const allowed: readonly Role[] = PERMISSIONS[permission];
  const candidates = ROLES.filter((r) => userRoles.includes(r) && allowed.includes(r));
  if (candidates.length === 0) return { allowed: false, reason: 'role' };
  if (purpose === undefined) return { allowed: true, role: candidates[0] };
  const role = candidates.find((r) => PURPOSES_BY_ROLE[r].includes(purpose));
  return role ? { allowed: true, role } : { allowed: false, reason: 'purpose' };
}

/** What a user holding these roles may do, and the purposes of use they may declare (for clients to show). */
export function capabilitiesOf(userRoles: readonly Role[]): { permissions: Permission[]; purposes: PurposeOfUse[] } {
  const permissions = (Object.keys(PERMISSIONS) as Permission[]).filter((p) => resolveActingRole(userRoles, p).allowed);
  const purposes = PURPOSES_OF_USE.filter((purpose) => userRoles.some((r) => PURPOSES_BY_ROLE[r].includes(purpose)));
  return { permissions, purposes };
}
