// Concurrent cache misses for one key share one store read. When a short cache entry expires, every
// request in flight at that moment would otherwise read the same item (hundreds at once under load),
// each paying for its own store call.

export class SingleFlight<T> {
  readonly #inflight = new Map<string, Promise<T>>();

  run(key: string, load: () => Promise<T>): Promise<T> {
    const running = this.#inflight.get(key);
    if (running) return running;
    const started: Promise<T> = load().finally(() => {
      if (this.#inflight.get(key) === started) this.#inflight.delete(key);
    });
    this.#inflight.set(key, started);
    return started;
  }

  /** Callers after a local change start a fresh read instead of joining one begun before it. */
  forget(key?: string): void {
    if (key === undefined) this.#inflight.clear();
    else this.#inflight.delete(key);
  }
}
