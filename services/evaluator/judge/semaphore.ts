/** A counting semaphore: at most `size` holders; waiters are served in arrival order. */
export interface Semaphore {
  acquire(): Promise<() => void>;
  /** Holders right now (for stats and tests). */
  active(): number;
  waiting(): number;
}

export function createSemaphore(size: number): Semaphore {
  let active = 0;
  const queue: (() => void)[] = [];
  const release = () => {
    const next = queue.shift();
    if (next) next();
    else active--;
  };
  return {
    acquire() {
      let released = false;
      const once = () => {
        if (released) return;
        released = true;
        release();
      };
      if (active < size) {
        active++;
        return Promise.resolve(once);
      }
      // The slot passes straight to the next waiter, so `active` stays the same.
      return new Promise((resolve) => queue.push(() => resolve(once)));
    },
    active: () => active,
    waiting: () => queue.length,
  };
}
