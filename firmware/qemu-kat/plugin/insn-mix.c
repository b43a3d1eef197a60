/*
 * insn-mix: a QEMU TCG plugin that counts the instructions a Cortex-M guest
 * executes, by class (ALU, load, store, load/store multiple, branches taken
 * and not taken...), in phases.
 *
 * Phases: every time the instruction at address `mark` runs, a new phase
 * starts (phase 0 is everything before the first mark). qemu-kat calls its
 * `kat_mark` function before each measured phase (a scan, a batch of frames),
 * so each phase is one of them.
 * At exit it writes, for every phase, one line per class:
 *
 *   phase P class NAME count N taken T regs R pipelined Q
 *
 * count: executions; taken: of those, how many transferred control (the next
 * instruction was not the one after it); regs: registers moved by load/store
 * multiple, push and pop, summed; pipelined: single loads and stores that
 * directly followed another single load or store. scripts/qemu-count turns
 * these into cycles with the cores' published timings.
 *
 * Usage: qemu-system-arm ... -plugin libinsn-mix.so,mark=0x1234 -d plugin -D log
 *
 * SPDX-License-Identifier: GPL-2.0-or-later (it is loaded into QEMU)
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu-plugin-api.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

enum insn_class {
    C_ALU,       /* data processing, moves, shifts, compares, extends, IT */
    C_ALU_PC,    /* data processing that writes the PC (mov pc, add pc) */
    C_MUL,       /* multiplies */
    C_DIV,       /* hardware divide */
    C_LOAD,      /* single load (ldr, ldrb, ldrh, ldrsb, ldrsh) */
    C_LOAD_PC,   /* single load into the PC */
    C_STORE,     /* single store */
    C_LOAD2,     /* ldrd */
    C_STORE2,    /* strd */
    C_LDM,       /* ldm, pop without the PC */
    C_LDM_PC,    /* ldm, pop with the PC */
    C_STM,       /* stm, push */
    C_B,         /* unconditional branch */
    C_BCOND,     /* conditional branch, cbz, cbnz */
    C_BL,        /* branch with link (immediate) */
    C_BX,        /* bx, blx (register) */
    C_TB,        /* table branch: tbb, tbh */
    C_OTHER,     /* barriers, system, hints, semihosting */
    C_COUNT
};

static const char *class_names[C_COUNT] = {
    "alu", "alu_pc", "mul", "div", "load", "load_pc", "store", "load2", "store2",
    "ldm", "ldm_pc", "stm", "b", "bcond", "bl", "bx", "tb", "other",
};

#define MAX_PHASES 64

struct stats {
    uint64_t count[C_COUNT];
    uint64_t taken[C_COUNT];
    uint64_t regs[C_COUNT];
    uint64_t pipelined[C_COUNT];
};

/* One translated guest instruction. */
struct insn {
    uint64_t vaddr;
    uint32_t size;
    uint8_t cls;
    uint8_t regs;
    bool mark;
};

static struct stats phases[MAX_PHASES];
static unsigned phase;
static uint64_t mark_addr = UINT64_MAX;
static const struct insn *prev;
static unsigned prev_phase;

static bool is_cond(const char *s)
{
    static const char *conds[] = {"eq", "ne", "cs", "hs", "cc", "lo", "mi", "pl", "vs",
                                  "vc", "hi", "ls", "ge", "lt", "gt", "le", "al"};
    for (size_t i = 0; i < sizeof conds / sizeof conds[0]; i++) {
        if (strcmp(s, conds[i]) == 0) {
            return true;
        }
    }
    return false;
}

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Registers in a {...} list, ranges (r4-r7) included; sets *pc if the list
 * holds the PC. */
static unsigned count_regs(const char *ops, bool *pc)
{
    const char *open = strchr(ops, '{');
    const char *close = open ? strchr(open, '}') : NULL;
    unsigned n = 0;
    *pc = false;
    if (!open || !close) {
        return 0;
    }
    const char *p = open + 1;
    while (p < close) {
        while (p < close && (*p == ' ' || *p == ',')) {
            p++;
        }
        if (p >= close) {
            break;
        }
        const char *start = p;
        while (p < close && *p != ',') {
            p++;
        }
        char item[16] = {0};
        size_t len = (size_t)(p - start);
        if (len >= sizeof item) {
            len = sizeof item - 1;
        }
        memcpy(item, start, len);
        while (len > 0 && item[len - 1] == ' ') {
            item[--len] = 0;
        }
        int lo, hi;
        if (sscanf(item, "r%d-r%d", &lo, &hi) == 2 && hi >= lo) {
            n += (unsigned)(hi - lo + 1);
        } else {
            n += 1;
            if (strcmp(item, "pc") == 0) {
                *pc = true;
            }
        }
    }
    return n;
}

