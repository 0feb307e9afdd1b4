// A tiny fetch-based GraphQL client: the dashboard's queries are few and hand-written, so no cache library.
import { authHeader } from './token';
import { ApiError } from './errors';

interface GqlErrorJson {
  message: string;
  extensions?: { code?: string; field?: string };
}

export async function gql<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
  let res: Response;
  try {
    res = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...authHeader() },
      body: JSON.stringify({ query, variables }),
    });
  } catch (e) {
    throw new ApiError(`Network error: ${(e as Error).message}`, 'NETWORK');
  }
  let body: { data?: T; errors?: GqlErrorJson[] };
  try {
    body = await res.json();
  } catch {
    throw new ApiError(`The server answered ${res.status} ${res.statusText} without JSON`, res.status === 401 ? 'UNAUTHENTICATED' : 'NETWORK');
  }
  const err = body.errors?.[0];
  if (err) throw new ApiError(err.message, err.extensions?.code ?? 'INTERNAL_SERVER_ERROR', err.extensions?.field);
  if (!body.data) throw new ApiError(`The server answered ${res.status} without data`, 'INTERNAL_SERVER_ERROR');
  return body.data;
}

/** Fetches a file/image endpoint with the token (an <img src> cannot send headers); resolves to a Blob. */
export async function fetchBlob(url: string, signal?: AbortSignal): Promise<Blob> {
  const res = await fetch(url, { headers: authHeader(), signal });
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    let code = res.status === 401 ? 'UNAUTHENTICATED' : res.status === 404 ? 'NOT_FOUND' : 'INTERNAL_SERVER_ERROR';
    try {
      const j = (await res.json()) as { error?: { code?: string; message?: string } };
      if (j.error?.message) message = j.error.message;
      if (j.error?.code) code = j.error.code;
    } catch {
      /* not JSON: keep the status line */
    }
    throw new ApiError(message, code);
  }
  return res.blob();
}
