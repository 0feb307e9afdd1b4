/**
 * Who is calling. With API tokens configured, every call needs `Authorization: Bearer <token>` (HTTP) or
 * `connectionParams.authorization` (WebSocket). With none configured (zero-setup), the server only listens on a
 * loopback address and local callers are ADMIN; a remote caller is refused all the same. "Local" is the peer address
 * AND the Host header (./host-origin.ts): a page whose domain rebinds to 127.0.0.1 has a local peer address but a
 * foreign Host. ./origin-guard.ts refuses such requests before they get here; the Host is asked again here because
 * the server may have left zero-setup mode (and so skipped the Host check) and gone back to it in between, and
 * because this is the one place that grants ADMIN without a token, so also the one place that lets the first token
 * be created without one.
 */
import { AppError, unauthenticated } from '../errors';
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

/** Where a request came from: the peer address, and whether its Host is a loopback or allow-listed name. */
export interface Peer {
  remoteAddress: string | undefined;
  hostTrusted: boolean;
}

/**
 * Resolves the caller or throws UNAUTHENTICATED (FORBIDDEN_HOST for a token-less local caller with a foreign Host in
 * zero-setup mode). `authorization` is the header value ("Bearer …"), if any.
 */
export async function authenticate(tokens: TokenService, authorization: unknown, peer: Peer): Promise<Caller> {
  if (authorization !== undefined && authorization !== null && authorization !== '') {
    const match = typeof authorization === 'string' ? /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
    if (!match) throw unauthenticated('malformed authorization: expected "Bearer <token>"');
    const token = await tokens.verify(match[1]);
    if (!token) throw unauthenticated('unknown or revoked API token');
    return { role: token.role, tokenId: token.id };
  }
  if (await tokens.anyActive()) throw unauthenticated();
  if (!isLoopbackAddress(peer.remoteAddress)) {
    throw unauthenticated('no API tokens are configured, so only local callers are served; create one with `nephron token create`');
  }
  if (!peer.hostTrusted) throw hostRefused();
  return { role: 'ADMIN' as Role, tokenId: null };
}

/** The zero-setup refusal of a Host that is neither loopback nor in NEPHRON_ALLOWED_HOSTS (403). */
export const hostRefused = (host?: string) =>
  new AppError(
    'FORBIDDEN_HOST',
    `Host ${host === undefined ? '' : `${JSON.stringify(host)} `}is not a loopback name or address nor in NEPHRON_ALLOWED_HOSTS, and no API tokens are configured (zero-setup mode serves local names only)`,
  );
