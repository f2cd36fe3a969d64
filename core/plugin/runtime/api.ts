/**
 * The plugin API as plugins see it, implemented on the plugin's side of the
 * sandbox. This file is the single source of truth for the API surface:
 * every export whose doc carries the `qemuPluginApi` tag is allowlisted, re-exported by the
 * `"qemu-plugin"` module and bound into plugins by
 * `build/gen_plugin_api.ts`; nothing else is reachable from a plugin.
 *
 * Names, semantics and parameter order are QEMU's (`qemu-plugin.h`, plugin
 * API version 7), minus what only system emulation has. Callbacks get
 * QEMU's classic parameters in C order, plus the user data last when one was
 * given at registration. Addresses are numbers, 64-bit values bigints,
 * handles opaque objects valid only as documented. Every call checks its
 * arguments: a wrong or stale id or handle, or guest state asked for outside
 * a synchronous callback, throws a {@link PluginApiError} in the plugin,
 * which is then unloaded.
 *
 * The examples are plugin code: `deno task test` type-checks them (`deno
 * check --doc`) but cannot run them, since outside a plugin process the API
 * has no instance to talk to. `declare` lines give the types of what a
 * plugin would have at hand (a handle, a callback).
 *
 * @module
 */

import {
  ACT,
  ATTN,
  CTL,
  getBytes,
  getString,
  putBytes,
  REG,
  REGS,
  REQ,
  textWrite,
  VECTOR_CSR_NAMES,
} from "../channel.ts";
import {
  ACCESS,
  type AnyFn,
  CB,
  checkFn,
  checkId,
  instance,
  type MemSlot,
  MEMV,
  PluginApiError,
  publishEvents,
  pushAct,
  request,
  SetPcSignal,
} from "./state.ts";
import { resolvedPath } from "../../util/posix_path.ts";
import { addExecSlot, translationMemSlots } from "./block_slots.ts";
import { InsnImpl, RegisterImpl, ScoreboardImpl, TbImpl, translation, U64Impl } from "./handles.ts";
import { bytes8 } from "./spare_bytes.ts";
import { streamedValue } from "./replay.ts";

// ---------------------------------------------------------------- types

/**
 * A plugin instance's opaque id, handed to `qemu_plugin_install`: a random
 * 64-bit value, different for every instance.
 */
export type PluginId = bigint;

/** Information about the emulator handed to `qemu_plugin_install` (`qemu_info_t`). */
export interface QemuInfo {
  /** Guest architecture: `"riscv64"`. */
  target_name: string;
  /** Plugin API versions the emulator supports. */
  version: { min: number; cur: number };
  /** Always false: plume emulates user mode. */
  system_emulation: boolean;
  /** vCPU counts (meaningful for system emulation; 1 here). */
  system: { smp_vcpus: number; max_vcpus: number };
  /**
   * plume's addition: the guest process id this copy of the plugin
   * follows (what a QEMU plugin reads with `getpid()`, which runs in the
   * guest's process there). When the guest forks, the plugin's copy for the
   * child sees this field of the object it was installed with change to
   * the child's pid before the child's first event.
   */
  pid: number;
}

/** Opaque handle of a block being translated; valid only during its translation callback. */
export interface Tb {
  /** Marks the handle kind; plugins must not rely on any field. */
  readonly handle: "qemu_plugin_tb";
}

/** Opaque handle of an instruction of a block being translated; valid only during the translation callback. */
export interface Insn {
  /** Marks the handle kind; plugins must not rely on any field. */
  readonly handle: "qemu_plugin_insn";
}

/** Opaque handle of a scoreboard: one entry of a chosen size per vCPU. */
export interface Scoreboard {
  /** Marks the handle kind; plugins must not rely on any field. */
  readonly handle: "qemu_plugin_scoreboard";
}

/** A 64-bit counter inside a scoreboard entry (`qemu_plugin_u64`): the target of inline operations. */
export interface PluginU64 {
  /** The scoreboard. */
  readonly score: Scoreboard;
  /** Byte offset of the counter inside each entry. */
  readonly offset: number;
}

/** Memory access information (`qemu_plugin_meminfo_t`), queried with the `qemu_plugin_mem_*` functions. */
export type MemInfo = number;

/** The value a memory access loaded or stored (`qemu_plugin_mem_value`). */
export interface MemValue {
  /** One of the `QEMU_PLUGIN_MEM_VALUE_*` constants. */
  type: number;
  /** The value in each width (the one matching `type` is meaningful). */
  data: { u8: number; u16: number; u32: number; u64: bigint; u128: { low: bigint; high: bigint } };
}

/** Opaque handle of a guest register. */
export interface RegisterHandle {
  /** Marks the handle kind; plugins must not rely on any field. */
  readonly handle: "qemu_plugin_register";
}

/** A guest register as `qemu_plugin_get_registers` describes it (`qemu_plugin_reg_descriptor`). */
export interface RegisterDescriptor {
  /** Handle for `qemu_plugin_read_register` / `qemu_plugin_write_register`. */
  handle: RegisterHandle;
  /** GDB name of the register (`"a0"`, `"pc"`, `"fa0"`, `"fcsr"`). */
  name: string;
  /** GDB feature the register belongs to. */
  feature: string;
}

/** A vCPU callback (`qemu_plugin_vcpu_simple_cb_t` with optional user data). */
export type VcpuSimpleCb = (id: PluginId, vcpu_index: number, userdata?: unknown) => void;
/** An execution callback (`qemu_plugin_vcpu_udata_cb_t`). */
export type VcpuUdataCb = (vcpu_index: number, userdata: unknown) => void;
/** A callback with the plugin id (`qemu_plugin_udata_cb_t`, `qemu_plugin_simple_cb_t`). */
export type UdataCb = (id: PluginId, userdata?: unknown) => void;
/** A translation callback (`qemu_plugin_vcpu_tb_trans_cb_t`). */
export type TbTransCb = (id: PluginId, tb: Tb, userdata?: unknown) => void;
/** A memory callback (`qemu_plugin_vcpu_mem_cb_t`). */
export type MemCb = (vcpu_index: number, info: MemInfo, vaddr: number, userdata: unknown) => void;
/** A system call entry callback (`qemu_plugin_vcpu_syscall_cb_t`): eight arguments, then user data. */
export type SyscallCb = (id: PluginId, vcpu_index: number, num: bigint, ...rest: unknown[]) => void;
/** A system call return callback (`qemu_plugin_vcpu_syscall_ret_cb_t`). */
export type SyscallRetCb = (id: PluginId, vcpu_index: number, num: bigint, ret: bigint, userdata?: unknown) => void;
/**
 * A system call filter (`qemu_plugin_vcpu_syscall_filter_cb_t`): returns the
 * call's result as a bigint to filter it (the call does not run), anything
 * else to let it run.
 */
export type SyscallFilterCb = (id: PluginId, vcpu_index: number, num: bigint, ...rest: unknown[]) => unknown;
/** A discontinuity callback (`qemu_plugin_vcpu_discon_cb_t`). */
export type DisconCb = (
  id: PluginId,
  vcpu_index: number,
  type: number,
  from_pc: number,
  to_pc: number,
  userdata?: unknown,
) => void;

// ---------------------------------------------------------------- constants

/**
 * The plugin API version plume implements; a plugin exports the version it
 * was written for as `qemu_plugin_version`.
 *
 * @example
 * ```ts
 * import { QEMU_PLUGIN_VERSION } from "qemu-plugin";
 * export const qemu_plugin_version = QEMU_PLUGIN_VERSION;
 * ```
 * @qemuPluginApi
 */
export const QEMU_PLUGIN_VERSION = 7;

/**
 * Callback flag: the callback does not read guest registers. Execution
 * callbacks with it are streamed and run in parallel with the guest.
 *
 * @example
 * ```ts
 * declare const tb: Tb, onExec: VcpuUdataCb;
 * qemu_plugin_register_vcpu_tb_exec_cb(tb, onExec, QEMU_PLUGIN_CB_NO_REGS, null);
 * ```
 * @qemuPluginApi
 */
export const QEMU_PLUGIN_CB_NO_REGS = 0;
/**
 * Callback flag: the callback reads guest registers (it runs synchronously).
 *
 * @example
 * ```ts
 * declare const insn: Insn, readA0: VcpuUdataCb;
 * qemu_plugin_register_vcpu_insn_exec_cb(insn, readA0, QEMU_PLUGIN_CB_R_REGS, null);
 * ```
 * @qemuPluginApi
 */
export const QEMU_PLUGIN_CB_R_REGS = 1;
/**
 * Callback flag: the callback reads and writes guest registers.
 *
 * @example
 * ```ts
 * declare const insn: Insn, patchA0: VcpuUdataCb;
 * qemu_plugin_register_vcpu_insn_exec_cb(insn, patchA0, QEMU_PLUGIN_CB_RW_REGS, null);
 * ```
 * @qemuPluginApi
 */
