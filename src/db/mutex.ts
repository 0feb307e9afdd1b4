/**
 * A FIFO mutex: `acquire()` resolves to a release function once every earlier holder has released.
 * A waiter that does not get the lock within `timeoutMs` fails with a message naming the likely cause.
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;

  get queueLength(): number {
    return this.waiting;
  }

  acquire(timeoutMs = 0, what = 'lock'): Promise<() => void> {
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const previous = this.tail;
    this.tail = previous.then(() => mine);
    this.waiting++;
    let released = false;
    const releaseOnce = () => {
      if (released) return;
      released = true;
      release();
    };
    if (!timeoutMs) {
      return previous.then(() => {
        this.waiting--;
        return releaseOnce;
      });
    }
    return new Promise((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        reject(new Error(`timed out after ${timeoutMs} ms waiting for the ${what}`));
      }, timeoutMs);
      timer.unref?.();
      previous.then(() => {
        this.waiting--;
        clearTimeout(timer);
        if (timedOut) releaseOnce();
        else resolve(releaseOnce);
      });
    });
  }
}
