/**
 * syscall: system call statistics, with the options and output of QEMU's
 * `tests/tcg/plugins/syscall.c`: a table of calls and errors per system
 * call number at exit, or with `print=on` a line per call and return;
 * `log_writes=on` hex-dumps what `write` calls write (read from guest
 * memory in the synchronous syscall callback). With `-plugin-allow
 * guest=write` it also filters QEMU's magic test call (number 4096 with
 * first argument 0x66CCFF returns 0xFFCC66 without running).
 *
 * @module
 */

import {
  type PluginId,
  qemu_plugin_bool_parse,
  qemu_plugin_outs,
  qemu_plugin_read_memory_vaddr,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_syscall_cb,
  qemu_plugin_register_vcpu_syscall_filter_cb,
  qemu_plugin_register_vcpu_syscall_ret_cb,
  type QemuInfo,
} from "qemu-plugin";

/** Plugin API version this plugin is written for. */
export const qemu_plugin_version = 7;

/** `write`'s number on RISC-V Linux. */
const WRITE = 64n;

function hexdump(data: Uint8Array): string {
  let out = "";
  for (let index = 0; index < data.length; index += 16) {
    for (let col = 0; col < 16; col++) {
      out += index + col < data.length ? `${data[index + col].toString(16).padStart(2, "0")} ` : "   ";
    }
    out += " | ";
    for (let col = 0; col < 16 && index + col < data.length; col++) {
      const c = data[index + col];
      out += c > 0x20 && c < 0x7f ? String.fromCharCode(c) : ".";
    }
    out += "\n";
  }
  return out;
}

/** Installs the plugin. */
export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  let print = false, logWrites = false;
  for (const opt of argv) {
    const eq = opt.indexOf("=");
    const key = eq < 0 ? opt : opt.slice(0, eq), value = eq < 0 ? "" : opt.slice(eq + 1);
    if (key !== "print" && key !== "log_writes") throw new Error(`unsupported argument: ${opt}`);
    const b = qemu_plugin_bool_parse(key, value);
    if (b === undefined) throw new Error(`boolean argument parsing failed: ${opt}`);
    if (key === "print") print = b;
    else logWrites = b;
  }
  const stats = new Map<bigint, { calls: number; errors: number }>();
  const entry = (num: bigint) => {
    let e = stats.get(num);
    if (!e) stats.set(num, e = { calls: 0, errors: 0 });
    return e;
  };

  qemu_plugin_register_vcpu_syscall_cb(id, (_id, _vcpu, num, _a1, a2, a3) => {
    if (print) qemu_plugin_outs(`syscall #${num}\n`);
    else entry(num).calls++;
    if (logWrites && num === WRITE) {
      const data = qemu_plugin_read_memory_vaddr(Number(a2), Number(a3));
      qemu_plugin_outs(data ? hexdump(data) : `Error reading memory from vaddr ${a2}\n`);
    }
  });
  qemu_plugin_register_vcpu_syscall_ret_cb(id, (_id, _vcpu, num, ret) => {
    if (print) qemu_plugin_outs(`syscall #${num} returned -> ${ret}\n`);
    else if (ret < 0n) entry(num).errors++;
  });
  // The filter changes what the guest sees: plume allows it only with -plugin-allow guest=write.
  try {
    qemu_plugin_register_vcpu_syscall_filter_cb(id, (_id, _vcpu, num, a1) => {
      if (num !== 4096n || a1 !== 0x66ccffn) return undefined;
      if (print) qemu_plugin_outs("magic syscall filtered, set magic return\n");
      return 0xffcc66n;
    });
  } catch { /* not granted: the magic call reaches the kernel, which does not know it */ }
  qemu_plugin_register_atexit_cb(id, () => {
    if (print) return;
    let out = "syscall no.  calls  errors\n";
    // Most called first; QEMU leaves ties in hash order, plume in number order.
    const sorted = [...stats.entries()].sort((a, b) => b[1].calls - a[1].calls || (a[0] < b[0] ? -1 : 1));
    for (const [num, e] of sorted) out += `${String(num).padEnd(13)}${String(e.calls).padEnd(6)} ${e.errors}\n`;
    qemu_plugin_outs(out);
  }, null);
  return 0;
}
