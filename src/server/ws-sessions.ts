/**
 * The open graphql-ws connections of this process and who opened them, so that taking a token away also takes its
 * open subscriptions away. HTTP needs none of this: every HTTP request verifies its token again.
 *
 * A connection whose token is revoked (or, for a connection opened without a token in zero-setup mode, once any
 * token exists) is closed with 4401 "Unauthorized" (graphql-ws clients do not retry that code). Two triggers, one
 * check:
 * - the `tokens` PubSub topic, published by TokenService on create/revoke: at once on this process and, through
 *   PostgreSQL LISTEN/NOTIFY, on every other `nephron serve` of the same database;
 * - a periodic re-check (`recheckMs`, default 10 s), because events are best-effort (lost while the LISTEN
 *   connection is down, never sent by `nephron token create`): revocation takes effect everywhere within it.
 */
import type { Logger } from 'pino';
import type { TokenService } from '../services/token.service';
import type { Caller } from './auth';
import { topics, type PubSub } from '../runs';

/** graphql-ws's close code for "Unauthorized" (its clients treat it as final). */
export const REVOKED_CLOSE_CODE = 4401;

export interface ClosableSocket {
  close(code: number, reason: string): void;
}

export class WsSessions {
  private readonly open = new Map<ClosableSocket, Caller>();
  private readonly events: AsyncIterableIterator<unknown>;
  private readonly timer: NodeJS.Timeout;
  private running: Promise<number> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly tokens: TokenService,
    pubsub: PubSub,
    private readonly log: Logger,
    recheckMs = 10_000,
  ) {
    this.events = pubsub.subscribe(topics.tokens);
    void (async () => {
      for await (const _event of this.events) void this.recheck();
    })();
    this.timer = setInterval(() => void this.recheck(), recheckMs);
    this.timer.unref();
  }

  add(socket: ClosableSocket, caller: Caller): void {
    if (!this.stopped) this.open.set(socket, caller);
  }

  remove(socket: ClosableSocket): void {
    this.open.delete(socket);
  }

  /** Closes the connections that lost their right to be open; resolves to how many. Overlapping calls coalesce. */
  recheck(): Promise<number> {
    if (this.running) {
      this.again = true; // an event during a check: check once more after it, it may be about a newer change
      return this.running;
    }
    this.running = this.check()
      .catch((e: Error) => {
        this.log.warn({ err: e.message }, 'could not re-check the tokens of open WebSocket connections');
        return 0;
      })
      .finally(() => {
        this.running = null;
        if (this.again && !this.stopped) {
          this.again = false;
          void this.recheck();
        }
      });
    return this.running;
  }

  private async check(): Promise<number> {
    if (!this.open.size || this.stopped) return 0;
    const sessions = [...this.open];
    const ids = [...new Set(sessions.map(([, c]) => c.tokenId).filter((id): id is string => !!id))];
    const live = await this.tokens.liveIds(ids);
    const anonymousRefused = sessions.some(([, c]) => !c.tokenId) && (await this.tokens.anyActive());
    let closed = 0;
    for (const [socket, caller] of sessions) {
      const reason = caller.tokenId
        ? live.has(caller.tokenId)
          ? null
          : 'API token revoked'
        : anonymousRefused
          ? 'API tokens exist now: connect with one'
          : null;
      if (!reason || !this.open.has(socket)) continue;
      this.open.delete(socket);
      socket.close(REVOKED_CLOSE_CODE, reason);
      closed++;
    }
    if (closed) this.log.info({ closed }, 'closed WebSocket connections whose token was revoked');
    return closed;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.events.return?.();
    await this.running;
    this.open.clear();
  }
}
