/** The most threads one gate serves: the thread that made it (seat 0) and the threads it lends seats to. */
export const DECODE_GATE_SEATS = 256;

/** Int32 words of the shared state: who runs alone (seat + 1, or 0), a change counter to wait on, then per seat. */
const ALONE = 0;
const EPOCH = 1;
const SEAT_BASE = 2;
/** Per seat: whether a thread holds it, and how many of its `shared` calls are in flight. */
const taken = (seat: number): number => SEAT_BASE + 2 * seat;
const inFlight = (seat: number): number => SEAT_BASE + 2 * seat + 1;
/** A wait re-reads the state at least this often (ms), so a notify lost between the read and the wait costs no more. */
const RECHECK_MS = 50;

/** Atomics.waitAsync (ES2024, in Node ≥ 16), typed here because the project's lib is ES2022. */
interface AtomicsWithWaitAsync {
  waitAsync(array: Int32Array, index: number, value: number, timeout?: number): { async: false; value: string } | { async: true; value: Promise<string> };
}

/**
 * Lets decodes run side by side, and one decode run alone: `alone` waits until no `shared` work is in flight and
 * holds new work back until it is done. The state is in a SharedArrayBuffer, so the threads that join one gate
 * (a pool's workers and the thread that started them) keep each other to that rule: libvips' error buffer is one
 * per process, not per thread. @internal
 */
export class DecodeGate {
  private readonly words: Int32Array;

  private constructor(readonly buffer: SharedArrayBuffer, private readonly seat: number) {
    this.words = new Int32Array(buffer);
  }

  /** A new gate, held by this thread at seat 0. */
  static create(): DecodeGate {
    const gate = new DecodeGate(new SharedArrayBuffer(4 * (SEAT_BASE + 2 * DECODE_GATE_SEATS)), 0);
    Atomics.store(gate.words, taken(0), 1);
    return gate;
  }

  /** This thread's view of another thread's gate, at a seat that thread reserved for it. */
  static join(buffer: SharedArrayBuffer, seat: number): DecodeGate {
    if (!Number.isInteger(seat) || seat < 1 || seat >= DECODE_GATE_SEATS) throw new RangeError(`decode gate seat ${seat} is not in 1…${DECODE_GATE_SEATS - 1}`);
    return new DecodeGate(buffer, seat);
  }

  /** Takes a free seat for a thread about to join; undefined when all are taken. */
  reserveSeat(): number | undefined {
    for (let seat = 1; seat < DECODE_GATE_SEATS; seat++) {
      if (Atomics.compareExchange(this.words, taken(seat), 0, 1) === 0) return seat;
    }
    return undefined;
  }

  /**
   * Frees a seat once its thread has ended, with whatever that thread left behind (a decode in flight, or the
   * alone turn), so a thread that dies mid-decode does not hold the others back.
   */
  releaseSeat(seat: number): void {
    if (seat < 1 || seat >= DECODE_GATE_SEATS) return;
    Atomics.compareExchange(this.words, ALONE, seat + 1, 0);
    Atomics.store(this.words, inFlight(seat), 0);
    Atomics.store(this.words, taken(seat), 0);
    this.changed();
  }

  /** Whether a thread holds `seat`. */
  isTaken(seat: number): boolean {
    return Atomics.load(this.words, taken(seat)) === 1;
  }

  /** Runs `work` alongside other shared work, in any thread of the gate (after any `alone` in progress). */
  async shared<T>(work: () => Promise<T>): Promise<T> {
    for (;;) {
      const seen = Atomics.load(this.words, EPOCH);
      if (Atomics.load(this.words, ALONE) === 0) {
        Atomics.add(this.words, inFlight(this.seat), 1);
        // An `alone` that took its turn between the read above and the count is waiting for this count to drop.
        if (Atomics.load(this.words, ALONE) === 0) break;
        Atomics.sub(this.words, inFlight(this.seat), 1);
        this.changed();
        continue;
      }
      await this.waitForChange(seen);
    }
    try {
      return await work();
    } finally {
      Atomics.sub(this.words, inFlight(this.seat), 1);
      this.changed();
    }
  }

  /** Runs `work` with no other work of this gate in flight, in any of its threads. */
  async alone<T>(work: () => Promise<T>): Promise<T> {
    for (;;) {
      const seen = Atomics.load(this.words, EPOCH);
      if (Atomics.compareExchange(this.words, ALONE, 0, this.seat + 1) === 0) break;
      await this.waitForChange(seen);
    }
    try {
      for (;;) {
        const seen = Atomics.load(this.words, EPOCH);
        if (this.inFlightTotal() === 0) break;
        await this.waitForChange(seen);
      }
      return await work();
    } finally {
      Atomics.compareExchange(this.words, ALONE, this.seat + 1, 0);
      this.changed();
    }
  }

  private inFlightTotal(): number {
    let total = 0;
    for (let seat = 0; seat < DECODE_GATE_SEATS; seat++) total += Atomics.load(this.words, inFlight(seat));
    return total;
  }

  private changed(): void {
    Atomics.add(this.words, EPOCH, 1);
    Atomics.notify(this.words, EPOCH);
  }

  /**
   * Resolves once the change counter moves past `seen` or RECHECK_MS pass. The timer also keeps Node's event loop
   * alive: a pending waitAsync alone does not.
   */
  private async waitForChange(seen: number): Promise<void> {
    const waited = (Atomics as unknown as AtomicsWithWaitAsync).waitAsync(this.words, EPOCH, seen, RECHECK_MS);
    if (!waited.async) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([waited.value, new Promise<void>((resolve) => { timer = setTimeout(resolve, RECHECK_MS); })]);
    clearTimeout(timer);
  }
}
