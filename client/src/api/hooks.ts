// React glue for the API: a query hook that refetches when its key changes (or the token does), a subscription
// hook, and the caller's role.
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { gql } from './client';
import { ApiError } from './errors';
import { getToken, onTokenChange } from './token';
import { subscribe } from './ws';

export function useToken(): string {
  return useSyncExternalStore(onTokenChange, getToken);
}

export interface QueryState<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  refetch: () => void;
  /** Replaces the data locally (live updates from a subscription). */
  setData: (update: (d: T | null) => T | null) => void;
}

export function useQuery<T>(query: string, variables: Record<string, unknown> = {}, skip = false): QueryState<T> {
  const token = useToken();
  const key = JSON.stringify(variables);
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean }>({ data: null, error: null, loading: !skip });
  const [nonce, setNonce] = useState(0);
  useEffect(() => {
    if (skip) return;
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    gql<T>(query, JSON.parse(key)).then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error) => live && setState((s) => ({ data: s.data, error, loading: false })),
    );
    return () => {
      live = false;
    };
  }, [query, key, token, nonce, skip]);
  return {
    ...state,
    refetch: () => setNonce((n) => n + 1),
    setData: (update) => setState((s) => ({ ...s, data: update(s.data) })),
  };
}

/** Calls onData for every event while mounted; the latest callback is used without resubscribing. */
export function useSubscription<T>(query: string, variables: Record<string, unknown> | null, onData: (d: T) => void): ApiError | null {
  const token = useToken();
  const cb = useRef(onData);
  cb.current = onData;
  const [error, setError] = useState<ApiError | null>(null);
  const key = variables ? JSON.stringify(variables) : null;
  useEffect(() => {
    if (key === null) return;
    setError(null);
    return subscribe<T>(query, JSON.parse(key), (d) => cb.current(d), setError);
  }, [query, key, token]);
  return error;
}

export type Role = 'VIEWER' | 'OPERATOR' | 'ADMIN';

/** The caller's role, from the API's `viewer` query. */
export async function probeRole(): Promise<Role> {
  const data = await gql<{ viewer: { role: Role } }>('query Viewer { viewer { role } }');
  return data.viewer.role;
}

export function useRole(): { role: Role | null; error: unknown } {
  const token = useToken();
  const [state, setState] = useState<{ role: Role | null; error: unknown }>({ role: null, error: null });
  useEffect(() => {
    let live = true;
    setState({ role: null, error: null });
    probeRole().then(
      (role) => live && setState({ role, error: null }),
      (error) => live && setState({ role: null, error }),
    );
    return () => {
      live = false;
    };
  }, [token]);
  return state;
}

export const canOperate = (role: Role | null) => role === 'OPERATOR' || role === 'ADMIN';
