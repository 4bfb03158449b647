import { PURPOSES_BY_ROLE, PURPOSES_OF_USE, ROLES } from '@medrec/domain';
import { capabilitiesOf, maySearchText, Permission, PERMISSIONS, READS_PATIENT_DATA, resolveActingRole } from './permissions';

const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[];
const allows = (permission: Permission, role: string): boolean => (PERMISSIONS[permission] as readonly string[]).includes(role);

describe('resolveActingRole', () => {
  describe.each(ALL_PERMISSIONS)('%s', (permission) => {
    it.each([...ROLES])('for a user with the single role %s, matches PERMISSIONS', (role) => {
      const decision = resolveActingRole([role], permission);

      expect(decision).toEqual(allows(permission, role) ? { allowed: true, role } : { allowed: false, reason: 'role' });
    });
  });

  describe.each([...READS_PATIENT_DATA])('%s with a purpose of use', (permission) => {
    it.each([...ROLES])('for a user with the single role %s, allows exactly the purposes of the role', (role) => {
      for (const purpose of PURPOSES_OF_USE) {
        const expected = !allows(permission, role)
          ? { allowed: false, reason: 'role' }
          : PURPOSES_BY_ROLE[role].includes(purpose)
            ? { allowed: true, role }
            : { allowed: false, reason: 'purpose' };
        expect({ purpose, decision: resolveActingRole([role], permission, purpose) }).toEqual({ purpose, decision: expected });
      }
    });
  });

  it('lists only known roles in the table', () => {
    for (const permission of ALL_PERMISSIONS) {
      expect(PERMISSIONS[permission].length).toBeGreaterThan(0);
      for (const role of PERMISSIONS[permission]) expect(ROLES).toContain(role);
    }
  });

  it('requires a purpose of use exactly on the reads of patient data', () => {
    expect([...READS_PATIENT_DATA].sort()).toEqual([
      // A cover sheet's details: the patient and the document about to be scanned.
      'cover-sheets.read',
      'patients.disclosures',
      'records.accesses',
      'records.content',
      'records.diff',
      'records.events',
      'records.history',
      'records.read',
      'records.text',
      // The release package holds the released records' content.
      'release-requests.package',
      'search',
    ]);
    // Statistics are counts only: no purpose of use.
    expect(READS_PATIENT_DATA.has('stats')).toBe(false);
  });

  it('refuses a user without roles', () => {
    for (const permission of ALL_PERMISSIONS) expect(resolveActingRole([], permission)).toEqual({ allowed: false, reason: 'role' });
  });

  describe('a user with two roles', () => {
    it('acts in the role that holds the permission', () => {
      expect(resolveActingRole(['auditor', 'archivist'], 'records.destroy')).toEqual({ allowed: true, role: 'archivist' });
      expect(resolveActingRole(['admin', 'legal'], 'records.holds.place')).toEqual({ allowed: true, role: 'legal' });
      expect(resolveActingRole(['clinician', 'admin'], 'users.create')).toEqual({ allowed: true, role: 'admin' });
    });

    it('acts in the role that may declare the purpose', () => {
      expect(resolveActingRole(['clerk', 'clinician'], 'records.read', 'treatment')).toEqual({ allowed: true, role: 'clinician' });
      expect(resolveActingRole(['clerk', 'clinician'], 'records.read', 'operations')).toEqual({ allowed: true, role: 'clerk' });
      expect(resolveActingRole(['legal', 'auditor'], 'records.events', 'audit')).toEqual({ allowed: true, role: 'auditor' });
      expect(resolveActingRole(['legal', 'auditor'], 'records.events', 'legal')).toEqual({ allowed: true, role: 'legal' });
    });

    it('without a purpose, acts in the first permitted role in ROLES order', () => {
      expect(resolveActingRole(['clinician', 'clerk'], 'records.read')).toEqual({ allowed: true, role: 'clerk' });
    });

    it('refuses a purpose none of the permitted roles may declare, even if another role of the user could', () => {
      // auditor may declare 'audit' but may not read content; clerk may read content but not for 'audit'.
      expect(resolveActingRole(['clerk', 'auditor'], 'records.content', 'audit')).toEqual({ allowed: false, reason: 'purpose' });
      expect(resolveActingRole(['clinician', 'archivist'], 'records.read', 'legal')).toEqual({ allowed: false, reason: 'purpose' });
    });
  });
});

describe('maySearchText', () => {
  it('holds exactly for the roles that may read the text (records.text)', () => {
    expect(ROLES.filter(maySearchText)).toEqual([...PERMISSIONS['records.text']]);
    expect(maySearchText('auditor')).toBe(false);
    expect(maySearchText('archivist')).toBe(false);
  });

  it('for every pair of roles and every purpose, a search acts in a role that may read the text whenever the text may be read', () => {
    for (const a of ROLES) {
      for (const b of ROLES) {
        for (const purpose of PURPOSES_OF_USE) {
          const search = resolveActingRole([a, b], 'search', purpose);
          const text = resolveActingRole([a, b], 'records.text', purpose);
          const searchesText = search.allowed && maySearchText(search.role);
          expect({ roles: [a, b], purpose, searchesText }).toEqual({ roles: [a, b], purpose, searchesText: text.allowed });
        }
      }
    }
  });
});

describe('capabilitiesOf', () => {
  it('lists what the roles together may do and the purposes they may declare', () => {
    const { permissions, purposes } = capabilitiesOf(['clerk', 'auditor']);
    expect(permissions).toEqual(expect.arrayContaining(['records.create', 'search', 'records.accesses', 'auth.me']));
    expect(permissions).not.toContain('records.amend');
    expect(permissions).not.toContain('users.create');
    expect(purposes).toEqual(['operations', 'audit']);
  });

  it('gives an admin no purpose of use (no patient data) but the users screens', () => {
    expect(capabilitiesOf(['admin'])).toEqual({ permissions: expect.arrayContaining(['users.create', 'users.list', 'stats']), purposes: [] });
  });
});
