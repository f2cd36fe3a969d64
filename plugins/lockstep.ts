/**
 * lockstep: two runs compared block by block over a unix socket, with the
 * protocol and output of QEMU 7.2's `contrib/plugins/lockstep.c`. Start
 * one run with `-plugin lockstep,sockpath=PATH`: nothing is at PATH yet,
 * so it listens there and waits; start the other with the same option: it
 * connects. Before each block it executes, each side writes where it is —
 * the block's address and the instructions run before it, two 64-bit
 * words in the host's byte order, QEMU's `ExecState` — and reads where
 * the other is. The two sequences of blocks are compared by address:
 *
 * - a first divergence is silent (the runs may get back in step), unless
 *   `verbose=on`; a divergence at the block after the previous one prints
 *   `@ OURS vs THEIRS (N/DISTANCE since last)`;
 * - a third in a row prints the instruction counts and the last five
 *   blocks executed, then `too much divergence... giving up.`, and the
 *   plugin uninstalls itself (the guest runs on to its own exit status);
 * - a run that never gave up prints `No divergence :-)`, the blocks and
 *   instructions executed, at exit.
 *
 * The wire format is QEMU's, so a plume run and a `qemu-riscv64 -plugin
 * liblockstep.so` run can be in lockstep; their blocks then have to be
 * the same (`-one-insn-per-tb` and QEMU 7.2's `-singlestep`: QEMU also
 * ends a block at a CSR instruction). As QEMU's, it follows one thread:
 * a forked process's copy of the plugin finds its socket closed (the
 * connection is its parent's), says so and uninstalls.
 *
 * The socket is a grant: the loader grants this built-in the socket its
 * `sockpath=` names, and the plugin process connects (or listens and
 * accepts the peer) before the plugin's code runs; {@link
 * plume_unix_socket} hands that one connection over. Where QEMU keeps a
 * list of every block executed, this keeps the five it may print.
 *
 * @module
 */

import {
  type PluginId,
  plume_unix_socket,
  qemu_plugin_bool_parse,
  QEMU_PLUGIN_CB_NO_REGS,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_tb_exec_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_tb_n_insns,
  qemu_plugin_tb_vaddr,
  qemu_plugin_uninstall,
  type QemuInfo,
  type Tb,
  type UnixSocket,
} from "qemu-plugin";

/** Plugin API version this plugin is written for. */
export const qemu_plugin_version = 7;

/** A translated block (QEMU's `BlockInfo`). */
interface BlockInfo {
  pc: bigint;
  insns: bigint;
}

/** A block executed, as the log keeps it (QEMU's `ExecInfo`). */
interface ExecInfo {
  block: BlockInfo;
  /** Instructions executed up to the end of this block. */
  insnCount: bigint;
}

/** How many executed blocks a report lists. */
const REPORTED_BLOCKS = 5;

/** `0x` and 16 hexadecimal digits, C's `0x%016lx`. */
const hex = (v: bigint) => `0x${v.toString(16).padStart(16, "0")}`;

/** Installs the plugin. */
export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  let verbose = false, sockPath: string | undefined;
  for (const opt of argv) {
    const eq = opt.indexOf("=");
    const key = eq < 0 ? opt : opt.slice(0, eq), value = eq < 0 ? undefined : opt.slice(eq + 1);
    if (key === "verbose") {
      const b = value === undefined ? undefined : qemu_plugin_bool_parse(key, value);
      if (b === undefined) throw new Error(`boolean argument parsing failed: ${opt}`);
      verbose = b;
    } else if (key === "sockpath" && value !== undefined) sockPath = value;
    else throw new Error(`option parsing failed: ${opt}`);
  }
  if (sockPath === undefined) throw new Error("Need a socket path to talk to other instance.");
  const socket: UnixSocket | string = plume_unix_socket(sockPath);
  if (typeof socket === "string") throw new Error(`${socket}: Failed to setup socket for communications.`);
  qemu_plugin_outs(socket.how === "listened" ? "setup_socket::ready\n" : "connect_socket::ready\n");

  let bbCount = 0, insnCount = 0n;
  /** The blocks executed most recently, the latest first: the only part of QEMU's log it prints. */
  const recent: ExecInfo[] = [];
  /** Divergences so far; for the last one, how many blocks had run before it and its distance to the one before. */
  let divergences = 0, lastAt = 0, lastDistance = 0;

  /** One exchange: `[pc, insn_count]` in the host's byte order, as QEMU's `ExecState`. */
  const us = new BigUint64Array(2), them = new BigUint64Array(2);
  const usBytes = new Uint8Array(us.buffer), themBytes = new Uint8Array(them.buffer);

  const cleanup = () => socket.close();
  const giveUp = (why: string) => {
    qemu_plugin_outs(why);
    qemu_plugin_uninstall(id, cleanup);
  };

  const reportDivergence = () => {
    // How many blocks ran since the last divergence (QEMU walks its log back to it, never past its oldest entry).
    const distance = divergences === 0 ? 0 : Math.max(Math.min(bbCount - lastAt, bbCount - 1), 0);
    // Two divergences right after each other, after another: the runs will not get back in step.
    const diverged = divergences > 0 && distance === 1 && lastDistance === 1;
    divergences++;
    lastAt = bbCount, lastDistance = distance;
    if (verbose || distance === 1 || diverged) {
      qemu_plugin_outs(`@ ${hex(us[0])} vs ${hex(them[0])} (${divergences}/${distance} since last)\n`);
    }
    if (!diverged) return;
    let out = `Δ insn_count @ ${hex(us[0])} (${us[1]}) vs ${hex(them[0])} (${them[1]})\n`;
    // QEMU's loop stops before its log's oldest entry.
    for (const prev of recent.slice(0, Math.min(REPORTED_BLOCKS, bbCount - 1))) {
      out += `  previously @ ${hex(prev.block.pc)}/${prev.block.insns} (${prev.insnCount} insns)\n`;
    }
    qemu_plugin_outs(out);
    giveUp("too much divergence... giving up.");
  };

  const onExec = (_vcpu: number, udata: unknown) => {
    const block = udata as BlockInfo;
    us[0] = block.pc;
    us[1] = insnCount;
    // A failure to write or read: the other run has probably ended; stop comparing.
    const wrote = socket.write(usBytes);
    if (wrote < usBytes.length) {
      return giveUp(wrote < 0 ? "problem writing to socket" : "wrote less than expected to socket");
    }
    const read = socket.read(themBytes);
    if (read < themBytes.length) return giveUp(read < 0 ? "problem reading from socket" : "read less than expected");
    if (us[0] !== them[0]) reportDivergence();
    // As QEMU: assume the block runs to its end.
    insnCount += block.insns;
    bbCount++;
    recent.unshift({ block, insnCount });
    if (recent.length > REPORTED_BLOCKS) recent.pop();
  };

  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id: PluginId, tb: Tb) => {
    const block: BlockInfo = { pc: BigInt(qemu_plugin_tb_vaddr(tb)), insns: BigInt(qemu_plugin_tb_n_insns(tb)) };
    qemu_plugin_register_vcpu_tb_exec_cb(tb, onExec, QEMU_PLUGIN_CB_NO_REGS, block);
  });

  qemu_plugin_register_atexit_cb(id, () => {
    qemu_plugin_outs(
      `No divergence :-)\nExecuted ${bbCount}/${bbCount} blocks\nExecuted ~${insnCount} instructions\n`,
    );
    cleanup();
  }, null);
  return 0;
}
