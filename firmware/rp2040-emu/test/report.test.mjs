import assert from 'node:assert/strict';
import { test } from 'node:test';

import { readElf } from '../elf.mjs';
import { Phases, table } from '../report.mjs';

test('a phase is measured on each core between its marks', () => {
  const p = new Phases();
  p.line('bench phase 1 cores 2 backend armv6m nonces 4');
  p.mark({ core: 0, phase: 1, end: false, cycles: 100, insns: 10, sramInsns: 10 });
  p.mark({ core: 1, phase: 1, end: false, cycles: 5, insns: 1, sramInsns: 0 });
  p.mark({ core: 0, phase: 1, end: true, cycles: 500, insns: 50, sramInsns: 50 });
  p.mark({ core: 1, phase: 1, end: true, cycles: 405, insns: 41, sramInsns: 20 });
  const rows = p.rows();
  assert.deepEqual(p.errors, []);
  assert.deepEqual(rows[0].perCore, [
    { core: 0, cyclesPerNonce: 100, insnsPerNonce: 10, sramShare: 1 },
    { core: 1, cyclesPerNonce: 100, insnsPerNonce: 10, sramShare: 0.5 },
  ]);
  const [head, row] = table(rows, 100);
  assert.match(head, /H\/s at 100 MHz/);
  assert.match(row, /2,000,000$/, 'two cores at 100 cycles per nonce each');
});

test('a phase without both marks on every core is an error', () => {
  const p = new Phases();
  p.line('bench phase 1 cores 2 backend portable nonces 8');
  p.mark({ core: 0, phase: 1, end: false, cycles: 0, insns: 0, sramInsns: 0 });
  p.mark({ core: 0, phase: 1, end: true, cycles: 80, insns: 8, sramInsns: 0 });
  p.mark({ core: 1, phase: 2, end: true, cycles: 80, insns: 8, sramInsns: 0 });
  p.rows();
  assert.equal(p.errors.length, 2);
});

test('files that are not Arm executables are refused', () => {
  assert.throws(() => readElf(new Uint8Array(10)), /truncated/);
  assert.throws(() => readElf(new Uint8Array(64)), /not an ELF/);
  const x86 = new Uint8Array(64);
  x86.set([0x7f, 0x45, 0x4c, 0x46, 1, 1]);
  x86[16] = 2;
  x86[18] = 3;
  assert.throws(() => readElf(x86), /not an Arm executable/);
});
