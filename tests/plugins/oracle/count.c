/*
 * The oracle for plume's counting plugins: a QEMU TCG plugin (API version
 * 1, as QEMU 7.2 ships) that counts executed instructions, blocks, loads
 * and stores, inline by default or with a callback per instruction and per
 * access ("mode=cb"), or per instruction only ("mode=insn") or per access
 * only ("mode=mem"; the benchmark's reference). Prints "insns N",
 * "blocks N", "loads N", "stores N" through qemu_plugin_outs at exit.
 *
 * Debian ships no qemu-plugin.h: the few declarations below are written
 * from QEMU's documented plugin API.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef uint32_t qemu_plugin_meminfo_t;
typedef struct {
    const char *target_name;
    struct { int min; int cur; } version;
    bool system_emulation;
    union { struct { int smp_vcpus; int max_vcpus; } system; };
} qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { CB_NO_REGS, CB_R_REGS, CB_RW_REGS };
enum qemu_plugin_mem_rw { MEM_R = 1, MEM_W = 2, MEM_RW = 3 };
enum qemu_plugin_op { INLINE_ADD_U64 };
typedef void (*udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*mem_cb_t)(unsigned int vcpu_index, qemu_plugin_meminfo_t info, uint64_t vaddr, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op, void *ptr,
                                              uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op, void *ptr,
                                                uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn, mem_cb_t cb, enum qemu_plugin_cb_flags flags,
                                      enum qemu_plugin_mem_rw rw, void *userdata);
void qemu_plugin_register_vcpu_mem_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_mem_rw rw,
                                          enum qemu_plugin_op op, void *ptr, uint64_t imm);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
bool qemu_plugin_mem_is_store(qemu_plugin_meminfo_t info);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, udata_cb_t cb, void *userdata);
void qemu_plugin_outs(const char *string);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

static uint64_t insns, blocks, loads, stores;
static bool insn_callbacks, mem_callbacks;

static void on_insn(unsigned int vcpu, void *ud) { insns++; }

static void on_access(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *ud)
{
    if (qemu_plugin_mem_is_store(info)) stores++; else loads++;
}

static void on_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);
    qemu_plugin_register_vcpu_tb_exec_inline(tb, INLINE_ADD_U64, &blocks, 1);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        if (insn_callbacks) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_insn, CB_NO_REGS, NULL);
        } else {
            qemu_plugin_register_vcpu_insn_exec_inline(insn, INLINE_ADD_U64, &insns, 1);
        }
        if (mem_callbacks) {
            qemu_plugin_register_vcpu_mem_cb(insn, on_access, CB_NO_REGS, MEM_RW, NULL);
        } else {
            qemu_plugin_register_vcpu_mem_inline(insn, MEM_R, INLINE_ADD_U64, &loads, 1);
            qemu_plugin_register_vcpu_mem_inline(insn, MEM_W, INLINE_ADD_U64, &stores, 1);
        }
    }
}

static void report(qemu_plugin_id_t id, void *ud)
{
    char buf[256];
    snprintf(buf, sizeof buf, "insns %llu\nblocks %llu\nloads %llu\nstores %llu\n", (unsigned long long)insns,
             (unsigned long long)blocks, (unsigned long long)loads, (unsigned long long)stores);
    qemu_plugin_outs(buf);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                                               int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "mode=cb") == 0) insn_callbacks = mem_callbacks = true;
        else if (strcmp(argv[i], "mode=insn") == 0) insn_callbacks = true;
        else if (strcmp(argv[i], "mode=mem") == 0) mem_callbacks = true;
        else if (strcmp(argv[i], "mode=inline") != 0) return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_trans);
    qemu_plugin_register_atexit_cb(id, report, NULL);
    return 0;
}