/* Classifies one instruction from its disassembly ("ldr r0, [r1, #4]"). */
static void classify(const char *disas, struct insn *in)
{
    char mnem[16] = {0};
    size_t i = 0;
    while (disas[i] && !isspace((unsigned char)disas[i]) && i < sizeof mnem - 1) {
        mnem[i] = (char)tolower((unsigned char)disas[i]);
        i++;
    }
    const char *ops = disas + i;
    while (*ops == ' ') {
        ops++;
    }
    /* Width qualifiers do not change the class. */
    char *dot = strchr(mnem, '.');
    if (dot) {
        *dot = 0;
    }
    bool pc = false;
    in->regs = 0;

    if (strcmp(mnem, "b") == 0) {
        in->cls = C_B;
    } else if (strcmp(mnem, "bl") == 0) {
        in->cls = C_BL;
    } else if (strcmp(mnem, "bx") == 0 || strcmp(mnem, "blx") == 0) {
        in->cls = C_BX;
    } else if (mnem[0] == 'b' && strlen(mnem) == 3 && is_cond(mnem + 1)) {
        in->cls = C_BCOND;
    } else if (strcmp(mnem, "cbz") == 0 || strcmp(mnem, "cbnz") == 0) {
        in->cls = C_BCOND;
    } else if (strcmp(mnem, "tbb") == 0 || strcmp(mnem, "tbh") == 0) {
        in->cls = C_TB;
    } else if (strcmp(mnem, "pop") == 0 || starts(mnem, "ldm")) {
        in->regs = (uint8_t)count_regs(ops, &pc);
        in->cls = pc ? C_LDM_PC : C_LDM;
    } else if (strcmp(mnem, "push") == 0 || starts(mnem, "stm")) {
        in->regs = (uint8_t)count_regs(ops, &pc);
        in->cls = C_STM;
    } else if (starts(mnem, "ldrd")) {
        in->cls = C_LOAD2;
    } else if (starts(mnem, "strd")) {
        in->cls = C_STORE2;
    } else if (starts(mnem, "ldr")) {
        in->cls = starts(ops, "pc") ? C_LOAD_PC : C_LOAD;
    } else if (starts(mnem, "str")) {
        in->cls = C_STORE;
    } else if (starts(mnem, "mul") || starts(mnem, "mla") || starts(mnem, "mls") ||
               starts(mnem, "umull") || starts(mnem, "smull") || starts(mnem, "umlal") ||
               starts(mnem, "smlal")) {
        in->cls = C_MUL;
    } else if (strcmp(mnem, "udiv") == 0 || strcmp(mnem, "sdiv") == 0) {
        in->cls = C_DIV;
    } else if (starts(mnem, "dmb") || starts(mnem, "dsb") || starts(mnem, "isb") ||
               starts(mnem, "mrs") || starts(mnem, "msr") || starts(mnem, "bkpt") ||
               starts(mnem, "svc") || starts(mnem, "wf") || starts(mnem, "sev") ||
               starts(mnem, "cps") || starts(mnem, "nop") || starts(mnem, "udf")) {
        in->cls = C_OTHER;
    } else {
        /* Data processing; writing the PC makes it a branch. */
        in->cls = starts(ops, "pc") ? C_ALU_PC : C_ALU;
    }
}

/* The Thumb instruction's real size, from its first halfword: QEMU's
 * qemu_plugin_insn_size can include a halfword read ahead (QEMU 7.2 reports
 * 4 for some 16-bit instructions). */
static uint32_t thumb_size(const struct qemu_plugin_insn *qi)
{
    uint8_t bytes[4] = {0};
#ifdef QEMU_INSN_DATA_COPIES
    if (qemu_plugin_insn_data(qi, bytes, sizeof bytes) < 2) {
        return (uint32_t)qemu_plugin_insn_size(qi);
    }
#else
    size_t len = qemu_plugin_insn_size(qi);
    const uint8_t *data = qemu_plugin_insn_data(qi);
    if (!data || len < 2) {
        return (uint32_t)len;
    }
    memcpy(bytes, data, len < sizeof bytes ? len : sizeof bytes);
#endif
    unsigned top5 = bytes[1] >> 3; /* little-endian halfword, bits 15..11 */
    return (top5 == 0x1d || top5 == 0x1e || top5 == 0x1f) ? 4 : 2;
}

static bool is_single_ldst(uint8_t cls)
{
    return cls == C_LOAD || cls == C_STORE;
}

static void on_exec(unsigned int vcpu, void *udata)
{
    const struct insn *in = udata;
    (void)vcpu;
    if (prev && in->vaddr != prev->vaddr + prev->size) {
        phases[prev_phase].taken[prev->cls]++;
    }
    if (in->mark && phase + 1 < MAX_PHASES) {
        phase++;
    }
    struct stats *s = &phases[phase];
    s->count[in->cls]++;
    s->regs[in->cls] += in->regs;
    if (prev && is_single_ldst(in->cls) && is_single_ldst(prev->cls) &&
        in->vaddr == prev->vaddr + prev->size) {
        s->pipelined[in->cls]++;
    }
    prev = in;
    prev_phase = phase;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *qi = qemu_plugin_tb_get_insn(tb, i);
        /* Kept for the whole run: callbacks refer to it. */
        struct insn *in = calloc(1, sizeof *in);
        if (!in) {
            return;
        }
        in->vaddr = qemu_plugin_insn_vaddr(qi);
        in->size = thumb_size(qi);
        in->mark = in->vaddr == mark_addr;
        char *disas = qemu_plugin_insn_disas(qi);
        classify(disas ? disas : "", in);
        free(disas);
        qemu_plugin_register_vcpu_insn_exec_cb(qi, on_exec, QEMU_PLUGIN_CB_NO_REGS, in);
    }
}

static void report(qemu_plugin_id_t id, void *udata)
{
    (void)id;
    (void)udata;
    char line[256];
    for (unsigned p = 0; p <= phase; p++) {
        const struct stats *s = &phases[p];
        for (int c = 0; c < C_COUNT; c++) {
            if (s->count[c] == 0) {
                continue;
            }
            snprintf(line, sizeof line,
                     "phase %u class %s count %" PRIu64 " taken %" PRIu64 " regs %" PRIu64
                     " pipelined %" PRIu64 "\n",
                     p, class_names[c], s->count[c], s->taken[c], s->regs[c], s->pipelined[c]);
            qemu_plugin_outs(line);
        }
    }
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (starts(argv[i], "mark=")) {
            mark_addr = strtoull(argv[i] + 5, NULL, 0);
        } else {
            fprintf(stderr, "insn-mix: unknown argument %s (expected mark=ADDRESS)\n", argv[i]);
            return -1;
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, report, NULL);
    return 0;
}
