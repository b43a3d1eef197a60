// An RP2040 with both cores on rp2040js.
//
// rp2040js models one Cortex-M0+ core with a cycle counter, the memory map
// (bootrom, XIP flash, SRAM, APB and AHB peripherals, SIO, the PPB) and the
// peripherals. It has no second core, and its SIO answers CPUID with 0 and
// has no FIFOs. This module adds them: a second CortexM0Core (rp2040js's
// own class) sharing the chip's memory and peripherals, the two cores
// running in turns of QUANTUM cycles; CPUID answering the core that reads it; the
// two inter-core FIFOs (eight words each way, VLD/RDY/WOF/ROE, the
// SIO_IRQ_PROCn lines); SEV waking the other core's WFE; and core 1's
// bootrom holding pen (bootrom.mjs). Each core keeps its own registers,
// NVIC state and VTOR, which rp2040js keeps on the core object; the PPB's
// SysTick, the SIO divider and interpolators stay shared (on the chip each
// core has its own), and nothing here uses them.
//
// The image is started as the bootrom and boot2 start a flash image: its
// segments are written to flash (and SRAM) at their physical addresses,
// and core 0 starts with boot2's exit: VTOR = 0x1000_0100, MSP and PC from
// that vector table.
//
// Beside UART0's text, the image talks to the runner through the
// watchdog's scratch registers (free for software; see rp2040-kat's
// signal.rs): scratch 0 marks the start or end of a measured phase on the
// core that writes it, scratch 1 ends the run with a status.

import { RP2040 } from 'rp2040js';

import { Core1Bootrom } from './bootrom.mjs';

export const FLASH_BASE = 0x1000_0000;
export const FLASH_SIZE = 2 * 1024 * 1024; // the Pico W's flash
export const SRAM_BASE = 0x2000_0000;
export const SRAM_SIZE = 264 * 1024;
const VECTOR_TABLE = FLASH_BASE + 0x100;
// rp2040js's system clock; the cycle counts do not depend on it.
const NS_PER_CYCLE = 1e9 / 125e6;
// Cycles each core runs before the other takes its turn. Only how soon one
// core sees the other's FIFO writes depends on it, never a core's count.
const QUANTUM = 512;

const SIO_CPUID = 0x000;
const SIO_FIFO_ST = 0x050;
const SIO_FIFO_WR = 0x054;
const SIO_FIFO_RD = 0x058;
const FIFO_DEPTH = 8;
const ST_VLD = 1 << 0;
const ST_RDY = 1 << 1;
const ST_WOF = 1 << 2;
const ST_ROE = 1 << 3;
const IRQ_SIO_PROC0 = 15;

// rp2040js keys its peripherals by (address >>> 14) << 2.
const WATCHDOG = 0x40058;
const SCRATCH0 = 0x0c;
const SCRATCH1 = 0x10;
export const MARK_END = 0x8000_0000;
const EXIT_TAG = 0x4b41_5400;

const hex = (n) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

export class DualCoreRP2040 {
  // hooks: onLine(text), onMark({ core, phase, end, cycles, insns, sramInsns }),
  // onLaunch({ vtor, sp, entry }); all optional.
  constructor(hooks = {}) {
    this.hooks = hooks;
    this.rp = new RP2040();
    const Core = this.rp.core.constructor;
    this.cores = [this.rp.core, new Core(this.rp)];
    this.running = [false, false];
    this.time = [0, 0];
    this.insns = [0, 0];
    this.sramInsns = [0, 0];
    this.current = 0;
    this.rx = [[], []]; // rx[c]: the FIFO core c reads
    this.sticky = [0, 0];
    this.outbox = []; // bootrom words waiting for room in core 0's FIFO
    this.status = null;
    this.text = '';
    this.bootrom = new Core1Bootrom(
      (word) => this.bootromSend(word),
      (launch) => this.launchCore1(launch),
    );
    this.installLogger();
    this.installSio();
    this.installWatchdog();
    this.rp.uart[0].onByte = (byte) => this.uartByte(byte);
    this.rp.onBreak = (code) =>
      this.fail(`core ${this.current}: BKPT or UDF #${code} near ${hex(this.cores[this.current].PC)}`);
  }

