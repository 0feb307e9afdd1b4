/**
 * Who is calling. With API tokens configured, every call needs `Authorization: Bearer <token>` (HTTP) or
 * `connectionParams.authorization` (WebSocket). With none configured (zero-setup), the server only listens on a
 * loopback address and local callers are ADMIN; a remote caller is refused all the same.
 */
import { unauthenticated } from '../errors';
import type { Role } from '../schema/enums';
import type { TokenService } from '../services/token.service';

export interface Caller {
  role: Role;
  tokenId: string | null;
}

export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** Resolves the caller or throws UNAUTHENTICATED. `authorization` is the header value ("Bearer …"), if any. */
export async function authenticate(tokens: TokenService, authorization: unknown, remoteAddress: string | undefined): Promise<Caller> {
  if (authorization !== undefined && authorization !== null && authorization !== '') {
    const match = typeof authorization === 'string' ? /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
    if (!match) throw unauthenticated('malformed authorization: expected "Bearer <token>"');
    const token = await tokens.verify(match[1]);
    if (!token) throw unauthenticated('unknown or revoked API token');
    return { role: token.role, tokenId: token.id };
  }
  if (await tokens.anyActive()) throw unauthenticated();
  if (!isLoopbackAddress(remoteAddress)) {
    throw unauthenticated('no API tokens are configured, so only local callers are served; create one with `nephron token create`');
  }
  return { role: 'ADMIN' as Role, tokenId: null };
}