export const QEMU_PLUGIN_CB_RW_REGS = 2;
/**
 * Callback flag: the callback reads and writes registers and may change the pc (`qemu_plugin_set_pc`).
 *
 * @example
 * ```ts
 * declare const insn: Insn, skip: VcpuUdataCb;
 * qemu_plugin_register_vcpu_insn_exec_cb(insn, skip, QEMU_PLUGIN_CB_RW_REGS_PC, null);
 * ```
 * @qemuPluginApi
 */
export const QEMU_PLUGIN_CB_RW_REGS_PC = 3;

/**
 * Memory filter: loads.
 *
 * @example
 * ```ts
 * declare const insn: Insn, onLoad: MemCb;
 * qemu_plugin_register_vcpu_mem_cb(insn, onLoad, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_R, null);
 * ```
 * @qemuPluginApi
 */
export const QEMU_PLUGIN_MEM_R = 1;
/**
 * Memory filter: stores.
 *
 * @example
 * ```ts
 * declare const insn: Insn, onStore: MemCb;
 * qemu_plugin_register_vcpu_mem_cb(insn, onStore, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_W, null);
 * ```
 * @qemuPluginApi
 */
export const QEMU_PLUGIN_MEM_W = 2;
/**
 * Memory filter: loads and stores.
 *
 * @example
 * ```ts
 * declare const insn: Insn, onAccess: MemCb;
 * qemu_plugin_register_vcpu_mem_cb(insn, onAccess, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, null);
 * ```
 * @qemuPluginApi
 */
export const QEMU_PLUGIN_MEM_RW = 3;

/**
 * Value type of an 8-bit access.
 *
 * @example
 * ```ts
 * declare const info: MemInfo;
 * let count8 = 0;
 * if (qemu_plugin_mem_get_value(info).type === QEMU_PLUGIN_MEM_VALUE_U8) count8++;
 * ```
 * @qemuPluginApi
 */
export const QEMU_PLUGIN_MEM_VALUE_U8 = 0;
/**
 * Value type of a 16-bit access.
 *
 * @example
 * ```ts
 * declare const info: MemInfo;
 * let count16 = 0;
 * if (qemu_plugin_mem_get_value(info).type === QEMU_PLUGIN_MEM_VALUE_U16) count16++;
 * ```
 * @qemuPluginApi
 */
export const QEMU_PLUGIN_MEM_VALUE_U16 = 1;
/**
 * Value type of a 32-bit access.
 *
 * @example
 * ```ts
 * declare const info: MemInfo;
 * let count32 = 0;
 * if (qemu_plugin_mem_get_value(info).type === QEMU_PLUGIN_MEM_VALUE_U32) count32++;
 * ```
 * @qemuPluginApi
 */
export const QEMU_PLUGIN_MEM_VALUE_U32 = 2;
/**
 * Value type of a 64-bit access.
 *
 * @example
 * ```ts
 * declare const info: MemInfo;
 * let count64 = 0;
 * if (qemu_plugin_mem_get_value(info).type === QEMU_PLUGIN_MEM_VALUE_U64) count64++;
 * ```
 * @qemuPluginApi
 */
export const QEMU_PLUGIN_MEM_VALUE_U64 = 3;
/**
 * Value type of a 128-bit access (none on RV64GC).
 *
 * @example
 * ```ts
 * declare const info: MemInfo;
 * let count128 = 0;
 * if (qemu_plugin_mem_get_value(info).type === QEMU_PLUGIN_MEM_VALUE_U128) count128++;
 * ```
 * @qemuPluginApi
 */
export const QEMU_PLUGIN_MEM_VALUE_U128 = 4;

/**
 * Inline operation: add an immediate to a scoreboard counter.
 *
 * @example
 * ```ts
 * declare const tb: Tb, count: PluginU64;
 * qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(tb, QEMU_PLUGIN_INLINE_ADD_U64, count, 1n);
 * ```
 * @qemuPluginApi
 */
export const QEMU_PLUGIN_INLINE_ADD_U64 = 0;
/**
 * Inline operation: store an immediate into a scoreboard counter.
 *
 * @example
 * ```ts
 * declare const insn: Insn, lastPc: PluginU64, pc: number;
 * qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(insn, QEMU_PLUGIN_INLINE_STORE_U64, lastPc, BigInt(pc));
 * ```
 * @qemuPluginApi
 */
export const QEMU_PLUGIN_INLINE_STORE_U64 = 1;

/**
 * Condition: never (the callback is not installed).
 *
 * @example
 * ```ts
 * declare const tb: Tb, cb: VcpuUdataCb, e: PluginU64;
 * qemu_plugin_register_vcpu_tb_exec_cond_cb(tb, cb, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_COND_NEVER, e, 0n, null);
 * ```
 * @qemuPluginApi
 */
export const QEMU_PLUGIN_COND_NEVER = 0;
/**
 * Condition: always (a plain callback).
 *
 * @example
 * ```ts
 * declare const tb: Tb, cb: VcpuUdataCb, e: PluginU64;
 * qemu_plugin_register_vcpu_tb_exec_cond_cb(tb, cb, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_COND_ALWAYS, e, 0n, null);
 * ```
 * @qemuPluginApi
 */
export const QEMU_PLUGIN_COND_ALWAYS = 1;
/**
 * Condition: the counter equals the immediate.
 *
 * @example
 * ```ts
 * declare const tb: Tb, cb: VcpuUdataCb, e: PluginU64;
 * qemu_plugin_register_vcpu_tb_exec_cond_cb(tb, cb, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_COND_EQ, e, 100n, null);
 * ```
 * @qemuPluginApi
 */
export const QEMU_PLUGIN_COND_EQ = 2;
/**
 * Condition: the counter differs from the immediate.
 *
 * @example
 * ```ts
 * declare const tb: Tb, cb: VcpuUdataCb, e: PluginU64;
 * qemu_plugin_register_vcpu_tb_exec_cond_cb(tb, cb, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_COND_NE, e, 0n, null);
 * ```
 * @qemuPluginApi
 */
export const QEMU_PLUGIN_COND_NE = 3;
/**
 * Condition: the counter is below the immediate (unsigned).
 *
 * @example
 * ```ts
 * declare const tb: Tb, cb: VcpuUdataCb, e: PluginU64;
 * qemu_plugin_register_vcpu_tb_exec_cond_cb(tb, cb, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_COND_LT, e, 10n, null);
 * ```
 * @qemuPluginApi
 */
export const QEMU_PLUGIN_COND_LT = 4;
/**
 * Condition: the counter is at most the immediate (unsigned).
 *
 * @example
 * ```ts
 * declare const tb: Tb, cb: VcpuUdataCb, e: PluginU64;
 * qemu_plugin_register_vcpu_tb_exec_cond_cb(tb, cb, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_COND_LE, e, 10n, null);
 * ```
 * @qemuPluginApi
 */
export const QEMU_PLUGIN_COND_LE = 5;
/**
 * Condition: the counter is above the immediate (unsigned).
 *
 * @example
 * ```ts
 * declare const tb: Tb, cb: VcpuUdataCb, e: PluginU64;
 * qemu_plugin_register_vcpu_tb_exec_cond_cb(tb, cb, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_COND_GT, e, 10n, null);
 * ```
 * @qemuPluginApi
 */
export const QEMU_PLUGIN_COND_GT = 6;
/**
 * Condition: the counter is at least the immediate (unsigned).
 *
 * @example
 * ```ts
 * declare const tb: Tb, cb: VcpuUdataCb, e: PluginU64;
 * qemu_plugin_register_vcpu_tb_exec_cond_cb(tb, cb, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_COND_GE, e, 10n, null);
 * ```
 * @qemuPluginApi
 */
export const QEMU_PLUGIN_COND_GE = 7;

/**
 * Discontinuity: an asynchronous interrupt (none in user mode).
 *
 * @example
 * ```ts
 * declare const id: PluginId, onDiscon: DisconCb;
 * qemu_plugin_register_vcpu_discon_cb(id, QEMU_PLUGIN_DISCON_INTERRUPT, onDiscon);
 * ```
 * @qemuPluginApi
 */
export const QEMU_PLUGIN_DISCON_INTERRUPT = 1;
/**
 * Discontinuity: an exception raised by an instruction.
 *
 * @example
 * ```ts
 * declare const id: PluginId, onDiscon: DisconCb;
 * qemu_plugin_register_vcpu_discon_cb(id, QEMU_PLUGIN_DISCON_EXCEPTION, onDiscon);
 * ```
 * @qemuPluginApi
 */
