/**
 * The Host and Origin rules, as pure functions (the middleware and the WebSocket upgrade check that apply them are in
 * ./origin-guard.ts). Why: zero-setup mode makes every local caller ADMIN, and the researcher's browser is a local
 * caller, so any web page could drive the server (cross-site WebSocket hijacking; DNS rebinding, where a page's own
 * domain is made to resolve to 127.0.0.1 and the browser then sends that domain as `Host`). The same two checks as
 * Jupyter's (jupyter_server/base/handlers.py, `check_host` and `check_origin`):
 *
 * - **Host**: in zero-setup mode the `Host` must be a loopback name or address (`localhost`, 127.0.0.0/8, `[::1]`)
 *   or an allow-listed name. A rebinding page cannot send one of those: its Host is the attacker's domain.
 * - **Origin**: a request that carries an `Origin` must come from the server's own origin (the one the `Host` names,
 *   compared as Jupyter does: host name and port, the scheme left out so that a TLS proxy in front still matches)
 *   or an allow-listed one. No `Origin` passes: only browsers send one, and the CLI, curl and Node clients are not
 *   the threat. `Origin: null` (sandboxed frames, file: pages, of any site) never passes.
 *
 * Names are compared in one normal form: lower case, one trailing dot dropped (`localhost.` is `localhost`), IPv4
 * and IPv6 literals in the WHATWG URL parser's canonical form (what browsers send), IPv6 in brackets.
 */

export interface HostOriginPolicy {
  /** Host names (normal form, no port) served in zero-setup mode besides the loopback ones. */
  allowedHosts: readonly string[];
  /** Origins (normal form, see normalizeOrigin) allowed besides the server's own. */
  allowedOrigins: readonly string[];
}

export interface Authority {
  /** Normal form: lower case, no trailing dot, IPv6 in brackets. */
  hostname: string;
  /** As written; '' when absent. */
  port: string;
}

/** A Host header may only be `name[:port]` or `[ipv6][:port]`; anything else (user info, paths, spaces) is malformed. */
const HOST_SYNTAX = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/;

/** The host name and port of a `Host` header, in normal form; null when absent or malformed. */
export function parseHostHeader(header: string | undefined): Authority | null {
  const match = header === undefined ? null : HOST_SYNTAX.exec(header);
  if (!match) return null;
  const hostname = canonicalHostname(match[1]);
  if (hostname === null) return null;
  const port = match[2] ?? '';
  if (port && Number(port) > 65535) return null;
  return { hostname, port };
}

/** Through the URL parser, so `127.1`, `[0::1]` and `LOCALHOST` compare the way a browser would write them. */
function canonicalHostname(name: string): string | null {
  let hostname: string;
  try {
    hostname = new URL(`http://${name}/`).hostname;
  } catch {
    return null;
  }
  if (hostname.endsWith('.')) hostname = hostname.slice(0, -1);
  return hostname === '' || hostname.endsWith('.') ? null : hostname;
}

/** `localhost`, 127.0.0.0/8, `[::1]`, or an IPv4-mapped 127.x address (`[::ffff:7f00:1]`). */
export function isLoopbackHostname(hostname: string): boolean {
  return hostname === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(hostname) || hostname === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(hostname);
}

/** Whether a `Host` may be served in zero-setup mode: loopback, or one of NEPHRON_ALLOWED_HOSTS. */
export function isTrustedHost(host: Authority | null, policy: HostOriginPolicy): boolean {
  return host !== null && (isLoopbackHostname(host.hostname) || policy.allowedHosts.includes(host.hostname));
}

const DEFAULT_PORT: Record<string, string> = { 'http:': '80', 'https:': '443' };

interface ParsedOrigin {
  /** scheme://hostname[:port], default port left out: what allow-list entries are compared as. */
  key: string;
  hostname: string;
  /** Explicit, or the scheme's default. */
  port: string;
  scheme: string;
}

function parseOrigin(text: string): ParsedOrigin | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (!(url.protocol in DEFAULT_PORT) || url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) return null;
  const hostname = canonicalHostname(url.hostname);
  if (hostname === null) return null;
  const key = `${url.protocol}//${hostname}${url.port ? `:${url.port}` : ''}`;
  return { key, hostname, port: url.port || DEFAULT_PORT[url.protocol], scheme: url.protocol };
}

/** An allow-list entry in normal form (`http://lab.example.org:8080`), or null when it is not an http(s) origin. */
export function normalizeOrigin(text: string): string | null {
  return parseOrigin(text)?.key ?? null;
}

/**
 * Why the request's `Origin` is refused, or null when it passes. `host` is the request's Host: the server's own
 * origin is the one it names. The caller decides whether that Host may be believed (in zero-setup mode only a
 * trusted one; ./origin-guard.ts checks the Host first); here it is only compared.
 */
export function originRefusal(origin: string | undefined, host: Authority | null, policy: HostOriginPolicy): string | null {
  if (origin === undefined) return null;
  if (origin === 'null') return 'Origin "null" (a sandboxed frame or a local file) is never allowed';
  const parsed = parseOrigin(origin);
  if (!parsed) return `Origin ${JSON.stringify(origin)} is not a valid http(s) origin`;
  if (policy.allowedOrigins.includes(parsed.key)) return null;
  if (host && parsed.hostname === host.hostname && parsed.port === (host.port || DEFAULT_PORT[parsed.scheme])) return null;
  return `Origin ${JSON.stringify(origin)} is not this server's own origin nor in NEPHRON_ALLOWED_ORIGINS`;
}

/** Whether the Origin passed through the allow-list rather than as the server's own (it then gets CORS headers). */
export function isAllowListedOrigin(origin: string | undefined, policy: HostOriginPolicy): boolean {
  const parsed = origin === undefined ? null : parseOrigin(origin);
  return parsed !== null && policy.allowedOrigins.includes(parsed.key);
}
