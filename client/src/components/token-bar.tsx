// Token entry: stored in localStorage (see api/token.ts); shows the role the server gives the token.
import { useState } from 'react';
import { useToken } from '../api/hooks';
import { setToken } from '../api/token';
import { describeError } from '../api/errors';
import { useCallerRole } from '../role';

export function TokenBar() {
  const token = useToken();
  const { role, error } = useCallerRole();
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState('');
  const status = error ? (
    <span className="role role-error" title={describeError(error)}>
      not signed in
    </span>
  ) : role ? (
    <span className={`role role-${role.toLowerCase()}`}>{role.toLowerCase()}</span>
  ) : (
    <span className="role">…</span>
  );
  if (editing) {
    return (
      <form
        className="token-bar"
        onSubmit={(e) => {
          e.preventDefault();
          setToken(draft);
          setEditing(false);
        }}
      >
        <input
          type="password"
          name="token"
          autoFocus
          placeholder="API token (empty: none)"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          aria-label="API token"
        />
        <button type="submit">Save</button>
        <button type="button" onClick={() => setEditing(false)}>
          Cancel
        </button>
      </form>
    );
  }
  return (
    <div className="token-bar">
      {status}
      <button
        type="button"
        onClick={() => {
          setDraft(token);
          setEditing(true);
        }}
      >
        {token ? 'Change token' : 'Token'}
      </button>
      {token && (
        <button type="button" onClick={() => setToken('')}>
          Sign out
        </button>
      )}
    </div>
  );
}