export const QEMU_PLUGIN_DISCON_EXCEPTION = 2;
/**
 * Discontinuity: a host call (a system call, `ecall`).
 *
 * @example
 * ```ts
 * declare const id: PluginId, onDiscon: DisconCb;
 * qemu_plugin_register_vcpu_discon_cb(id, QEMU_PLUGIN_DISCON_HOSTCALL, onDiscon);
 * ```
 * @qemuPluginApi
 */
export const QEMU_PLUGIN_DISCON_HOSTCALL = 4;
/**
 * Discontinuity: every kind.
 *
 * @example
 * ```ts
 * declare const id: PluginId, onDiscon: DisconCb;
 * qemu_plugin_register_vcpu_discon_cb(id, QEMU_PLUGIN_DISCON_ALL, onDiscon);
 * ```
 * @qemuPluginApi
 */
export const QEMU_PLUGIN_DISCON_ALL: number = -1;

// ---------------------------------------------------------------- argument checks

function liveTb(tb: unknown, fn: string): TbImpl {
  if (!(tb instanceof TbImpl)) throw new PluginApiError(`${fn}: not a tb handle (${describe(tb)})`);
  if (!instance.inTrans || tb.gen !== instance.transGen) {
    throw new PluginApiError(`${fn}: tb handle used outside its translation callback`);
  }
  return tb;
}

function liveInsn(insn: unknown, fn: string): InsnImpl {
  if (!(insn instanceof InsnImpl)) throw new PluginApiError(`${fn}: not an insn handle (${describe(insn)})`);
  if (!instance.inTrans || insn.gen !== instance.transGen) {
    throw new PluginApiError(`${fn}: insn handle used outside its translation callback`);
  }
  return insn;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "object") return (v as object).constructor?.name ?? "object";
  return `${typeof v} ${String(v)}`;
}

function flagAccess(flags: unknown, fn: string): number {
  if (flags === QEMU_PLUGIN_CB_NO_REGS) return ACCESS.NONE;
  if (flags === QEMU_PLUGIN_CB_R_REGS) return ACCESS.READ;
  if (flags === QEMU_PLUGIN_CB_RW_REGS || flags === QEMU_PLUGIN_CB_RW_REGS_PC) return ACCESS.WRITE;
  throw new PluginApiError(`${fn}: invalid callback flags ${String(flags)}`);
}

function memRw(rw: unknown, fn: string): number {
  if (rw === 1 || rw === 2 || rw === 3) return rw;
  throw new PluginApiError(`${fn}: invalid memory filter ${String(rw)}`);
}

function u64Words(v: unknown, fn: string): [number, number] {
  let b: bigint;
  if (typeof v === "bigint") b = v;
  else if (typeof v === "number" && Number.isSafeInteger(v)) b = BigInt(v);
  else throw new PluginApiError(`${fn}: ${describe(v)} is not a 64-bit integer`);
  b = BigInt.asUintN(64, b);
  return [Number(BigInt.asIntN(32, b)), Number(BigInt.asIntN(32, b >> 32n))];
}

/**
 * Registers an execution callback at `where` (-1: the block, else the
 * instruction's index), checking its flags and condition: streamed, conditional or synchronous.
 */
function registerExec(
  where: number,
  block: number,
  cb: AnyFn,
  flags: unknown,
  userdata: unknown,
  cond: number | undefined,
  entry: unknown,
  imm: unknown,
  fn: string,
): void {
  const regs = flagAccess(flags, fn);
  // As QEMU: a NEVER callback is checked, then dropped; an ALWAYS one is unconditional.
  if (cond === 0) return;
  const condArgs = cond !== undefined && cond !== 1 ? [cond, ...entryRef(entry, fn), ...u64Words(imm, fn)] : undefined;
  addExecSlot(where, block, cb, userdata, regs, condArgs);
}

function entryRef(entry: unknown, fn: string): [number, number] {
  if (!(entry instanceof U64Impl)) throw new PluginApiError(`${fn}: not a qemu_plugin_u64 entry (${describe(entry)})`);
  const b = liveBoard(entry.score, fn);
  return [(b.offset + entry.offset) >> 2, b.size >> 2];
}

function inlineOp(op: unknown, fn: string): number {
  if (op === QEMU_PLUGIN_INLINE_ADD_U64 || op === QEMU_PLUGIN_INLINE_STORE_U64) return op;
  throw new PluginApiError(`${fn}: invalid inline operation ${String(op)}`);
}

function condOf(cond: unknown, fn: string): number {
  if (typeof cond === "number" && Number.isInteger(cond) && cond >= 0 && cond <= 7) return cond;
  throw new PluginApiError(`${fn}: invalid condition ${String(cond)}`);
}

// ---------------------------------------------------------------- lifecycle

