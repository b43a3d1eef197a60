/*
 * The part of QEMU's TCG plugin API (include/qemu/qemu-plugin.h, plugin API
 * version 1, QEMU 4.2 and later) that insn-mix.c uses, declared here so the
 * plugin builds without QEMU's sources: Debian ships QEMU with plugin
 * support but no development header for it. The functions are provided by
 * QEMU itself when it loads the plugin. Checked against QEMU 7.2 (Debian 12).
 *
 * QEMU, and so any plugin loaded into it, is GPL-2.0-or-later.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef QEMU_PLUGIN_API_H
#define QEMU_PLUGIN_API_H

#include <stddef.h>
#include <stdint.h>

#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))
/* The API version this plugin was written against; QEMU refuses plugins
 * outside its supported range. */
#define QEMU_PLUGIN_VERSION 1

typedef uint64_t qemu_plugin_id_t;
/* Passed to qemu_plugin_install; this plugin does not read it. */
typedef struct qemu_info_t qemu_info_t;

struct qemu_plugin_tb;
struct qemu_plugin_insn;

/* Register access wanted by a callback: none. */
enum qemu_plugin_cb_flags {
    QEMU_PLUGIN_CB_NO_REGS,
    QEMU_PLUGIN_CB_R_REGS,
    QEMU_PLUGIN_CB_RW_REGS,
};

typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);

/* Called by QEMU once, after loading; returns 0 on success. */
QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
                                           qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
                                            qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb,
                                    void *userdata);

size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
/* The instruction's bytes. QEMU 9.0 changed this call from returning a
 * pointer to copying into a buffer; build with -DQEMU_INSN_DATA_COPIES on
 * QEMU 9.0 and later (scripts/qemu-count does). */
#ifdef QEMU_INSN_DATA_COPIES
size_t qemu_plugin_insn_data(const struct qemu_plugin_insn *insn, void *dest, size_t len);
#else
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
#endif
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
/* A newly allocated string (free() it): the instruction's disassembly. */
char *qemu_plugin_insn_disas(const struct qemu_plugin_insn *insn);

/* Writes to QEMU's log (-d plugin, -D file). */
void qemu_plugin_outs(const char *string);

#endif
