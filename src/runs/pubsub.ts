/**
 * The PubSub behind subscriptions, one small interface so a cross-process implementation (PostgreSQL
 * LISTEN/NOTIFY, with the runners) can replace the in-process one. Payloads must survive JSON (a Date may come
 * back as an ISO string; the DateTime scalar serialises both).
 */
export interface PubSub {
  publish(topic: string, payload: unknown): Promise<void>;
  /** An async iterator of payloads; `return()` (the subscriber going away) unsubscribes. */
  subscribe<T = unknown>(topic: string): AsyncIterableIterator<T>;
  close(): Promise<void>;
}

/** Topics. Every run event goes to both its run's topic and the all-runs topic (./events.ts). */
export const topics = {
  run: (runId: string) => `run:${runId}`,
  allRuns: 'runs',
  /** API tokens created or revoked (src/server/ws-sessions.ts closes the WebSockets of revoked ones). */
  tokens: 'tokens',
};

export interface TokenEvent {
  id: string;
  revoked: boolean;
}

/** In-process PubSub: per topic, a set of bounded queues (a slow subscriber drops its oldest events). */
export class InProcessPubSub implements PubSub {
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>();
  private readonly closers = new Set<() => void>();

  constructor(private readonly maxQueue = 1000) {}

  async publish(topic: string, payload: unknown): Promise<void> {
    for (const listener of this.listeners.get(topic) ?? []) listener(payload);
  }

  private readonly watchers = new Set<() => void>();

  subscriberCount(topic: string): number {
    return this.listeners.get(topic)?.size ?? 0;
  }

  /** Resolves once `topic` has at least `n` subscribers (tests wait for this instead of sleeping). */
  waitForSubscribers(topic: string, n = 1): Promise<void> {
    if (this.subscriberCount(topic) >= n) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (this.subscriberCount(topic) >= n) {
          this.watchers.delete(check);
          resolve();
        }
      };
      this.watchers.add(check);
    });
  }

  subscribe<T = unknown>(topic: string): AsyncIterableIterator<T> {
    const queue: T[] = [];
    let waiting: ((r: IteratorResult<T>) => void) | undefined;
    let done = false;
    const listener = (payload: unknown) => {
      if (waiting) {
        const w = waiting;
        waiting = undefined;
        w({ value: payload as T, done: false });
      } else {
        queue.push(payload as T);
        if (queue.length > this.maxQueue) queue.shift();
      }
    };
    const finish = (): IteratorResult<T> => {
      if (!done) {
        done = true;
        this.listeners.get(topic)?.delete(listener);
        this.closers.delete(close);
        waiting?.({ value: undefined, done: true });
        waiting = undefined;
      }
      return { value: undefined, done: true };
    };
    const close = () => void finish();
    let set = this.listeners.get(topic);
    if (!set) this.listeners.set(topic, (set = new Set()));
    set.add(listener);
    this.closers.add(close);
    for (const watch of [...this.watchers]) watch();
    const iterator: AsyncIterableIterator<T> = {
      next: () => {
        if (queue.length) return Promise.resolve({ value: queue.shift() as T, done: false });
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (waiting = resolve));
      },
      return: () => Promise.resolve(finish()),
      throw: (e) => {
        finish();
        return Promise.reject(e);
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  async close(): Promise<void> {
    for (const close of [...this.closers]) close();
  }
}

/**
 * A PubSub that tells its listeners of every publish of this process before it goes out (the HTTP answer cache drops
 * its answers: an event may change any of them). Events of other processes reach subscribers only.
 */
export class ObservedPubSub implements PubSub {
  private readonly listeners = new Set<() => void>();

  constructor(readonly inner: PubSub) {}

  /** Calls `listener` on every publish; answers the function that removes it. */
  onPublish(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(topic: string, payload: unknown): Promise<void> {
    for (const listener of this.listeners) listener();
    return this.inner.publish(topic, payload);
  }

  subscribe<T = unknown>(topic: string): AsyncIterableIterator<T> {
    return this.inner.subscribe<T>(topic);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