/**
 * Uninstalls the plugin. Asynchronous: callbacks may still run until `cb`
 * is called; after it, none ever runs again. Calling it from
 * `qemu_plugin_install` is an error.
 *
 * @example
 * ```ts
 * declare const id: PluginId;
 * qemu_plugin_uninstall(id, () => qemu_plugin_outs("bye\n"));
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_uninstall(id: PluginId, cb: UdataCb, userdata?: unknown): void {
  checkId(id, "qemu_plugin_uninstall");
  checkFn(cb, "qemu_plugin_uninstall");
  lifecycle(true, cb, userdata, "qemu_plugin_uninstall");
}

/**
 * Resets the plugin: unregisters all its callbacks, then calls `cb`, from
 * which the plugin may register new ones. Asynchronous, like
 * {@link qemu_plugin_uninstall}.
 *
 * @example
 * ```ts
 * declare const id: PluginId, report: UdataCb;
 * qemu_plugin_reset(id, (id) => qemu_plugin_register_atexit_cb(id, report, null));
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_reset(id: PluginId, cb: UdataCb, userdata?: unknown): void {
  checkId(id, "qemu_plugin_reset");
  checkFn(cb, "qemu_plugin_reset");
  lifecycle(false, cb, userdata, "qemu_plugin_reset");
}

function lifecycle(uninstall: boolean, cb: AnyFn, ud: unknown, fn: string): void {
  if (instance.installing) throw new PluginApiError(`${fn}: called from qemu_plugin_install`);
  // Already on its way, or a reset asked for by the reset's own completion callback: QEMU ignores those too (its
  // plugin_reset_uninstall, while `resetting`); an uninstall from there goes ahead.
  if (instance.pending || (!uninstall && instance.completingReset)) return;
  instance.pending = { uninstall, cb, ud };
  for (const key of Object.keys(CB)) (CB as Record<string, unknown[]>)[key] = [];
  publishEvents();
  // Translations made so far carry this plugin's callbacks: they are dropped.
  instance.validFrom = instance.blocks.length;
  Atomics.or(instance.ci, CTL.ATTENTION, uninstall ? ATTN.UNINSTALL : ATTN.RESET);
}

// ---------------------------------------------------------------- event registration

function addCb<T extends unknown[]>(list: T[], entry: T): void {
  // Copy on write: a list being walked keeps its old snapshot.
  const key = Object.entries(CB).find(([, v]) => (v as unknown) === list)?.[0] as keyof typeof CB;
  (CB as Record<string, unknown[]>)[key] = [...list, entry];
  publishEvents();
}

function eventCb(
  fn: string,
  id: unknown,
  cb: unknown,
  list: keyof typeof CB,
  userdata: unknown,
): void {
  checkId(id, fn);
  checkFn(cb, fn);
  if (instance.pending) return;
  addCb(CB[list] as [AnyFn, unknown][], [cb, userdata]);
}

/**
 * Registers a callback for every vCPU initialization (the first thread at
 * start, each new guest thread later).
 *
 * @example
 * ```ts
 * declare const id: PluginId;
 * qemu_plugin_register_vcpu_init_cb(id, (id, vcpu) => qemu_plugin_outs(`vcpu ${vcpu} up\n`));
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_register_vcpu_init_cb(id: PluginId, cb: VcpuSimpleCb, userdata?: unknown): void {
  eventCb("qemu_plugin_register_vcpu_init_cb", id, cb, "vcpuInit", userdata);
}

/**
 * Registers a callback for every vCPU exit (a guest thread ends, or the process).
 *
 * @example
 * ```ts
 * declare const id: PluginId;
 * qemu_plugin_register_vcpu_exit_cb(id, (id, vcpu) => qemu_plugin_outs(`vcpu ${vcpu} down\n`));
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_register_vcpu_exit_cb(id: PluginId, cb: VcpuSimpleCb, userdata?: unknown): void {
  eventCb("qemu_plugin_register_vcpu_exit_cb", id, cb, "vcpuExit", userdata);
}

/**
 * Registers a callback for a vCPU going idle. In user mode, as in QEMU's
 * user mode, vCPUs never idle: the callback is accepted and never called.
 *
 * @example
 * ```ts
 * declare const id: PluginId;
 * qemu_plugin_register_vcpu_idle_cb(id, (id, vcpu) => {});
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_register_vcpu_idle_cb(id: PluginId, cb: VcpuSimpleCb, userdata?: unknown): void {
  eventCb("qemu_plugin_register_vcpu_idle_cb", id, cb, "vcpuIdle", userdata);
}

/**
 * Registers a callback for a vCPU resuming from idle (never in user mode).
 *
 * @example
 * ```ts
 * declare const id: PluginId;
 * qemu_plugin_register_vcpu_resume_cb(id, (id, vcpu) => {});
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_register_vcpu_resume_cb(id: PluginId, cb: VcpuSimpleCb, userdata?: unknown): void {
  eventCb("qemu_plugin_register_vcpu_resume_cb", id, cb, "vcpuResume", userdata);
}

/**
 * Registers a callback for control-flow discontinuities of the given types
 * (`QEMU_PLUGIN_DISCON_*`): host calls (system calls) and exceptions.
 *
 * @example
 * ```ts
 * declare const id: PluginId;
 * qemu_plugin_register_vcpu_discon_cb(id, QEMU_PLUGIN_DISCON_ALL, (id, vcpu, type, from, to) => {});
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_register_vcpu_discon_cb(
  id: PluginId,
  type: number,
  cb: DisconCb,
  userdata?: unknown,
): void {
  checkId(id, "qemu_plugin_register_vcpu_discon_cb");
  checkFn(cb, "qemu_plugin_register_vcpu_discon_cb");
  if (typeof type !== "number" || !Number.isInteger(type)) {
    throw new PluginApiError(`qemu_plugin_register_vcpu_discon_cb: invalid type ${String(type)}`);
  }
  if (instance.pending) return;
  addCb(CB.discon, [cb, userdata, type & 7]);
}

/**
 * Registers a callback for every translation: it receives the block's
 * handle, queries it and registers execution callbacks and inline
 * operations on the block and its instructions.
 *
 * @example
 * ```ts
 * declare const id: PluginId, onExec: VcpuUdataCb;
 * qemu_plugin_register_vcpu_tb_trans_cb(id, (id, tb) => {
 *   qemu_plugin_register_vcpu_tb_exec_cb(tb, onExec, QEMU_PLUGIN_CB_NO_REGS, null);
 * });
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_register_vcpu_tb_trans_cb(id: PluginId, cb: TbTransCb, userdata?: unknown): void {
  eventCb("qemu_plugin_register_vcpu_tb_trans_cb", id, cb, "tbTrans", userdata);
}

/**
 * Registers a callback run every time the block executes. With
 * `QEMU_PLUGIN_CB_NO_REGS` it is streamed and runs in parallel with the
 * guest; with `R_REGS`/`RW_REGS` the vCPU waits for it.
 *
 * @example
 * ```ts
 * declare const tb: Tb;
 * let count = 0;
 * qemu_plugin_register_vcpu_tb_exec_cb(tb, (vcpu, ud) => count++, QEMU_PLUGIN_CB_NO_REGS, null);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_register_vcpu_tb_exec_cb(
  tb: Tb,
  cb: VcpuUdataCb,
  flags: number,
  userdata: unknown,
): void {
  const fn = "qemu_plugin_register_vcpu_tb_exec_cb";
  const t = liveTb(tb, fn);
  checkFn(cb, fn);
  registerExec(-1, t.block, cb, flags, userdata, undefined, undefined, undefined, fn);
}

/**
 * Registers a block execution callback run only when `entry cond imm`
 * holds for the executing vCPU; the condition is evaluated inline.
 *
 * @example
 * ```ts
 * declare const tb: Tb, every100: VcpuUdataCb, n: PluginU64;
 * qemu_plugin_register_vcpu_tb_exec_cond_cb(tb, every100, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_COND_EQ, n, 100n, null);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_register_vcpu_tb_exec_cond_cb(
  tb: Tb,
  cb: VcpuUdataCb,
  flags: number,
  cond: number,
  entry: PluginU64,
  imm: bigint | number,
  userdata: unknown,
): void {
  const fn = "qemu_plugin_register_vcpu_tb_exec_cond_cb";
  const t = liveTb(tb, fn);
  checkFn(cb, fn);
  registerExec(-1, t.block, cb, flags, userdata, condOf(cond, fn), entry, imm, fn);
}

/**
 * Adds an inline operation on a scoreboard counter every time the block
 * executes: it is compiled into the translated code.
 *
 * @example
 * ```ts
 * declare const tb: Tb, insns: PluginU64, n: number;
 * qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(tb, QEMU_PLUGIN_INLINE_ADD_U64, insns, BigInt(n));
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(
  tb: Tb,
  op: number,
  entry: PluginU64,
  imm: bigint | number,
): void {
  const fn = "qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu";
  liveTb(tb, fn);
  pushAct(ACT.INLINE, -1, inlineOp(op, fn), ...entryRef(entry, fn), ...u64Words(imm, fn));
}

/**
 * Registers a callback run every time the instruction executes, before it.
 *
 * @example
 * ```ts
 * declare const insn: Insn;
 * let count = 0;
 * qemu_plugin_register_vcpu_insn_exec_cb(insn, (vcpu, ud) => count++, QEMU_PLUGIN_CB_NO_REGS, null);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_register_vcpu_insn_exec_cb(
  insn: Insn,
  cb: VcpuUdataCb,
  flags: number,
  userdata: unknown,
): void {
  const fn = "qemu_plugin_register_vcpu_insn_exec_cb";
  const i = liveInsn(insn, fn);
  checkFn(cb, fn);
  registerExec(i.index, i.block, cb, flags, userdata, undefined, undefined, undefined, fn);
}

/**
 * Registers an instruction execution callback run only when `entry cond imm` holds.
 *
 * @example
 * ```ts
 * declare const insn: Insn, cb: VcpuUdataCb, n: PluginU64;
 * qemu_plugin_register_vcpu_insn_exec_cond_cb(insn, cb, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_COND_GE, n, 5n, null);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_register_vcpu_insn_exec_cond_cb(
  insn: Insn,
  cb: VcpuUdataCb,
  flags: number,
  cond: number,
  entry: PluginU64,
  imm: bigint | number,
  userdata: unknown,
): void {
  const fn = "qemu_plugin_register_vcpu_insn_exec_cond_cb";
  const i = liveInsn(insn, fn);
  checkFn(cb, fn);
  registerExec(i.index, i.block, cb, flags, userdata, condOf(cond, fn), entry, imm, fn);
}

/**
 * Adds an inline operation on a scoreboard counter every time the instruction executes.
 *
 * @example
 * ```ts
 * declare const insn: Insn, insns: PluginU64;
 * qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(insn, QEMU_PLUGIN_INLINE_ADD_U64, insns, 1n);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(
  insn: Insn,
  op: number,
  entry: PluginU64,
  imm: bigint | number,
): void {
  const fn = "qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu";
  const i = liveInsn(insn, fn);
  pushAct(ACT.INLINE, i.index, inlineOp(op, fn), ...entryRef(entry, fn), ...u64Words(imm, fn));
}

/**
 * Registers a callback after every memory access of the instruction that
 * matches `rw` (atomics report a load then a store). With `NO_REGS` it is
 * streamed: it sees the access (address, info, value), not live state.
 *
 * @example
 * ```ts
 * declare const insn: Insn;
 * qemu_plugin_register_vcpu_mem_cb(insn, (vcpu, info, vaddr, ud) => {}, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, null);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_register_vcpu_mem_cb(
  insn: Insn,
  cb: MemCb,
  flags: number,
  rw: number,
  userdata: unknown,
): void {
  const fn = "qemu_plugin_register_vcpu_mem_cb";
  const i = liveInsn(insn, fn);
  checkFn(cb, fn);
  const regs = flagAccess(flags, fn), filter = memRw(rw, fn);
  const slot: MemSlot = { block: i.block, insn: i.index, fn: cb, ud: userdata, regs, replay: undefined, upTo: 0 };
  translationMemSlots.push(slot);
  if (regs === ACCESS.NONE) {
    pushAct(ACT.MEM_RECORD, i.index, filter, instance.memSlots.length);
    instance.memSlots.push(slot);
  } else {
    pushAct(ACT.MEM_SYNC, i.index, filter, instance.syncSlots.length, regs === ACCESS.WRITE ? 1 : 0);
    instance.syncSlots.push({ block: i.block, slot: -1, mem: slot });
  }
}

/**
 * Adds an inline operation on a scoreboard counter after every matching memory access of the instruction.
 *
 * @example
 * ```ts
 * declare const insn: Insn, loads: PluginU64;
 * qemu_plugin_register_vcpu_mem_inline_per_vcpu(insn, QEMU_PLUGIN_MEM_R, QEMU_PLUGIN_INLINE_ADD_U64, loads, 1n);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_register_vcpu_mem_inline_per_vcpu(
  insn: Insn,
  rw: number,
  op: number,
  entry: PluginU64,
  imm: bigint | number,
): void {
  const fn = "qemu_plugin_register_vcpu_mem_inline_per_vcpu";
  const i = liveInsn(insn, fn);
  pushAct(ACT.MEM_INLINE, i.index, memRw(rw, fn), inlineOp(op, fn), ...entryRef(entry, fn), ...u64Words(imm, fn));
}

/**
 * Registers a callback before every system call, with its number and eight arguments.
 *
 * @example
 * ```ts
 * declare const id: PluginId;
 * qemu_plugin_register_vcpu_syscall_cb(id, (id, vcpu, num, a1) => qemu_plugin_outs(`syscall ${num}\n`));
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_register_vcpu_syscall_cb(id: PluginId, cb: SyscallCb, userdata?: unknown): void {
  eventCb("qemu_plugin_register_vcpu_syscall_cb", id, cb, "syscall", userdata);
}

/**
 * Registers a callback after every system call, with its number and result.
 *
 * @example
 * ```ts
 * declare const id: PluginId;
 * qemu_plugin_register_vcpu_syscall_ret_cb(id, (id, vcpu, num, ret) => {});
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_register_vcpu_syscall_ret_cb(id: PluginId, cb: SyscallRetCb, userdata?: unknown): void {
  eventCb("qemu_plugin_register_vcpu_syscall_ret_cb", id, cb, "syscallRet", userdata);
}

/**
 * Registers a filter run before every system call: returning a bigint
 * skips the call and makes that its result. Needs `-plugin-allow
 * guest=write`, as it changes what the guest does.
 *
 * @example
 * ```ts
 * declare const id: PluginId;
 * qemu_plugin_register_vcpu_syscall_filter_cb(id, (id, vcpu, num) => (num === 172n ? 4242n : undefined));
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_register_vcpu_syscall_filter_cb(
  id: PluginId,
  cb: SyscallFilterCb,
  userdata?: unknown,
): void {
  if (!instance.guestWrite) throw notGranted("qemu_plugin_register_vcpu_syscall_filter_cb");
  eventCb("qemu_plugin_register_vcpu_syscall_filter_cb", id, cb, "syscallFilter", userdata);
}

/**
 * Registers a callback for every flush of the translated code (the plugin
 * may drop per-block data then).
 *
 * @example
 * ```ts
 * declare const id: PluginId, perBlock: Map<number, number>;
 * qemu_plugin_register_flush_cb(id, () => perBlock.clear());
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_register_flush_cb(id: PluginId, cb: UdataCb, userdata?: unknown): void {
  eventCb("qemu_plugin_register_flush_cb", id, cb, "flush", userdata);
}

/**
 * Registers a callback run once when the guest exits, after every streamed
 * event was delivered: the place to print results.
 *
 * @example
 * ```ts
 * declare const id: PluginId, total: bigint;
 * qemu_plugin_register_atexit_cb(id, () => qemu_plugin_outs(`total ${total}\n`), null);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_register_atexit_cb(id: PluginId, cb: UdataCb, userdata: unknown): void {
  eventCb("qemu_plugin_register_atexit_cb", id, cb, "atexit", userdata);
}

/**
 * Calls `cb` once for each vCPU that exists now.
 *
 * @example
 * ```ts
 * declare const id: PluginId;
 * qemu_plugin_vcpu_for_each(id, (id, vcpu) => qemu_plugin_outs(`vcpu ${vcpu}\n`));
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_vcpu_for_each(id: PluginId, cb: VcpuSimpleCb, userdata?: unknown): void {
  checkId(id, "qemu_plugin_vcpu_for_each");
  checkFn(cb, "qemu_plugin_vcpu_for_each");
  const n = Atomics.load(instance.ci, CTL.NUM_VCPUS);
  for (let v = 0; v < n; v++) userdata === undefined ? cb(id, v) : cb(id, v, userdata);
}

/**
 * The number of vCPUs created so far (guest threads included).
 *
 * @example
 * ```ts
 * const n = qemu_plugin_num_vcpus();
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_num_vcpus(): number {
  return Atomics.load(instance.ci, CTL.NUM_VCPUS);
}

// ---------------------------------------------------------------- translation queries

/**
 * The number of instructions in the block.
 *
 * @example
 * ```ts
 * declare const tb: Tb;
 * const n = qemu_plugin_tb_n_insns(tb);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_tb_n_insns(tb: Tb): number {
  return liveTb(tb, "qemu_plugin_tb_n_insns").insns.length;
}

/**
 * The guest address of the block's first instruction.
 *
 * @example
 * ```ts
 * declare const tb: Tb;
 * const pc = qemu_plugin_tb_vaddr(tb);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_tb_vaddr(tb: Tb): number {
  return liveTb(tb, "qemu_plugin_tb_vaddr").vaddr;
}

/**
 * The handle of instruction `idx` (0-based) of the block, valid during the translation callback.
 *
 * @example
 * ```ts
 * declare const tb: Tb;
 * const insn = qemu_plugin_tb_get_insn(tb, 0);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_tb_get_insn(tb: Tb, idx: number): Insn {
  const t = liveTb(tb, "qemu_plugin_tb_get_insn");
  const insn = t.insns[idx];
  if (!Number.isInteger(idx) || !insn) {
    throw new PluginApiError(`qemu_plugin_tb_get_insn: index ${idx} out of range (block of ${t.insns.length})`);
  }
  return insn;
}

/**
 * Copies the instruction's bytes into `dest` (at most `len` bytes) and
 * returns the number copied. Without `dest` (API version 2 and older),
 * returns the bytes.
 *
 * @example
 * ```ts
 * declare const insn: Insn;
 * const bytes = new Uint8Array(4);
 * const n = qemu_plugin_insn_data(insn, bytes, 4);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_insn_data(insn: Insn, dest?: Uint8Array, len?: number): number | Uint8Array {
  const i = liveInsn(insn, "qemu_plugin_insn_data");
  const bytes = new Uint8Array(i.size);
  for (let b = 0; b < i.size; b++) bytes[b] = (i.raw >>> (8 * b)) & 0xff;
  if (dest === undefined) return bytes;
  if (!(dest instanceof Uint8Array)) throw new PluginApiError(`qemu_plugin_insn_data: dest is not a Uint8Array`);
  const n = Math.min(len ?? dest.length, dest.length, i.size);
  dest.set(bytes.subarray(0, n));
  return n;
}

/**
 * The instruction's size in bytes (2 for compressed instructions, else 4).
 *
 * @example
 * ```ts
 * declare const insn: Insn;
 * const size = qemu_plugin_insn_size(insn);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_insn_size(insn: Insn): number {
  return liveInsn(insn, "qemu_plugin_insn_size").size;
}

/**
 * The instruction's guest address.
 *
 * @example
 * ```ts
 * declare const insn: Insn;
 * const pc = qemu_plugin_insn_vaddr(insn);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_insn_vaddr(insn: Insn): number {
  return liveInsn(insn, "qemu_plugin_insn_vaddr").vaddr;
}

/**
 * The instruction's "host" address. Guest memory is one flat buffer in
 * plume, so this is the guest address (as in QEMU's user mode, where it is
 * the guest address plus a constant).
 *
 * @example
 * ```ts
 * declare const insn: Insn;
 * const haddr = qemu_plugin_insn_haddr(insn);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_insn_haddr(insn: Insn): number {
  return liveInsn(insn, "qemu_plugin_insn_haddr").vaddr;
}

/**
 * The instruction's disassembly, in objdump syntax.
 *
 * @example
 * ```ts
 * declare const insn: Insn;
 * qemu_plugin_outs(qemu_plugin_insn_disas(insn) + "\n");
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_insn_disas(insn: Insn): string {
  const i = liveInsn(insn, "qemu_plugin_insn_disas");
  if (!translation.disas) {
    request(REQ.DISAS, []);
    translation.disas = getString(instance.ctl, CTL.ARGS + 1)[0].split("\n");
  }
  return translation.disas[i.index] ?? "";
}

/**
 * The name of the function containing the instruction, from the program's
 * symbol table, or null when unknown.
 *
 * @example
 * ```ts
 * declare const insn: Insn;
 * const fn = qemu_plugin_insn_symbol(insn) ?? "?";
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_insn_symbol(insn: Insn): string | null {
  const i = liveInsn(insn, "qemu_plugin_insn_symbol");
  if (!translation.symbols) {
    request(REQ.SYMBOL, []);
    translation.symbols = getString(instance.ctl, CTL.ARGS + 1)[0].split("\n");
  }
  return translation.symbols[i.index] || null;
}

// ---------------------------------------------------------------- memory access info

/**
 * The access size as a power of two (0 byte, 1 half, 2 word, 3 doubleword).
 *
 * @example
 * ```ts
 * declare const info: MemInfo;
 * const bytes = 1 << qemu_plugin_mem_size_shift(info);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_mem_size_shift(info: MemInfo): number {
  return info & 0xf;
}

/**
 * True when the load was sign-extended.
 *
 * @example
 * ```ts
 * declare const info: MemInfo;
 * const signed = qemu_plugin_mem_is_sign_extended(info);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_mem_is_sign_extended(info: MemInfo): boolean {
  return (info & (1 << 4)) !== 0;
}

/**
 * True for a big-endian access (never on RISC-V).
 *
 * @example
 * ```ts
 * declare const info: MemInfo;
 * const be = qemu_plugin_mem_is_big_endian(info);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_mem_is_big_endian(info: MemInfo): boolean {
  return (info & (1 << 5)) !== 0;
}

/**
 * True for a store, false for a load.
 *
 * @example
 * ```ts
 * declare const info: MemInfo;
 * let stores = 0;
 * if (qemu_plugin_mem_is_store(info)) stores++;
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_mem_is_store(info: MemInfo): boolean {
  return (info & (1 << 16)) !== 0;
}

/**
 * The value the access loaded or stored; only in a memory callback, for its access.
 *
 * @example
 * ```ts
 * declare const info: MemInfo;
 * const v = qemu_plugin_mem_get_value(info).data.u64;
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_mem_get_value(info: MemInfo): MemValue {
  // Indexed, not destructured: destructuring would call the iterator methods a plugin can replace.
  const access = streamedValue() ?? MEMV, memLo = access[1], memHi = access[2];
  // Outside a memory callback MEMV's info is -1, which no access has.
  if (info !== access[0] || info < 0) {
    throw new PluginApiError("qemu_plugin_mem_get_value: called outside the memory callback");
  }
  const lo = BigInt(memLo >>> 0), hi = BigInt(memHi >>> 0);
  const shift = info & 0xf;
  const u64 = shift === 3 ? (hi << 32n) | lo : lo & ((1n << (8n << BigInt(shift))) - 1n);
  return {
    type: shift,
    data: {
      u8: memLo & 0xff,
      u16: memLo & 0xffff,
      u32: memLo >>> 0,
      u64,
      u128: { low: u64, high: 0n },
    },
  };
}

/**
 * The physical address handle of an access: always null in user mode.
 *
 * @example
 * ```ts
 * declare const info: MemInfo, vaddr: number;
 * const hw = qemu_plugin_get_hwaddr(info, vaddr); // null
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_get_hwaddr(_info: MemInfo, _vaddr: number): null {
  return null;
}

/**
 * Whether an access went to a device: always false in user mode, as
 * QEMU's answer there. Takes what {@link qemu_plugin_get_hwaddr} returned,
 * so a plugin written for both modes runs unchanged.
 *
 * @example
 * ```ts
 * declare const info: MemInfo, vaddr: number;
 * const io = qemu_plugin_hwaddr_is_io(qemu_plugin_get_hwaddr(info, vaddr)); // false
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_hwaddr_is_io(_haddr: null): boolean {
  return false;
}

/**
 * The physical address of an access: always 0 in user mode, as QEMU's
 * answer there.
 *
 * @example
 * ```ts
 * declare const info: MemInfo, vaddr: number;
 * const pa = qemu_plugin_hwaddr_phys_addr(qemu_plugin_get_hwaddr(info, vaddr)); // 0
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_hwaddr_phys_addr(_haddr: null): number {
  return 0;
}

/**
 * The name of the device an access went to: `"Invalid"` in user mode, as
 * QEMU's answer there.
 *
 * @example
 * ```ts
 * declare const info: MemInfo, vaddr: number;
 * const name = qemu_plugin_hwaddr_device_name(qemu_plugin_get_hwaddr(info, vaddr)); // "Invalid"
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_hwaddr_device_name(_haddr: null): string {
  return "Invalid";
}

// ---------------------------------------------------------------- scoreboards

function liveBoard(score: unknown, fn: string): { offset: number; size: number; freed: boolean } {
  if (!(score instanceof ScoreboardImpl)) throw new PluginApiError(`${fn}: not a scoreboard (${describe(score)})`);
  const b = instance.boards[score.board];
  if (!b || b.freed) throw new PluginApiError(`${fn}: scoreboard used after qemu_plugin_scoreboard_free`);
  return b;
}

function vcpuOf(vcpu: unknown, fn: string): number {
  if (typeof vcpu !== "number" || !Number.isInteger(vcpu) || vcpu < 0 || vcpu >= instance.capacity) {
    throw new PluginApiError(`${fn}: invalid vcpu index ${String(vcpu)}`);
  }
  return vcpu;
}

/**
 * Allocates a scoreboard: one zeroed entry of `element_size` bytes per
 * vCPU, growing with the vCPUs. Inline operations target its counters.
 *
 * @example
 * ```ts
 * const counts = qemu_plugin_scoreboard_new(8);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_scoreboard_new(element_size: number): Scoreboard {
  if (!Number.isInteger(element_size) || element_size <= 0 || element_size > 1 << 16) {
    throw new PluginApiError(`qemu_plugin_scoreboard_new: invalid element size ${element_size}`);
  }
  const size = (element_size + 7) & ~7;
  const need = size * instance.capacity;
  if (instance.arenaUsed + need > instance.arena.byteLength) {
    throw new PluginApiError(`qemu_plugin_scoreboard_new: scoreboard arena full (${instance.arena.byteLength} bytes)`);
  }
  instance.boards.push({ offset: instance.arenaUsed, size, freed: false });
  instance.arena.fill(0, instance.arenaUsed >> 2, (instance.arenaUsed + need) >> 2);
  instance.arenaUsed += need;
  return new ScoreboardImpl(instance.boards.length - 1);
}

/**
 * Frees a scoreboard; using it afterwards is an error.
 *
 * @example
 * ```ts
 * declare const counts: Scoreboard;
 * qemu_plugin_scoreboard_free(counts);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_scoreboard_free(score: Scoreboard): void {
  liveBoard(score, "qemu_plugin_scoreboard_free").freed = true;
}

/**
 * The entry of a vCPU, as a DataView over the shared arena (little-endian
 * fields). It moves when the scoreboard grows for new vCPUs: find it again
 * rather than keeping it.
 *
 * @example
 * ```ts
 * declare const counts: Scoreboard, vcpu_index: number;
 * const entry = qemu_plugin_scoreboard_find(counts, vcpu_index);
 * entry.setBigUint64(0, entry.getBigUint64(0, true) + 1n, true);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_scoreboard_find(score: Scoreboard, vcpu_index: number): DataView {
  const b = liveBoard(score, "qemu_plugin_scoreboard_find");
  const v = vcpuOf(vcpu_index, "qemu_plugin_scoreboard_find");
  return new DataView(instance.arena.buffer, b.offset + v * b.size, b.size);
}

/**
 * The 64-bit counter at the start of each entry of a scoreboard.
 *
 * @example
 * ```ts
 * const insns = qemu_plugin_scoreboard_u64(qemu_plugin_scoreboard_new(8));
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_scoreboard_u64(score: Scoreboard): PluginU64 {
  return qemu_plugin_scoreboard_u64_in_struct(score, 0);
}

/**
 * The 64-bit counter at byte `offset` of each entry of a scoreboard.
 *
 * @example
 * ```ts
 * declare const board: Scoreboard;
 * const loads = qemu_plugin_scoreboard_u64_in_struct(board, 8);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_scoreboard_u64_in_struct(score: Scoreboard, offset: number): PluginU64 {
  const b = liveBoard(score, "qemu_plugin_scoreboard_u64_in_struct");
  if (!Number.isInteger(offset) || offset < 0 || offset % 8 !== 0 || offset + 8 > b.size) {
    throw new PluginApiError(`qemu_plugin_scoreboard_u64_in_struct: invalid offset ${offset} (entry of ${b.size})`);
  }
  return new U64Impl(score as ScoreboardImpl, offset);
}

function u64Index(entry: unknown, vcpu: unknown, fn: string): number {
  if (!(entry instanceof U64Impl)) throw new PluginApiError(`${fn}: not a qemu_plugin_u64 entry (${describe(entry)})`);
  const b = instance.boards[entry.score.board];
  if (b.freed) throw new PluginApiError(`${fn}: scoreboard used after qemu_plugin_scoreboard_free`);
  if (typeof vcpu !== "number" || !(vcpu >= 0 && vcpu < instance.capacity) || (vcpu | 0) !== vcpu) vcpuOf(vcpu, fn);
  return (b.offset + entry.offset + (vcpu as number) * b.size) >> 2;
}

/**
 * Adds to a vCPU's counter (modulo 2^64). `added` may be a bigint or a safe non-negative integer number.
 *
 * @example
 * ```ts
 * declare const insns: PluginU64, vcpu_index: number;
 * qemu_plugin_u64_add(insns, vcpu_index, 1);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_u64_add(entry: PluginU64, vcpu_index: number, added: bigint | number): void {
  const i = u64Index(entry, vcpu_index, "qemu_plugin_u64_add");
  const a = instance.arena;
  if (typeof added === "number" && added >= 0 && added < 4294967296 && (added >>> 0) === added) {
    const lo = (a[i] >>> 0) + added;
    a[i] = lo | 0;
    if (lo > 0xffffffff) a[i + 1] = (a[i + 1] + 1) | 0;
    return;
  }
  const [vlo, vhi] = u64Words(added, "qemu_plugin_u64_add");
  const lo = (a[i] >>> 0) + (vlo >>> 0);
  a[i] = lo | 0;
  a[i + 1] = (a[i + 1] + vhi + (lo > 0xffffffff ? 1 : 0)) | 0;
}

/**
 * A vCPU's counter.
 *
 * @example
 * ```ts
 * declare const insns: PluginU64;
 * const n = qemu_plugin_u64_get(insns, 0);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_u64_get(entry: PluginU64, vcpu_index: number): bigint {
  const i = u64Index(entry, vcpu_index, "qemu_plugin_u64_get");
  return (BigInt(instance.arena[i + 1] >>> 0) << 32n) | BigInt(instance.arena[i] >>> 0);
}

/**
 * Sets a vCPU's counter.
 *
 * @example
 * ```ts
 * declare const insns: PluginU64, vcpu_index: number;
 * qemu_plugin_u64_set(insns, vcpu_index, 0n);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_u64_set(entry: PluginU64, vcpu_index: number, val: bigint | number): void {
  const i = u64Index(entry, vcpu_index, "qemu_plugin_u64_set");
  const [lo, hi] = u64Words(val, "qemu_plugin_u64_set");
  instance.arena[i] = lo;
  instance.arena[i + 1] = hi;
}

/**
 * The sum of a counter over all vCPUs (modulo 2^64).
 *
 * @example
 * ```ts
 * declare const insns: PluginU64;
 * qemu_plugin_outs(`insns: ${qemu_plugin_u64_sum(insns)}\n`);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_u64_sum(entry: PluginU64): bigint {
  let sum = 0n;
  const n = Math.max(1, Atomics.load(instance.ci, CTL.NUM_VCPUS));
  for (let v = 0; v < n && v < instance.capacity; v++) sum += qemu_plugin_u64_get(entry, v);
  return BigInt.asUintN(64, sum);
}

// ---------------------------------------------------------------- guest state (synchronous callbacks)

const REGISTER_NAMES: readonly string[] = [
  ..."zero ra sp gp tp t0 t1 t2 fp s1 a0 a1 a2 a3 a4 a5 a6 a7 s2 s3 s4 s5 s6 s7 s8 s9 s10 s11 t3 t4 t5 t6".split(" "),
  "pc",
  ..."ft0 ft1 ft2 ft3 ft4 ft5 ft6 ft7 fs0 fs1 fa0 fa1 fa2 fa3 fa4 fa5 fa6 fa7 fs2 fs3 fs4 fs5 fs6 fs7 fs8 fs9 fs10 fs11 ft8 ft9 ft10 ft11"
    .split(" "),
  "fflags",
  "frm",
  "fcsr",
  // With V only (numbered from REG.V0): v0–v31, then the vector CSRs from REG.VCSR0.
  ...Array.from({ length: 32 }, (_, i) => `v${i}`),
  ...VECTOR_CSR_NAMES,
];

const registers = REGISTER_NAMES.map((_, i) => new RegisterImpl(i));

/** The GDB feature of register `reg`, as QEMU 10's gdbstub groups them. */
function featureOf(reg: number): string {
  if (reg <= REG.PC) return "org.gnu.gdb.riscv.cpu";
  if (reg < REG.V0) return "org.gnu.gdb.riscv.fpu";
  return reg < REG.VCSR0 ? "org.gnu.gdb.riscv.vector" : "org.gnu.gdb.riscv.csr";
}

