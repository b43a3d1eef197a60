#!/usr/bin/env node
// Runs an rp2040-kat image (firmware/rp2040-kat) on an emulated RP2040:
// rp2040js with both cores (dual-core.mjs). Prints the image's UART0 text,
// then the cycles per nonce of every measured phase from each core's cycle
// counter. Exit status: 0 if the image reported success and every phase
// was measured, 1 on any failure, 124 on a timeout, 2 on bad arguments.
//
//   node run.mjs [--timeout-s S] [--max-cycles N] [--mhz F] IMAGE.elf

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { DualCoreRP2040 } from './dual-core.mjs';
import { readElf } from './elf.mjs';
import { Phases, table } from './report.mjs';

const USAGE = 'usage: node run.mjs [--timeout-s S] [--max-cycles N] [--mhz F] IMAGE.elf';

function usage(message) {
  console.error(`rp2040-emu: ${message}\n${USAGE}`);
  process.exit(2);
}

function bounded(name, text, min, max) {
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max) {
    usage(`--${name} must be a number from ${min} to ${max}, not ${JSON.stringify(text)}`);
  }
  return value;
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      'timeout-s': { type: 'string', default: '900' },
      'max-cycles': { type: 'string', default: '40e9' },
      mhz: { type: 'string', default: '133' },
    },
    allowPositionals: true,
  });
} catch (e) {
  usage(e.message);
}
const { values, positionals } = parsed;
if (positionals.length !== 1) usage('one image expected');
const timeoutS = bounded('timeout-s', values['timeout-s'], 1, 86400);
const maxCycles = bounded('max-cycles', values['max-cycles'], 1e6, 1e12);
const mhz = bounded('mhz', values.mhz, 1, 1000);

let image;
try {
  image = readElf(new Uint8Array(readFileSync(positionals[0])));
} catch (e) {
  console.error(`rp2040-emu: ${positionals[0]}: ${e.message}`);
  process.exit(1);
}

const version = JSON.parse(
  readFileSync(new URL('./node_modules/rp2040js/package.json', import.meta.url), 'utf8'),
).version;
const hex = (n) => `0x${(n >>> 0).toString(16)}`;
const phases = new Phases();
let failedLines = 0;
const chip = new DualCoreRP2040({
  onLine: (text) => {
    console.log(text);
    if (/FAILED|^(core 1: )?panic/.test(text)) failedLines++;
    phases.line(text);
  },
  onMark: (mark) => phases.mark(mark),
  onLaunch: ({ vtor, sp, entry }) =>
    console.log(
      `rp2040-emu: core 1 left the bootrom: entry ${hex(entry)}, stack ${hex(sp)}, vector table ${hex(vtor)}`,
    ),
});
try {
  chip.load(image);
} catch (e) {
  console.error(`rp2040-emu: ${e.message}`);
  process.exit(1);
}
console.log(`rp2040-emu: rp2040js ${version}, two cores; ${positionals[0]}`);
const started = Date.now();
chip.boot();
const status = chip.run({ maxCycles, deadline: started + timeoutS * 1000 });
const seconds = ((Date.now() - started) / 1000).toFixed(1);
const executed = chip.insns[0] + chip.insns[1];
console.log(
  `rp2040-emu: ${(executed / 1e6).toFixed(0)} M instructions emulated in ${seconds} s ` +
    `(core 0: ${chip.cores[0].cycles} cycles, core 1: ${chip.cores[1].cycles})`,
);

if (status.code === null) {
  console.error(`rp2040-emu: ${status.message}`);
  process.exit(status.timeout ? 124 : 1);
}
const rows = phases.rows();
if (rows.length > 0) {
  console.log(`\ncycles per nonce from each core's cycle counter (rp2040js ${version}); H/s summed over the cores that scanned`);
  for (const line of table(rows, mhz)) console.log(line);
}
for (const error of phases.errors) console.error(`rp2040-emu: ${error}`);
if (status.code !== 0 || failedLines > 0) {
  console.error(`rp2040-emu: the image reported failure (exit status ${status.code})`);
  process.exit(1);
}
if (phases.errors.length > 0 || rows.length === 0) {
  console.error('rp2040-emu: the measured phases are incomplete');
  process.exit(1);
}
