import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DECODE_GATE_SEATS, DecodeGate } from '../../src/pipeline/decode-gate.js';
import { decodeImageNode, releaseDecodeSeat, reserveDecodeSeat, type DecodeSeat } from '../../src/pipeline/decode-node.js';
import { PipelineOptionError } from '../../src/pipeline/errors.js';
import { FaceAnalysisPool } from '../../src/pipeline/pool/face-analysis-pool.js';
import { startThread } from '../../src/pipeline/pool/start-thread.js';
import { decodeRounds } from './fixtures/decode-gate-rounds.js';
import { sharedPath } from './helpers.js';

const good = sharedPath('images', 't1.jpg');
const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-decode-gate-'));
const truncated = path.join(dir, 'truncated.jpg');
const bytes = readFileSync(good);
writeFileSync(truncated, bytes.subarray(0, bytes.length >> 1));

/** Lets `ms` pass: more than one of the gate's re-reads of its state (50 ms each). */
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('DecodeGate shared between threads', () => {
  it('a truncated JPEG decoded in 3 joined workers and the main thread, beside good decodes, fails with its own message every time', { timeout: 120_000 }, async () => {
    const solo = await decodeImageNode(truncated).then(() => 'decoded', (error: Error) => error.message);
    assert.notEqual(solo, 'decoded');
    assert.doesNotMatch(solo, /Unknown error/);
    const rounds = 16;
    const seats: DecodeSeat[] = [];
    const workers = Array.from({ length: 3 }, (_, k) => {
      const seat = reserveDecodeSeat()!;
      seats.push(seat);
      return startThread(new URL('./fixtures/decode-gate-worker.ts', import.meta.url), { workerData: { seat, truncated, good, rounds }, name: `decode gate ${k}` });
    });
    try {
      const [main, ...inWorkers] = await Promise.all([
        decodeRounds(truncated, good, rounds),
        ...workers.map(async (worker) => (await once(worker, 'message'))[0] as string[]),
      ]);
      // Without the shared gate, about one message in four reads "Unknown error": libvips' error buffer is one per process.
      for (const messages of [main!, ...inWorkers]) assert.deepEqual(messages, Array.from({ length: rounds }, () => solo));
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
      for (const seat of seats) releaseDecodeSeat(seat);
    }
  });

  it('a released seat gives back what its thread left: a shared call that never ends no longer holds `alone` back', async () => {
    const gate = DecodeGate.create();
    const seat = gate.reserveSeat()!;
    const dead = DecodeGate.join(gate.buffer, seat);
    void dead.shared(() => new Promise<never>(() => {}));
    let ran = false;
    const alone = gate.alone(async () => { ran = true; });
    await pause(200);
    assert.equal(ran, false, '`alone` waits while the seat has work in flight');
    gate.releaseSeat(seat);
    await alone;
    assert.equal(ran, true);
    assert.equal(gate.isTaken(seat), false);
  });

  it('`alone` held by a seat that is released lets the others go on', async () => {
    const gate = DecodeGate.create();
    const seat = gate.reserveSeat()!;
    const dead = DecodeGate.join(gate.buffer, seat);
    void dead.alone(() => new Promise<never>(() => {}));
    let ran = false;
    const shared = gate.shared(async () => { ran = true; });
    await pause(200);
    assert.equal(ran, false, 'shared work waits for the alone turn');
    gate.releaseSeat(seat);
    await shared;
    assert.equal(ran, true);
  });

  it('a pool beyond the free seats is refused with PipelineOptionError; the worker it had started ends and gives its seat back', async () => {
    const held: DecodeSeat[] = [];
    for (let seat = reserveDecodeSeat(); seat !== undefined; seat = reserveDecodeSeat()) held.push(seat);
    try {
      releaseDecodeSeat(held.pop()!);
      // One seat free, two workers asked for: the first worker starts and is ended again, the second has no seat.
      await assert.rejects(FaceAnalysisPool.create({ size: 2, models: sharedPath('models') }),
        (error: unknown) => error instanceof PipelineOptionError && /pool workers/.test(error.message));
      // The started worker's seat comes back with its 'exit'.
      let free: DecodeSeat | undefined;
      for (let k = 0; k < 50 && !(free = reserveDecodeSeat()); k++) await pause(20);
      assert.ok(free, 'the seat of the worker that started is given back');
      held.push(free);
      assert.equal(reserveDecodeSeat(), undefined);
    } finally {
      for (const seat of held) releaseDecodeSeat(seat);
    }
  });

  it('seats run out after DECODE_GATE_SEATS - 1 and come back when released; a seat outside the range is refused', () => {
    const gate = DecodeGate.create();
    const seats: number[] = [];
    for (let seat = gate.reserveSeat(); seat !== undefined; seat = gate.reserveSeat()) seats.push(seat);
    assert.equal(seats.length, DECODE_GATE_SEATS - 1);
    assert.equal(new Set(seats).size, seats.length);
    gate.releaseSeat(seats[7]!);
    assert.equal(gate.reserveSeat(), seats[7]);
    assert.throws(() => DecodeGate.join(gate.buffer, 0), RangeError);
    assert.throws(() => DecodeGate.join(gate.buffer, DECODE_GATE_SEATS), RangeError);
  });
});
