import { NavLink } from 'react-router';
import { useSession } from '../session/session';

const WAYS = [
  { path: '/upload', label: 'Single files', permission: 'records.create' },
  { path: '/upload/cover-sheets', label: 'Print cover sheets', permission: 'cover-sheets.issue' },
  { path: '/upload/stacks', label: 'Upload a stack', permission: 'stacks.receive' },
] as const;

/** The ways paper comes in, one screen each: files one by one, cover sheets to print, a scanner's stack. */
export function UploadNav() {
  const { can } = useSession();
  const ways = WAYS.filter((w) => can(w.permission));
  if (ways.length < 2) return null;
  return (
    <nav aria-label="Ways to upload" className="sub-nav">
      <ul>
        {ways.map((w) => (
          <li key={w.path}>
            <NavLink to={w.path} end={w.path === '/upload'}>
              {w.label}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}
