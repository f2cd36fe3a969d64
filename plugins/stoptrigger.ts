/**
 * stoptrigger: ends the guest with a chosen exit status once a vCPU has
 * executed a given number of instructions or is about to execute the
 * instruction at a given address, with the options and messages of
 * QEMU's `contrib/plugins/stoptrigger.c` (QEMU 10.0).
 *
 * Options, as QEMU's (numbers in C's base 0: `0x…` hex, `0…` octal, else
 * decimal):
 * - `icount=N[:CODE]`: when a vCPU is about to execute its `N+1`th
 *   instruction (so exactly N have run on it), print
 *   `icount reached at 0xPC, exiting` (PC: that instruction's address)
 *   and exit with status CODE (default 0). N must be positive; a second
 *   `icount=` replaces the first, keeping its CODE when it gives none;
 * - `addr=A[:CODE]` (repeatable): before the instruction at A executes,
 *   print `0xA reached, exiting` and exit with status CODE (default 0).
 *
 * Counting is per vCPU, with an inline add on every instruction and a
 * conditional callback on every instruction that fires at exactly N+1,
 * as QEMU's; the status is CODE modulo 256, as C's `exit(CODE)` makes it.
 *
 * How it exits differs from QEMU, where the plugin calls the C library's
 * `exit` inside the emulator's process: the guest stops at once and
 * every plugin's atexit callback runs. A plume plugin runs in a sandbox
 * and cannot end plume; it can steer the guest. So the trigger's
 * callback (registered `QEMU_PLUGIN_CB_RW_REGS`) sets `a7` to
 * `exit_group` (94) and `a0` to CODE and continues the vCPU at an `ecall`
 * instruction of the guest's own code — one it has seen translated, or
 * else one found in the program's text — and the guest exits through that
 * system call; every plugin's atexit callback then runs as in QEMU. The
 * instruction at the trigger does not run, as in QEMU, but that `ecall`
 * does: other plugins count one instruction more than under QEMU and see
 * an `exit_group` system call, and `-strace` shows it. Changing the
 * guest's registers and pc needs `-plugin-allow guest=write`; without it
 * the plugin refuses to load, saying so.
 *
 * @module
 */

import {
  type Insn,
  type PluginId,
  QEMU_PLUGIN_CB_RW_REGS,
  QEMU_PLUGIN_COND_EQ,
  qemu_plugin_end_code,
  qemu_plugin_get_registers,
  QEMU_PLUGIN_INLINE_ADD_U64,
  qemu_plugin_insn_data,
  qemu_plugin_insn_vaddr,
  qemu_plugin_outs,
  qemu_plugin_read_memory_vaddr,
  qemu_plugin_register_vcpu_insn_exec_cb,
  qemu_plugin_register_vcpu_insn_exec_cond_cb,
  qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_scoreboard_new,
  qemu_plugin_scoreboard_u64,
  qemu_plugin_set_pc,
  qemu_plugin_start_code,
  qemu_plugin_tb_get_insn,
  qemu_plugin_tb_n_insns,
  qemu_plugin_write_register,
  type QemuInfo,
  type RegisterHandle,
  type Tb,
} from "qemu-plugin";

/** Plugin API version this plugin is written for. */
export const qemu_plugin_version = 7;

/** RISC-V Linux's `exit_group` system call number. */
const SYS_EXIT_GROUP = 94n;

/** `ecall`'s encoding, little-endian (it has no compressed form). */
const ECALL = [0x73, 0x00, 0x00, 0x00];

/** Bytes of the program's text read per request while looking for an `ecall`. */
const SCAN_CHUNK = 4096;

const U64 = (1n << 64n) - 1n;

/**
 * `g_ascii_strtoull(text, NULL, 0)`: leading blanks, an optional sign,
 * then `0x` hex, `0` octal or decimal digits up to the first other
 * character (none: 0); saturated at 2^64 - 1, negated modulo 2^64 after a
 * `-`.
 */
function strtoull0(text: string): bigint {
  const m = /^\s*([+-]?)(0[xX](?=[0-9a-fA-F])([0-9a-fA-F]+)|0([0-7]*)|([1-9][0-9]*))?/.exec(text)!;
  let v = 0n;
  if (m[3] !== undefined) v = BigInt(`0x${m[3]}`);
  else if (m[4] !== undefined) v = m[4] ? BigInt(`0o${m[4]}`) : 0n;
  else if (m[5] !== undefined) v = BigInt(m[5]);
  if (v > U64) v = U64;
  return m[1] === "-" ? (U64 + 1n - v) & U64 : v;
}

/** An exit code as QEMU keeps it: `strtoull`'s value in a C `int`. */
function exitCode(text: string): bigint {
  return BigInt.asIntN(32, strtoull0(text));
}

/** What the options ask for. */
interface Options {
  /** Instructions per vCPU to let run, or undefined. */
  icount?: bigint;
  icountExitCode: bigint;
  /** Exit code per trigger address; the last `addr=` of one address counts. */
  addrs: Map<number, bigint>;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { icountExitCode: 0n, addrs: new Map() };
  for (const opt of argv) {
    const eq = opt.indexOf("=");
    const key = eq < 0 ? opt : opt.slice(0, eq), value = eq < 0 ? undefined : opt.slice(eq + 1);
    if (value === undefined || (key !== "icount" && key !== "addr")) throw new Error(`option parsing failed: ${opt}`);
    const colon = value.indexOf(":");
    const first = colon < 0 ? value : value.slice(0, colon), code = colon < 0 ? undefined : value.slice(colon + 1);
    if (key === "icount") {
      const n = strtoull0(first);
      if (n < 1n || first.includes("-")) {
        throw new Error(`icount parsing failed: '${first}' must be a positive integer`);
      }
      o.icount = n;
      if (code !== undefined) o.icountExitCode = exitCode(code);
    } else {
      // An address past 2^53 can be no guest instruction's: it never triggers.
      o.addrs.set(Number(strtoull0(first)), code === undefined ? 0n : exitCode(code));
    }
  }
  if (o.icount === undefined && o.addrs.size === 0) throw new Error("'icount' or 'addr' argument missing");
  return o;
}

