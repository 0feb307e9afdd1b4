/**
 * The CLI's GraphQL client, as any user script would write one: queries and mutations over HTTP (JSON),
 * subscriptions over graphql-ws on the same URL, and the image routes beside /graphql. The URL and token come from
 * `--url`/`--token`, else NEPHRON_URL/NEPHRON_TOKEN, else http://127.0.0.1:4000/graphql without a token.
 * Every failure is a CliError carrying the server's `extensions.code`.
 */
import http from 'node:http';
import https from 'node:https';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { CliError, str, type Io, type Values } from './args';

export const DEFAULT_URL = 'http://127.0.0.1:4000/graphql';

interface GraphQLError {
  message: string;
  extensions?: { code?: string; field?: string };
}

/** The first GraphQL error as a CliError (`error NOT_FOUND: no sweep with id "x"`). */
export function apiError(errors: readonly GraphQLError[]): CliError {
  const [first] = errors;
  return new CliError(first?.extensions?.code ?? 'GRAPHQL_ERROR', first?.message ?? 'unknown error');
}

export class NephronClient {
  private ws: Client | null = null;

  constructor(
    readonly url: string,
    readonly token: string | undefined,
  ) {}

  static from(values: Values, io: Io): NephronClient {
    const url = str(values.url) ?? io.env.NEPHRON_URL ?? DEFAULT_URL;
    try {
      if (!/^https?:$/.test(new URL(url).protocol)) throw new Error('not http(s)');
    } catch {
      throw new CliError('USAGE', `--url must be an http(s) URL of the GraphQL endpoint, got ${JSON.stringify(url)}`, 2);
    }
    return new NephronClient(url, str(values.token) ?? (io.env.NEPHRON_TOKEN || undefined));
  }

  private headers(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  /**
   * node:http rather than fetch: fetch gives up on a response that takes more than 5 minutes to start, and
   * creating the 79-subject cohort can take longer than that.
   */
  private send(
    url: string,
    method: 'GET' | 'POST',
    headers: Record<string, string> = {},
    body?: string | Uint8Array,
  ): Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders }> {
    return new Promise((resolve, reject) => {
      const u = new URL(url);
      const req = (u.protocol === 'https:' ? https : http).request(u, { method, headers: { ...this.headers(), ...headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
        res.on('error', reject);
      });
      req.on('error', (e: NodeJS.ErrnoException) => reject(new CliError('UNREACHABLE', `cannot reach ${url}: ${e.code ?? e.message}`)));
      req.end(body);
    });
  }

  /** A query or mutation; rejects with the first GraphQL error's code and message. */
  async request<T = any>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const res = await this.send(this.url, 'POST', { 'content-type': 'application/json', accept: 'application/json' }, JSON.stringify({ query, variables }));
    const text = res.body.toString('utf8');
    let body: { data?: T; errors?: GraphQLError[] };
    try {
      body = JSON.parse(text);
    } catch {
      throw new CliError(`HTTP_${res.status}`, `${this.url} did not answer GraphQL JSON: ${text.slice(0, 120).replace(/\s+/g, ' ')}`);
    }
    if (body.errors?.length) throw apiError(body.errors);
    if (res.status >= 400 || !body.data) throw new CliError(`HTTP_${res.status}`, `${this.url} answered ${res.status} without data`);
    return body.data;
  }

  /** GET a path beside the GraphQL endpoint (e.g. /images/series/<id>/slice/3.png); errors carry the server's code. */
  async getBytes(pathAndQuery: string): Promise<Buffer> {
    return (await this.bytes('GET', pathAndQuery)).body;
  }

  /** POST bytes to a path beside the GraphQL endpoint; the answer's body and headers, or the server's error. */
  postBytes(pathAndQuery: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<{ body: Buffer; headers: http.IncomingHttpHeaders }> {
    return this.bytes('POST', pathAndQuery, body, headers);
  }

  private async bytes(
    method: 'GET' | 'POST',
    pathAndQuery: string,
    body?: Uint8Array,
    headers: Record<string, string> = {},
  ): Promise<{ body: Buffer; headers: http.IncomingHttpHeaders }> {
    const url = new URL(pathAndQuery, this.url).toString();
    const res = await this.send(
      url,
      method,
      body ? { 'content-type': 'application/octet-stream', 'content-length': String(body.byteLength), ...headers } : headers,
      body,
    );
    const bytes = res.body;
    if (res.status === 200) return { body: bytes, headers: res.headers };
    let errors: GraphQLError[] | undefined;
    try {
      const body = JSON.parse(bytes.toString('utf8'));
      errors = body.errors ?? (body.error ? [{ message: body.error.message, extensions: { code: body.error.code } }] : undefined);
    } catch {
      // not JSON: the status says it
    }
    throw errors?.length ? apiError(errors) : new CliError(`HTTP_${res.status}`, `${method} ${url} answered ${res.status}`);
  }

  private wsClient(): Client {
    if (!this.ws) {
      this.ws = createClient({
        url: this.url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: this.token ? { authorization: `Bearer ${this.token}` } : {},
        // reconnect after a dropped connection (watch reconciles what it missed), not after a refusal
        retryAttempts: 5,
        shouldRetry: (e) => !(typeof (e as { code?: unknown })?.code === 'number' && [4401, 4403].includes((e as { code: number }).code)),
        lazyCloseTimeout: 0,
      });
    }
    return this.ws;
  }

  /**
   * Subscribes; `next` gets each event's data, `fail` the first error (a CliError) after which the subscription is
   * over. Returns the unsubscribe function.
   */
  subscribe<T = any>(query: string, variables: Record<string, unknown>, next: (data: T) => void, fail: (e: CliError) => void): () => void {
    return this.wsClient().subscribe<T>(
      { query, variables },
      {
        next: (result) => {
          if (result.errors?.length) fail(apiError(result.errors));
          else if (result.data) next(result.data as T);
        },
        error: (e) => fail(subscriptionError(e)),
        complete: () => fail(new CliError('SUBSCRIPTION_ENDED', 'the server ended the subscription')),
      },
    );
  }

  async close(): Promise<void> {
    await this.ws?.dispose();
    this.ws = null;
  }
}

function subscriptionError(e: unknown): CliError {
  if (Array.isArray(e)) return apiError(e as GraphQLError[]);
  const close = e as { code?: number; reason?: string };
  if (typeof close?.code === 'number') {
    const code = close.code === 4403 ? 'FORBIDDEN' : close.code === 4401 ? 'UNAUTHENTICATED' : `WS_${close.code}`;
    return new CliError(code, `websocket closed${close.reason ? `: ${close.reason}` : ` (${close.code})`}`);
  }
  const err = e as Error & { code?: string };
  return new CliError('UNREACHABLE', `websocket: ${err?.code ?? err?.message ?? String(e)}`);
}
