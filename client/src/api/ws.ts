// One graphql-ws client for the whole page (one socket for all subscriptions), rebuilt when the token changes
// because connectionParams are sent only when the socket opens.
import { createClient, type Client } from 'graphql-ws';
import { getToken, onTokenChange } from './token';
import { ApiError } from './errors';

let client: Client | null = null;

function wsUrl(): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}/graphql`;
}

function getClient(): Client {
  client ??= createClient({
    url: wsUrl(),
    lazy: true,
    retryAttempts: Infinity, // a restarted server comes back without a page reload
    shouldRetry: () => true,
    connectionParams: () => {
      const t = getToken();
      return t ? { authorization: `Bearer ${t}` } : {};
    },
  });
  return client;
}

onTokenChange(() => {
  const old = client;
  client = null;
  void old?.dispose();
});

/** Subscribes; returns the unsubscribe function. Errors arrive as ApiError. */
export function subscribe<T>(query: string, variables: Record<string, unknown>, onData: (data: T) => void, onError?: (e: ApiError) => void): () => void {
  return getClient().subscribe<T>(
    { query, variables },
    {
      next: (r) => {
        if (r.errors?.length) {
          const e = r.errors[0] as { message: string; extensions?: { code?: string } };
          onError?.(new ApiError(e.message, e.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
        } else if (r.data) onData(r.data as T);
      },
      error: (e) => {
        const msg = e instanceof Error ? e.message : (e as CloseEvent)?.reason || 'the live connection closed';
        const code = (e as CloseEvent)?.code === 4403 ? 'UNAUTHENTICATED' : 'NETWORK';
        onError?.(new ApiError(`Live updates: ${msg}`, code));
      },
      complete: () => {},
    },
  );
}
