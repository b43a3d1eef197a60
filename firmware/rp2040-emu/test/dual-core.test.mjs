// The pieces rp2040js lacks, driven through the registers the image uses:
// the FIFOs as core 0 and core 1 see them, core 1's bootrom pen, CPUID,
// SEV and the marks.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Core1Bootrom } from '../bootrom.mjs';
import { DualCoreRP2040, MARK_END } from '../dual-core.mjs';

const SIO = 0xd000_0000;
const FIFO_ST = SIO + 0x50;
const FIFO_WR = SIO + 0x54;
const FIFO_RD = SIO + 0x58;
const SCRATCH0 = 0x4005_800c;
const SCRATCH1 = 0x4005_8010;

// Register accesses as core `c` makes them.
function as(chip, c) {
  chip.current = c;
  chip.rp.core = chip.cores[c];
  return {
    read: (address) => chip.rp.readUint32(address) >>> 0,
    write: (address, value) => chip.rp.writeUint32(address, value),
  };
}

// Core 0's side of the launch, as pico-sdk and embassy-rp send it.
function launch(chip, words) {
  const core0 = as(chip, 0);
  let next = 0;
  let rounds = 0;
  while (next < words.length) {
    assert.ok(rounds++ < 100, 'the handshake does not converge');
    if (words[next] === 0) while (core0.read(FIFO_ST) & 1) core0.read(FIFO_RD);
    core0.write(FIFO_WR, words[next]);
    assert.equal(core0.read(FIFO_ST) & 1, 1, 'the bootrom echoes at once');
    next = core0.read(FIFO_RD) === words[next] >>> 0 ? next + 1 : 0;
  }
}

test('core 1 leaves the bootrom after 0, 0, 1, VTOR, SP, entry, each echoed', () => {
  const chip = new DualCoreRP2040();
  chip.boot();
  assert.equal(chip.running[1], false);
  assert.deepEqual(chip.rx[0], [0], 'the bootrom sends 0 on entering its pen');
  launch(chip, [0, 0, 1, 0x1000_0100, 0x2000_5000, 0x1000_0279]);
  assert.equal(chip.running[1], true);
  assert.equal(chip.cores[1].VTOR, 0x1000_0100);
  assert.equal(chip.cores[1].SP, 0x2000_5000);
  assert.equal(chip.cores[1].PC, 0x1000_0278, 'the Thumb bit is not part of the PC');
});

test('the bootrom restarts on a 0 or a word out of sequence', () => {
  const sent = [];
  let launched = null;
  const pen = new Core1Bootrom(
    (w) => sent.push(w),
    (l) => (launched = l),
  );
  const drain = () => {};
  pen.start(drain);
  pen.receive(7, drain); // not 1: back to waiting for 0/1
  pen.receive(1, drain);
  pen.receive(0x1000_0100, drain);
  pen.receive(0, drain); // a 0 mid-sequence restarts it
  assert.equal(launched, null);
  for (const w of [1, 0x1000_0100, 0x2000_1000, 0x1000_0201]) pen.receive(w, drain);
  assert.deepEqual(sent, [0, 0, 1, 0x1000_0100, 0, 1, 0x1000_0100, 0x2000_1000, 0x1000_0201]);
  assert.deepEqual(launched, { vtor: 0x1000_0100, sp: 0x2000_1000, entry: 0x1000_0201 });
});

test('each FIFO holds eight words; overflow and underflow set sticky flags', () => {
  const chip = new DualCoreRP2040();
  chip.running[1] = true; // core 1 out of the bootrom
  chip.bootrom.state = 'launched';
  const core0 = as(chip, 0);
  assert.equal(core0.read(FIFO_ST), 0b0010, 'empty: not valid, ready');
  for (let i = 0; i < 9; i++) core0.write(FIFO_WR, 100 + i);
  assert.equal(core0.read(FIFO_ST), 0b0100, 'full after eight: not ready, WOF');
  core0.write(FIFO_ST, 0);
  assert.equal(core0.read(FIFO_ST), 0b0000, 'WOF clears on a write');
  const core1 = as(chip, 1);
  assert.equal(core1.read(SIO), 1, 'CPUID is the reading core');
  assert.equal(core1.read(FIFO_ST) & 0b0011, 0b0011, 'core 1 sees valid words and room');
  const got = [];
  while (core1.read(FIFO_ST) & 1) got.push(core1.read(FIFO_RD));
  assert.deepEqual(got, [100, 101, 102, 103, 104, 105, 106, 107], 'the ninth was dropped');
  core1.read(FIFO_RD);
  assert.equal(core1.read(FIFO_ST) & 0b1000, 0b1000, 'ROE after reading empty');
  assert.equal(as(chip, 0).read(SIO), 0);
});

test('SEV wakes the other core from WFE, or its next WFE returns at once', () => {
  const chip = new DualCoreRP2040();
  chip.running = [true, true];
  chip.cores[1].waiting = true;
  chip.sev(0);
  assert.equal(chip.cores[1].waiting, false);
  chip.cores[1].eventRegistered = false;
  chip.sev(0);
  assert.equal(chip.cores[1].eventRegistered, true);
});

test('marks carry the writing core, its cycle counter and the exit ends the run', () => {
  const marks = [];
  const chip = new DualCoreRP2040({ onMark: (m) => marks.push(m) });
  chip.cores[1].cycles = 1234;
  as(chip, 1).write(SCRATCH0, 3);
  as(chip, 1).write(SCRATCH0, MARK_END | 3);
  assert.deepEqual(
    marks.map(({ core, phase, end, cycles }) => ({ core, phase, end, cycles })),
    [
      { core: 1, phase: 3, end: false, cycles: 1234 },
      { core: 1, phase: 3, end: true, cycles: 1234 },
    ],
  );
  assert.equal(chip.status, null);
  as(chip, 0).write(SCRATCH1, 0x4b41_5401);
  assert.deepEqual(chip.status, { code: 1 });
});

test('an access rp2040js does not map fails the run instead of reading junk', () => {
  const chip = new DualCoreRP2040();
  as(chip, 0).read(0x3000_0000);
  assert.match(chip.status.message, /invalid memory address/i);
});
