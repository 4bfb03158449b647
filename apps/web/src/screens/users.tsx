import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, expectOk } from '../api/client';
import type { UserView } from '../api/types';
import { ScreenTitle } from '../ui/screen-title';
import { ErrorMessage } from '../ui/error-message';

const ROLES = ['clerk', 'clinician', 'him', 'legal', 'archivist', 'auditor', 'admin'] as const;

/** Administration: accounts, their roles, deactivation and unlocking (each change an attributed event). */
export function UsersScreen() {
  const queryClient = useQueryClient();
  const users = useQuery({ queryKey: ['users'], queryFn: () => expectOk(api.GET('/api/users', {})) });
  const update = useMutation({
    mutationFn: (change: { id: string; body: { roles?: string[]; active?: boolean; locked?: false } }) =>
      expectOk(api.PATCH('/api/users/{id}', { params: { path: { id: change.id } }, body: change.body as never })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['users'] }),
  });

  return (
    <section aria-labelledby="users-title">
      <ScreenTitle id="users-title">Users</ScreenTitle>
      <CreateUser onCreated={() => void queryClient.invalidateQueries({ queryKey: ['users'] })} />
      <h2>Accounts</h2>
      <ErrorMessage error={users.error ?? update.error} />
      {users.data && (
        <table>
          <thead>
            <tr>
              <th scope="col">Username</th>
              <th scope="col">Roles</th>
              <th scope="col">State</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {users.data.users.map((u) => (
              <tr key={u.id}>
                <td>{u.username}</td>
                <td>
                  <RolesEditor user={u} onSave={(roles) => update.mutate({ id: u.id, body: { roles } })} />
                </td>
                <td>{!u.active ? 'Deactivated' : u.locked ? 'Locked' : 'Active'}</td>
                <td className="actions">
                  {u.locked && (
                    <button type="button" onClick={() => update.mutate({ id: u.id, body: { locked: false } })}>
                      Unlock {u.username}
                    </button>
                  )}
                  <button type="button" onClick={() => update.mutate({ id: u.id, body: { active: !u.active } })}>
                    {u.active ? `Deactivate ${u.username}` : `Reactivate ${u.username}`}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function CreateUser({ onCreated }: { onCreated: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [roles, setRoles] = useState<string[]>([]);
  const [done, setDone] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () => expectOk(api.POST('/api/users', { body: { username, password, roles: roles as never } })),
    onSuccess: (user) => {
      setDone(`Created ${user.username} (${user.roles.join(', ')}).`);
      setUsername('');
      setPassword('');
      setRoles([]);
      onCreated();
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setDone(null);
    create.mutate();
  }

  return (
    <form onSubmit={submit} className="card" aria-labelledby="create-user-title">
      <h2 id="create-user-title">Create a user</h2>
      <label htmlFor="new-username">Username</label>
      <input id="new-username" value={username} onChange={(e) => setUsername(e.target.value)} required autoComplete="off" />
      <label htmlFor="new-password">Password</label>
      <input
        id="new-password"
        type="password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        required
        autoComplete="new-password"
        aria-describedby="password-rule"
      />
      <p id="password-rule" className="help">
        At least 12 characters, not a common password, not containing the username.
      </p>
      <fieldset>
        <legend>Roles</legend>
        <RoleCheckboxes roles={roles} onChange={setRoles} />
      </fieldset>
      <ErrorMessage error={create.error} />
      {done && <p role="status">{done}</p>}
      <button type="submit" disabled={create.isPending}>
        Create user
      </button>
    </form>
  );
}

/** A user's roles, changed in place: effective on the user's next request. */
function RolesEditor({ user, onSave }: { user: UserView; onSave: (roles: string[]) => void }) {
  const [editing, setEditing] = useState(false);
  const [roles, setRoles] = useState(user.roles);
  if (!editing) {
    return (
      <>
        {user.roles.join(', ')}{' '}
        <button
          type="button"
          className="link"
          onClick={() => {
            setRoles(user.roles);
            setEditing(true);
          }}
        >
          Change the roles of {user.username}
        </button>
      </>
    );
  }
  return (
    <fieldset>
      <legend>Roles of {user.username}</legend>
      {ROLES.map((role) => (
        <label key={role} className="checkbox">
          <input
            type="checkbox"
            checked={roles.includes(role)}
            onChange={(e) => setRoles((r) => (e.target.checked ? [...r, role] : r.filter((x) => x !== role)))}
          />
          {role}
        </label>
      ))}
      <div className="toolbar">
        <button
          type="button"
          disabled={roles.length === 0}
          onClick={() => {
            onSave(roles);
            setEditing(false);
          }}
        >
          Save the roles of {user.username}
        </button>
        <button type="button" className="secondary" onClick={() => setEditing(false)}>
          Cancel
        </button>
      </div>
    </fieldset>
  );
}

/** One labelled checkbox per role. */
function RoleCheckboxes({ roles, onChange }: { roles: string[]; onChange: (roles: string[]) => void }) {
  return ROLES.map((role) => (
    <label key={role} className="checkbox">
      <input type="checkbox" checked={roles.includes(role)} onChange={(e) => onChange(e.target.checked ? [...roles, role] : roles.filter((x) => x !== role))} />
      {role}
    </label>
  ));
}
