import { useState, type ReactNode } from 'react';
import { NavLink } from 'react-router';
import { useSession } from '../session/session';
import { PurposeForm } from '../screens/purpose';
import { PURPOSES } from './labels';

/** The screens, each shown only to those whose roles may use it. */
export const SCREENS = [
  { path: '/upload', label: 'Upload', permission: 'records.create' },
  { path: '/review', label: 'Review', permission: 'review.list' },
  { path: '/search', label: 'Search', permission: 'search' },
  { path: '/disposal', label: 'Disposal', permission: 'disposal.list' },
  // Whoever lists amendment requests (him) also lists release requests: one permission opens the screen.
  { path: '/requests', label: 'Requests', permission: 'release-requests.list' },
  { path: '/holds', label: 'Holds', permission: 'legal-holds.list' },
  { path: '/audit', label: 'Audit', permission: 'audit.emergency-access.list' },
  { path: '/users', label: 'Users', permission: 'users.list' },
] as const;

export function Layout({ children }: { children: ReactNode }) {
  const { session, signOut, can } = useSession();
  const [changingPurpose, setChangingPurpose] = useState(false);
  if (!session) return null;
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to main content
      </a>
      <header className="app-header">
        <span className="brand">medrec</span>
        <nav aria-label="Main">
          <ul>
            {SCREENS.filter((s) => can(s.permission)).map((s) => (
              <li key={s.path}>
                <NavLink to={s.path}>{s.label}</NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          {session.purpose && (
            <span className={session.purpose === 'emergency' ? 'purpose emergency' : 'purpose'}>
              Purpose: {PURPOSES[session.purpose] ?? session.purpose}{' '}
              <button type="button" className="link" onClick={() => setChangingPurpose(true)}>
                Change purpose
              </button>
            </span>
          )}
          <span className="user">{session.me.username}</span>
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {changingPurpose ? <PurposeForm onDone={() => setChangingPurpose(false)} /> : children}
      </main>
    </>
  );
}

/** Screens that show patient data wait for a purpose of use. */
export function NeedsPurpose({ children }: { children: ReactNode }) {
  const { session } = useSession();
  if (session && !session.purpose) return <PurposeForm />;
  return <>{children}</>;
}
