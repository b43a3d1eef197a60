// The measured phases: which backend on how many cores (the image's
// "bench phase P cores C backend NAME nonces N" lines), and for each core
// the cycle counter and instruction counts between its start and end marks.

const PHASE_LINE = /^bench phase (\d+) cores ([12]) backend (\S+) nonces (\d+)$/;

export class Phases {
  constructor() {
    this.phases = new Map();
    this.errors = [];
  }

  line(text) {
    const m = PHASE_LINE.exec(text);
    if (!m) return;
    const [, phase, cores, backend, nonces] = m;
    this.phases.set(Number(phase), {
      phase: Number(phase),
      cores: Number(cores),
      backend,
      nonces: Number(nonces),
      starts: [],
      spans: [],
    });
  }

  mark({ core, phase, end, cycles, insns, sramInsns }) {
    const p = this.phases.get(phase);
    if (!p) {
      this.errors.push(`core ${core} marked phase ${phase}, which the image never announced`);
      return;
    }
    if (!end) {
      p.starts[core] = { cycles, insns, sramInsns };
      return;
    }
    const start = p.starts[core];
    if (!start) {
      this.errors.push(`core ${core} ended phase ${phase} without starting it`);
      return;
    }
    p.spans[core] = {
      cycles: cycles - start.cycles,
      insns: insns - start.insns,
      sramInsns: sramInsns - start.sramInsns,
    };
  }

  // One row per phase: per core, cycles and instructions per nonce and the
  // share of instructions fetched from SRAM. Incomplete phases are errors.
  rows() {
    const rows = [];
    for (const p of [...this.phases.values()].sort((a, b) => a.phase - b.phase)) {
      const perCore = [];
      for (let core = 0; core < p.cores; core++) {
        const span = p.spans[core];
        if (!span || p.nonces === 0) {
          this.errors.push(`phase ${p.phase} (${p.backend}, ${p.cores} cores): no complete span on core ${core}`);
          continue;
        }
        perCore.push({
          core,
          cyclesPerNonce: span.cycles / p.nonces,
          insnsPerNonce: span.insns / p.nonces,
          sramShare: span.insns ? span.sramInsns / span.insns : 0,
        });
      }
      rows.push({ phase: p.phase, backend: p.backend, cores: p.cores, nonces: p.nonces, perCore });
    }
    return rows;
  }
}

const int = (x) => Math.round(x).toLocaleString('en-US');
const pct = (x) => `${(100 * x).toFixed(1)}%`;

// The table the runner prints: rates are the board's at `mhz`, each core
// at its own cycles per nonce, summed over the cores that scanned.
export function table(rows, mhz) {
  const head = ['backend', 'cores', 'cycles/nonce core 0', 'core 1', 'insns/nonce', 'in SRAM', `H/s at ${mhz} MHz`];
  const body = rows.map((r) => {
    const c0 = r.perCore.find((c) => c.core === 0);
    const c1 = r.perCore.find((c) => c.core === 1);
    const rate = r.perCore.reduce((sum, c) => sum + (mhz * 1e6) / c.cyclesPerNonce, 0);
    const insns = r.perCore.reduce((sum, c) => sum + c.insnsPerNonce, 0) / (r.perCore.length || 1);
    const sram = r.perCore.reduce((sum, c) => sum + c.sramShare, 0) / (r.perCore.length || 1);
    return [
      r.backend,
      String(r.cores),
      c0 ? int(c0.cyclesPerNonce) : '-',
      c1 ? int(c1.cyclesPerNonce) : '-',
      int(insns),
      pct(sram),
      int(rate),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const fmt = (row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [fmt(head), ...body.map(fmt)];
}
