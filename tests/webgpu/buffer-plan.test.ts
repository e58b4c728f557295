import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planBuffers, type BufferRequest } from '../../src/backends/webgpu/buffer-plan.js';

/** No two values whose lifetimes overlap may share a slot, and every slot must hold each value put in it. */
function checkAssignment(requests: readonly BufferRequest[], steps: number): number {
  const a = planBuffers(requests, steps);
  requests.forEach((r, i) => {
    assert.ok(a.slotBytes[a.slotOf[i]!]! >= r.bytes, `value ${i} fits its slot`);
    requests.forEach((q, j) => {
      if (j <= i || a.slotOf[i] !== a.slotOf[j]) return;
      const rEnd = Math.max(r.def, r.lastUse);
      const qEnd = Math.max(q.def, q.lastUse);
      // A slot can be reused by a value defined strictly after the previous occupant's last read.
      assert.ok(rEnd < q.def || qEnd < r.def, `values ${i} and ${j} overlap in slot ${a.slotOf[i]}`);
    });
  });
  return a.peakBytes;
}

test('a chain reuses two buffers (ping-pong)', () => {
  const chain: BufferRequest[] = Array.from({ length: 10 }, (_, i) => ({ def: i, lastUse: i + 1, bytes: 1000 }));
  assert.equal(checkAssignment(chain, 11), 2000);
});

test('a residual branch kept alive across a block takes a third buffer; graph outputs are never reused', () => {
  const requests: BufferRequest[] = [
    { def: 0, lastUse: 3, bytes: 400 },       // skip connection, read again at step 3
    { def: 1, lastUse: 2, bytes: 400 },
    { def: 2, lastUse: 3, bytes: 400 },
    { def: 3, lastUse: Infinity, bytes: 400 }, // graph output
    { def: 4, lastUse: 4, bytes: 800 },        // written, never read
    { def: 5, lastUse: Infinity, bytes: 100 },
  ];
  const peak = checkAssignment(requests, 6);
  assert.ok(peak < requests.reduce((s, r) => s + r.bytes, 0), 'some memory was reused');
});

test('random DAG lifetimes never share a live buffer', () => {
  let s = 12345;
  const rand = (n: number): number => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s % n; };
  const requests: BufferRequest[] = Array.from({ length: 200 }, (_, i) => ({ def: i, lastUse: rand(10) === 0 ? Infinity : i + rand(15), bytes: 4 * (1 + rand(5000)) }));
  checkAssignment(requests, 200);
});