  // Anything rp2040js warns about (an unimplemented instruction, which it
  // would skip; an unaligned or unmapped access, which would fault on the
  // chip) ends the run as a failure. rp2040js reports SEV only as a log line.
  installLogger() {
    this.rp.logger = {
      debug() {},
      info: (component, message) => {
        if (message === 'SEV') this.sev(this.current);
      },
      warn: (component, message) => this.fail(`core ${this.current}: ${component}: ${message}`),
      error: (component, message) => this.fail(`core ${this.current}: ${component}: ${message}`),
    };
  }

  installSio() {
    const { sio } = this.rp;
    const read = sio.readUint32.bind(sio);
    const write = sio.writeUint32.bind(sio);
    sio.readUint32 = (offset) => {
      switch (offset) {
        case SIO_CPUID:
          return this.current;
        case SIO_FIFO_ST:
          return this.fifoStatus(this.current);
        case SIO_FIFO_RD:
          return this.fifoRead(this.current);
        case SIO_FIFO_WR:
          return 0;
        default:
          return read(offset);
      }
    };
    sio.writeUint32 = (offset, value) => {
      switch (offset) {
        case SIO_FIFO_ST:
          // WOF and ROE clear on any write.
          this.sticky[this.current] = 0;
          this.updateIrqs();
          return;
        case SIO_FIFO_WR:
          this.fifoWrite(this.current, value >>> 0);
          return;
        case SIO_FIFO_RD:
          return;
        default:
          write(offset, value);
      }
    };
  }

  installWatchdog() {
    const watchdog = this.rp.peripherals[WATCHDOG];
    const write = watchdog.writeUint32.bind(watchdog);
    watchdog.writeUint32 = (offset, value) => {
      value >>>= 0;
      if (offset === SCRATCH0) this.mark(value);
      else if (offset === SCRATCH1 && (value & 0xffff_ff00) >>> 0 === EXIT_TAG) {
        if (this.status === null) this.status = { code: value & 0xff };
      }
      write(offset, value);
    };
  }

  fifoStatus(c) {
    return (
      (this.rx[c].length > 0 ? ST_VLD : 0) |
      (this.rx[1 - c].length < FIFO_DEPTH ? ST_RDY : 0) |
      this.sticky[c]
    );
  }

  fifoWrite(c, word) {
    const to = 1 - c;
    if (this.rx[to].length >= FIFO_DEPTH) {
      this.sticky[c] |= ST_WOF;
    } else {
      this.rx[to].push(word);
      if (to === 1 && !this.bootrom.launched) {
        // Core 1 in its bootrom takes each word at once.
        const drain = () => (this.rx[1].length = 0);
        while (this.rx[1].length > 0 && !this.bootrom.launched) {
          this.bootrom.receive(this.rx[1].shift(), drain);
        }
      }
    }
    this.updateIrqs();
  }

  fifoRead(c) {
    if (this.rx[c].length === 0) {
      this.sticky[c] |= ST_ROE;
      this.updateIrqs();
      return 0;
    }
    const word = this.rx[c].shift();
    if (c === 0) this.flushOutbox();
    this.updateIrqs();
    return word;
  }

  bootromSend(word) {
    this.outbox.push(word >>> 0);
    this.flushOutbox();
  }

  flushOutbox() {
    while (this.outbox.length > 0 && this.rx[0].length < FIFO_DEPTH) {
      this.rx[0].push(this.outbox.shift());
      this.wake(0);
    }
  }

  updateIrqs() {
    for (let c = 0; c < 2; c++) {
      this.cores[c].setInterrupt(IRQ_SIO_PROC0 + c, this.rx[c].length > 0 || this.sticky[c] !== 0);
    }
  }