/** Whether the run has V (the emulator says so in the snapshot's VLENB word before installing the plugin). */
function hasVector(): boolean {
  return Atomics.load(instance.regs, REGS.VLENB) !== 0;
}

/** What a plugin gets when it changes the guest without the grant. */
function notGranted(fn: string): PluginApiError {
  return new PluginApiError(
    `${fn}: changing the guest needs -plugin-allow guest=write (the guest acts with your permissions)`,
  );
}

function needAccess(level: number, fn: string): void {
  if (level === ACCESS.WRITE && !instance.guestWrite) throw notGranted(fn);
  if (instance.access < level) {
    throw new PluginApiError(
      level === ACCESS.READ
        ? `${fn}: guest state is not readable here (a NO_REGS, flush or atexit callback)`
        : `${fn}: guest state is not writable here (register the callback with QEMU_PLUGIN_CB_RW_REGS)`,
    );
  }
}

/**
 * The guest's registers (GDB names): x0–x31, pc, f0–f31, fflags, frm, fcsr;
 * in a run with V also v0–v31 (feature `org.gnu.gdb.riscv.vector`, VLENB
 * bytes each) and the vector CSRs vstart, vxsat, vxrm, vcsr, vl, vtype and
 * vlenb (`org.gnu.gdb.riscv.csr`, 8 bytes each), as QEMU 10's gdbstub
 * names and sizes them.
 *
 * @example
 * ```ts
 * const a0 = qemu_plugin_get_registers().find((r) => r.name === "a0")!.handle;
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_get_registers(): RegisterDescriptor[] {
  const count = hasVector() ? registers.length : REG.V0;
  return registers.slice(0, count).map((handle, i) => ({ handle, name: REGISTER_NAMES[i], feature: featureOf(i) }));
}

function regOf(handle: unknown, fn: string): number {
  if (!(handle instanceof RegisterImpl)) throw new PluginApiError(`${fn}: not a register handle (${describe(handle)})`);
  return handle.reg;
}

/**
 * Reads a register of the vCPU running the callback, as little-endian
 * bytes (8 for integer, pc and FP registers and the vector CSRs, 4 for
 * fflags, frm, fcsr, VLENB (16) for a vector register).
 * Only in synchronous callbacks (`R_REGS`/`RW_REGS` execution callbacks,
 * vCPU, syscall and discontinuity callbacks).
 *
 * @example
 * ```ts
 * declare const a0: RegisterHandle;
 * const bytes = qemu_plugin_read_register(a0);
 * const value = new DataView(bytes.buffer).getBigUint64(0, true);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_read_register(handle: RegisterHandle): Uint8Array {
  const reg = regOf(handle, "qemu_plugin_read_register");
  needAccess(ACCESS.READ, "qemu_plugin_read_register");
  const snapshot = instance.regs;
  if (Atomics.load(snapshot, REGS.VALID) === 1) return snapshotBytes(snapshot, reg);
  request(REQ.READ_REG, [reg]);
  return getBytes(instance.ctl, CTL.ARGS + 1);
}

/**
 * Register `reg` as the emulator's answer to a read would give it, from the
 * call's register snapshot. The bytes are written one by one into a new
 * array, made ahead for 8-byte registers (`spare_bytes.ts`: making one here
 * took most of the read's time).
 */