function registerHandle(name: string): RegisterHandle {
  const r = qemu_plugin_get_registers().find((d) => d.name === name);
  if (!r) throw new Error(`no register ${name}`);
  return r.handle;
}

function u64Bytes(v: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return out;
}

function isEcall(insn: Insn, buf: Uint8Array): boolean {
  return qemu_plugin_insn_data(insn, buf, 4) === 4 && buf.every((b, i) => b === ECALL[i]);
}

/** The address of an `ecall` in the program's text (at an even address), or undefined. */
function findEcallInText(): number | undefined {
  const start = qemu_plugin_start_code(), end = qemu_plugin_end_code();
  // Chunks overlap by three bytes so that an instruction across two of them is seen.
  for (let at = start; at < end; at += SCAN_CHUNK - 3) {
    const bytes = qemu_plugin_read_memory_vaddr(at, Math.min(SCAN_CHUNK, end - at));
    if (!bytes) continue;
    for (let i = (at & 1) === 0 ? 0 : 1; i + 4 <= bytes.length; i += 2) {
      if (bytes[i] === 0x73 && bytes[i + 1] === 0 && bytes[i + 2] === 0 && bytes[i + 3] === 0) return at + i;
    }
  }
  return undefined;
}

/** Installs the plugin. */
export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  const opts = parseOptions(argv);
  const a0 = registerHandle("a0"), a7 = registerHandle("a7");
  requireGuestWrite(a0);

  const count = qemu_plugin_scoreboard_u64(qemu_plugin_scoreboard_new(8));
  // The trigger is the instruction after the N-th: QEMU compares with N + 1 in 64 bits.
  const trigger = opts.icount === undefined ? 0n : BigInt.asUintN(64, opts.icount + 1n);
  /** `ecall` instructions seen translated: the guest's own way out. */
  let ecallAt: number | undefined;
  /** Set once the guest is on its way out: the `ecall` it is sent to must not trigger again. */
  let exiting = false;

  /** Prints QEMU's message and sends the vCPU to `exit_group(code)`. */
  function exitGuest(code: bigint, message: string): void {
    if (exiting) return;
    exiting = true;
    qemu_plugin_outs(message);
    ecallAt ??= findEcallInText();
    if (ecallAt === undefined) throw new Error("no ecall instruction found in the guest to exit through");
    qemu_plugin_write_register(a7, u64Bytes(SYS_EXIT_GROUP));
    qemu_plugin_write_register(a0, u64Bytes(code));
    qemu_plugin_set_pc(ecallAt);
  }
  const onIcount = (_vcpu: number, vaddr: unknown) =>
    exitGuest(opts.icountExitCode, `icount reached at 0x${(vaddr as number).toString(16)}, exiting\n`);
  const onAddress = (_vcpu: number, vaddr: unknown) =>
    exitGuest(opts.addrs.get(vaddr as number)!, `0x${(vaddr as number).toString(16)} reached, exiting\n`);

  const buf = new Uint8Array(4);
  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id: PluginId, tb: Tb) => {
    const n = qemu_plugin_tb_n_insns(tb);
    for (let i = 0; i < n; i++) {
      const insn = qemu_plugin_tb_get_insn(tb, i);
      const vaddr = qemu_plugin_insn_vaddr(insn);
      if (ecallAt === undefined && isEcall(insn, buf)) ecallAt = vaddr;
      if (opts.icount !== undefined) {
        qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(insn, QEMU_PLUGIN_INLINE_ADD_U64, count, 1n);
        // QEMU keeps the pc in a scoreboard for its message; the callback's user data is the same address.
        qemu_plugin_register_vcpu_insn_exec_cond_cb(
          insn,
          onIcount,
          QEMU_PLUGIN_CB_RW_REGS,
          QEMU_PLUGIN_COND_EQ,
          count,
          trigger,
          vaddr,
        );
      }
      if (opts.addrs.has(vaddr)) qemu_plugin_register_vcpu_insn_exec_cb(insn, onAddress, QEMU_PLUGIN_CB_RW_REGS, vaddr);
    }
  });
  return 0;
}

/**
 * Fails the install, with a message that says why, when the plugin may
 * not change the guest. The API has no query for the grant, but a
 * register write says which rule it breaks: without the grant, the grant
 * (whatever the context); with it, only that install is no callback.
 */
function requireGuestWrite(handle: RegisterHandle): void {
  try {
    qemu_plugin_write_register(handle, new Uint8Array(8));
  } catch (err) {
    if (String((err as Error)?.message).includes("guest=write")) {
      throw new Error(
        "stoptrigger ends the guest through an exit_group system call: it needs -plugin-allow guest=write",
      );
    }
    return;
  }
  throw new Error("stoptrigger: a register write at install succeeded (expected to be refused)");
}