  // SEV from core `from`: the other core's WFE returns, or its next one does.
  sev(from) {
    if (this.running[1 - from]) this.wake(1 - from);
  }

  wake(c) {
    const core = this.cores[c];
    if (core.waiting) core.waiting = false;
    else core.eventRegistered = true;
  }

  launchCore1({ vtor, sp, entry }) {
    const core = this.cores[1];
    core.VTOR = vtor;
    core.SP = sp;
    core.PC = entry & ~1;
    this.running[1] = true;
    this.time[1] = this.time[0];
    this.hooks.onLaunch?.({ vtor, sp, entry });
  }

  mark(value) {
    const c = this.current;
    this.hooks.onMark?.({
      core: c,
      phase: value & ~MARK_END,
      end: (value & MARK_END) !== 0,
      cycles: this.cores[c].cycles,
      insns: this.insns[c],
      sramInsns: this.sramInsns[c],
    });
  }

  uartByte(byte) {
    if (byte === 0x0a) {
      this.hooks.onLine?.(this.text.replace(/\r$/, ''));
      this.text = '';
    } else if (this.text.length < 4096) {
      this.text += String.fromCharCode(byte);
    }
  }

  fail(message, timeout = false) {
    if (this.status === null) this.status = { code: null, message, timeout };
  }

  // Writes the image's loadable segments at their physical addresses.
  load({ segments }) {
    for (const { paddr, data } of segments) {
      const end = paddr + data.length;
      if (paddr >= FLASH_BASE && end <= FLASH_BASE + FLASH_SIZE) {
        this.rp.flash.set(data, paddr - FLASH_BASE);
      } else if (paddr >= SRAM_BASE && end <= SRAM_BASE + SRAM_SIZE) {
        this.rp.sram.set(data, paddr - SRAM_BASE);
      } else {
        throw new Error(`segment at ${hex(paddr)} (${data.length} bytes) is outside flash and SRAM`);
      }
    }
  }

  // Core 0 leaves boot2 into the image; core 1 enters the bootrom's pen.
  boot() {
    const core = this.cores[0];
    core.VTOR = VECTOR_TABLE;
    core.SP = this.rp.readUint32(VECTOR_TABLE);
    core.PC = this.rp.readUint32(VECTOR_TABLE + 4) & ~1;
    this.running[0] = true;
    this.bootrom.start(() => (this.rx[1].length = 0));
  }

  // Runs until the image exits, something fails, `maxCycles` of emulated
  // time pass or the clock passes `deadline` (ms since the epoch). Returns
  // { code } on exit, { code: null, message, timeout } otherwise.
  run({ maxCycles, deadline }) {
    const { rp, cores } = this;
    let t = 0;
    let idle = 0;
    let turns = 0;
    while (this.status === null) {
      t += QUANTUM;
      let ran = false;
      for (let c = 0; c < 2 && this.status === null; c++) {
        const core = cores[c];
        if (!this.running[c] || core.waiting) {
          this.time[c] = t;
          continue;
        }
        ran = true;
        this.current = c;
        rp.core = core;
        let time = this.time[c];
        while (time < t && !core.waiting && this.status === null) {
          this.insns[c]++;
          if (core.PC >= SRAM_BASE) this.sramInsns[c]++;
          time += core.executeInstruction();
        }
        this.time[c] = core.waiting ? t : time;
      }
      rp.core = cores[0];
      rp.clock.tick(QUANTUM * NS_PER_CYCLE);
      idle = ran ? 0 : idle + QUANTUM;
      if (idle > 125e6) this.fail('both cores asleep for a second of emulated time: a deadlock');
      if (t >= maxCycles) this.fail(`timed out after ${t} cycles of emulated time`, true);
      if (++turns % 1024 === 0 && Date.now() > deadline) this.fail('timed out (wall clock)', true);
    }
    return this.status;
  }
}