function snapshotBytes(r: Int32Array, reg: number): Uint8Array {
  const name = REGISTER_NAMES[reg];
  if (reg >= REG.V0 && reg < REG.VCSR0) return snapshotWords(r, REGS.V + 4 * (reg - REG.V0), 4);
  if (reg >= REG.VCSR0) return snapshotWords(r, REGS.VCSRS + 2 * (reg - REG.VCSR0), 2);
  if (name === "fflags" || name === "frm" || name === "fcsr") {
    return snapshotWords(r, name === "fflags" ? REGS.FFLAGS : name === "frm" ? REGS.FRM : REGS.FCSR, 1);
  }
  return snapshotWords(r, reg < 32 ? REGS.X + 2 * reg : name === "pc" ? REGS.PC : REGS.F + 2 * (reg - 33), 2);
}

/** `n` words of the snapshot from index `at`, as little-endian bytes. */
function snapshotWords(r: Int32Array, at: number, n: number): Uint8Array {
  const out = n === 2 ? bytes8() : new Uint8Array(4 * n);
  for (let k = 0; k < n; k++) {
    const w = r[at + k];
    out[4 * k] = w, out[4 * k + 1] = w >>> 8, out[4 * k + 2] = w >>> 16, out[4 * k + 3] = w >>> 24;
  }
  return out;
}

