/**
 * Lets decodes run side by side, and one decode run alone: `alone` waits until no `shared` work is in flight and
 * holds new work back until it is done. @internal
 */
export class DecodeGate {
  private running = 0;
  private closed: Promise<void> | undefined;
  private drained: (() => void) | undefined;

  /** Runs `work` alongside other shared work (after any `alone` in progress). */
  async shared<T>(work: () => Promise<T>): Promise<T> {
    while (this.closed) await this.closed;
    this.running++;
    try {
      return await work();
    } finally {
      if (--this.running === 0) this.drained?.();
    }
  }

  /** Runs `work` with nothing else of this gate in flight. */
  async alone<T>(work: () => Promise<T>): Promise<T> {
    while (this.closed) await this.closed;
    let open!: () => void;
    this.closed = new Promise<void>((resolve) => { open = resolve; });
    try {
      if (this.running > 0) await new Promise<void>((resolve) => { this.drained = resolve; });
      this.drained = undefined;
      return await work();
    } finally {
      this.closed = undefined;
      open();
    }
  }
}