/**
 * Writes a register of the vCPU running the callback (little-endian bytes);
 * returns the number of bytes written. Only in `RW_REGS` callbacks. The pc
 * cannot be written this way: use {@link qemu_plugin_set_pc}.
 *
 * @example
 * ```ts
 * declare const a0: RegisterHandle;
 * qemu_plugin_write_register(a0, new Uint8Array(8));
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_write_register(handle: RegisterHandle, buf: Uint8Array): number {
  const reg = regOf(handle, "qemu_plugin_write_register");
  needAccess(ACCESS.WRITE, "qemu_plugin_write_register");
  if (!(buf instanceof Uint8Array)) throw new PluginApiError("qemu_plugin_write_register: buf is not a Uint8Array");
  const name = REGISTER_NAMES[reg];
  if (name === "pc" || name === "vl" || name === "vtype" || name === "vlenb") {
    throw new PluginApiError(`qemu_plugin_write_register: ${name} is read-only`);
  }
  request(REQ.WRITE_REG, [reg], (at) => putBytes(instance.ctl, at, buf));
  return instance.ci[CTL.ARGS + 1];
}

/**
 * Reads `len` bytes of guest memory at `addr`; null when not all of it is readable.
 *
 * @example
 * ```ts
 * declare const addr: number;
 * const bytes = qemu_plugin_read_memory_vaddr(addr, 16);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_read_memory_vaddr(addr: number, len: number): Uint8Array | null {
  needAccess(ACCESS.READ, "qemu_plugin_read_memory_vaddr");
  if (!Number.isSafeInteger(addr) || !Number.isInteger(len) || len <= 0 || len > 1 << 19) {
    throw new PluginApiError(`qemu_plugin_read_memory_vaddr: invalid range ${addr}+${len}`);
  }
  request(REQ.READ_MEM, [addr >= 2 ** 31 ? -1 : addr, len]);
  return instance.ci[CTL.ARGS + 1] < 0 ? null : getBytes(instance.ctl, CTL.ARGS + 2);
}

/**
 * Writes bytes to guest memory at `addr` (translated code there is
 * dropped); returns false when not all of it is writable. Only in `RW_REGS` callbacks.
 *
 * @example
 * ```ts
 * declare const addr: number;
 * qemu_plugin_write_memory_vaddr(addr, new TextEncoder().encode("patched"));
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_write_memory_vaddr(addr: number, data: Uint8Array): boolean {
  needAccess(ACCESS.WRITE, "qemu_plugin_write_memory_vaddr");
  if (!(data instanceof Uint8Array) || data.length > 1 << 19 || !Number.isSafeInteger(addr)) {
    throw new PluginApiError("qemu_plugin_write_memory_vaddr: invalid address or data");
  }
  request(REQ.WRITE_MEM, [addr >= 2 ** 31 ? -1 : addr], (at) => putBytes(instance.ctl, at, data));
  return instance.ci[CTL.ARGS + 1] === 1;
}

/**
 * Continues the vCPU at `vaddr`: the callback ends here (the call does not
 * return) and the rest of the current block does not run. Only in
 * `RW_REGS` (or `RW_REGS_PC`) execution and memory callbacks.
 *
 * @example
 * ```ts
 * declare const skipTo: number;
 * qemu_plugin_set_pc(skipTo);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_set_pc(vaddr: number): never {
  needAccess(ACCESS.WRITE, "qemu_plugin_set_pc");
  if (!Number.isSafeInteger(vaddr) || vaddr < 0 || vaddr >= 2 ** 31) {
    throw new PluginApiError(`qemu_plugin_set_pc: invalid address ${vaddr}`);
  }
  if (!instance.setPcOk) throw new PluginApiError("qemu_plugin_set_pc: only in execution and memory callbacks");
  throw new SetPcSignal(vaddr);
}

// ---------------------------------------------------------------- output and program information

/**
 * Writes text to plume's log: stderr with `-d plugin`, the `-D` file with
 * `-D`, nowhere otherwise (as QEMU). Output is ordered with the guest's at
 * system calls and synchronous events.
 *
 * @example
 * ```ts
 * qemu_plugin_outs("hello from a plugin\n");
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_outs(string: string): void {
  if (!instance.outs) return;
  textWrite(instance.text, instance.waiter, String(string));
}

/**
 * Parses a boolean argument value (`on|yes|true` or `off|no|false`) of
 * argument `name`; returns undefined when it is not a boolean. (C returns
 * success and writes through a pointer; here the value is the result.)
 *
 * @example
 * ```ts
 * const inline = qemu_plugin_bool_parse("inline", "on"); // true
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_bool_parse(name: string, val: string): boolean | undefined {
  if (typeof name !== "string" || typeof val !== "string") return undefined;
  if (["on", "yes", "true"].includes(val)) return true;
  if (["off", "no", "false"].includes(val)) return false;
  return undefined;
}

/**
 * The path of the guest program.
 *
 * @example
 * ```ts
 * qemu_plugin_outs(`running ${qemu_plugin_path_to_binary()}\n`);
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_path_to_binary(): string {
  return instance.program.path;
}

/**
 * The start address of the program's text segment.
 *
 * @example
 * ```ts
 * const start = qemu_plugin_start_code();
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_start_code(): number {
  return instance.program.start;
}

/**
 * The end address of the program's text segment.
 *
 * @example
 * ```ts
 * const end = qemu_plugin_end_code();
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_end_code(): number {
  return instance.program.end;
}

/**
 * The program's entry point.
 *
 * @example
 * ```ts
 * const entry = qemu_plugin_entry_code();
 * ```
 * @qemuPluginApi
 */
export function qemu_plugin_entry_code(): number {
  return instance.program.entry;
}

// ---------------------------------------------------------------- granted sockets (plume's addition)

/**
 * A connected unix stream socket, from {@link plume_unix_socket}. Reads and
 * writes block, as C's `read` and `write` on a blocking socket do.
 */
export interface UnixSocket {
  /**
   * `"listened"`: nothing was at the path, so plume listened there and
   * accepted one peer (and removed the path once it had); `"connected"`:
   * plume connected to a peer listening there.
   */
  readonly how: "listened" | "connected";
  /**
   * Writes all of `bytes`; returns how many were written (fewer: the peer
   * went away), or -errno: -22 (EINVAL) when `bytes` is not a `Uint8Array`
   * over an `ArrayBuffer` of fixed length (not shared, not resizable).
   */
  write(bytes: Uint8Array): number;
  /**
   * Reads until `bytes` is full or the peer closes; returns how many were
   * read (fewer: closed), or -errno (-22 for `bytes` as for {@link write}).
   */
  read(bytes: Uint8Array): number;
  /** Closes the socket; later reads and writes return -EBADF (-9). */
  close(): void;
}

/**
 * plume's addition to QEMU's API: the unix stream socket at `path` that
 * the user granted this plugin (`-plugin-allow unix=PATH`; the built-in
 * `lockstep` gets its `sockpath=`). A QEMU plugin makes one with
 * `socket`, `connect`, `bind`, `listen` and `accept`, which a sandboxed
 * plugin cannot call: plume makes it before the plugin's code runs, as
 * QEMU's `contrib/plugins/lockstep.c` does — connected to the peer
 * listening at `path` or, when nothing is there, listening for one peer,
 * which it waits for (the path is removed once the peer is connected).
 * The plugin holds that one connection and can make no other socket.
 *
 * @param path the path as granted, or another spelling of it (a relative one against plume's working directory)
 * @returns the socket, or why it could not be made, in `perror`'s words (`failed to connect: Connection refused`)
 * @throws {PluginApiError} when no unix socket was granted at `path`
 *
 * @example
 * ```ts
 * const sock = plume_unix_socket("lockstep.sock");
 * if (typeof sock === "string") qemu_plugin_outs(`${sock}\n`);
 * else if (sock.write(new Uint8Array(16)) === 16) qemu_plugin_outs(`sent (we ${sock.how})\n`);
 * ```
 * @qemuPluginApi
 */
export function plume_unix_socket(path: string): UnixSocket | string {
  if (typeof path !== "string") throw new PluginApiError("plume_unix_socket: the path is not a string");
  const socket = instance.sockets.get(resolvedPath(path, instance.cwd));
  if (socket === undefined) {
    throw new PluginApiError(`plume_unix_socket: no unix socket granted at '${path}' (-plugin-allow unix=PATH)`);
  }
  return socket;
}
