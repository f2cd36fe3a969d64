/**
 * traps: how many interrupts, exceptions and host calls each vCPU took,
 * with the output of QEMU's `contrib/plugins/traps.c` (QEMU 10.1; not in
 * 10.0, which has no discontinuity callbacks). It counts the
 * discontinuities `qemu_plugin_register_vcpu_discon_cb` reports, of every
 * type, and prints at exit:
 *
 * ```
 * VCPU, interrupts, exceptions, hostcalls
 *    0,          0,          0,         12
 * ```
 *
 * a line per vCPU created (`qemu_plugin_num_vcpus`), each count right
 * aligned in C's `% 10` (a space for the sign, width 10). As QEMU's, in
 * user mode it first prints `Note: interrupts are only reported in system
 * emulation mode.` with no line break (so the header follows on the same
 * line). It takes no options; any is refused, as plume's other ports do
 * (QEMU's ignores them).
 *
 * The counts are what plume's discontinuity callbacks report, which is
 * not what QEMU's user mode reports. QEMU calls them from its targets'
 * system-mode interrupt code only (RISC-V's `riscv_cpu_do_interrupt` is
 * not built for user mode, and host calls there are semihosting), so
 * under `qemu-riscv64` every count is 0. plume reports a host call for
 * each system call the guest makes (an `ecall`, `exit_group` included:
 * the emulator, the host, serves it) and an exception for each signal
 * delivered to a guest handler, whether a fault or another process raised
 * it; interrupts never happen in user mode. So `hostcalls` is the
 * number of system calls and `exceptions` the number of signal handlers
 * entered.
 *
 * @module
 */

import {
  type PluginId,
  QEMU_PLUGIN_DISCON_ALL,
  QEMU_PLUGIN_DISCON_EXCEPTION,
  QEMU_PLUGIN_DISCON_HOSTCALL,
  QEMU_PLUGIN_DISCON_INTERRUPT,
  qemu_plugin_num_vcpus,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_discon_cb,
  type QemuInfo,
} from "qemu-plugin";

/** Plugin API version this plugin is written for. */
export const qemu_plugin_version = 7;

/** One vCPU's counts. */
interface TrapCounters {
  interrupts: number;
  exceptions: number;
  hostcalls: number;
}

/** C's `printf("% Nd", n)` for a non-negative `n`: a space for the sign, then right aligned in `width`. */
function spaced(n: number, width: number): string {
  return ` ${n}`.padStart(width);
}

/** Installs the plugin. */
export function qemu_plugin_install(id: PluginId, info: QemuInfo, argv: string[]): number {
  if (argv.length > 0) throw new Error(`option parsing failed: ${argv[0]}`);
  if (!info.system_emulation) qemu_plugin_outs("Note: interrupts are only reported in system emulation mode.");

  const traps: TrapCounters[] = [];
  const countersOf = (vcpu: number): TrapCounters => {
    while (traps.length <= vcpu) traps.push({ interrupts: 0, exceptions: 0, hostcalls: 0 });
    return traps[vcpu];
  };

  qemu_plugin_register_vcpu_discon_cb(id, QEMU_PLUGIN_DISCON_ALL, (_id, vcpu, type) => {
    const rec = countersOf(vcpu);
    if (type === QEMU_PLUGIN_DISCON_INTERRUPT) rec.interrupts++;
    else if (type === QEMU_PLUGIN_DISCON_EXCEPTION) rec.exceptions++;
    else if (type === QEMU_PLUGIN_DISCON_HOSTCALL) rec.hostcalls++;
    else throw new Error(`unknown discontinuity type ${type}`);
  });

  qemu_plugin_register_atexit_cb(id, () => {
    let report = "VCPU, interrupts, exceptions, hostcalls\n";
    const n = qemu_plugin_num_vcpus();
    for (let vcpu = 0; vcpu < n; vcpu++) {
      const rec = countersOf(vcpu);
      report += `${spaced(vcpu, 4)}, ${spaced(rec.interrupts, 10)}, ${spaced(rec.exceptions, 10)}, ${
        spaced(rec.hostcalls, 10)
      }\n`;
    }
    qemu_plugin_outs(report);
  }, null);
  return 0;
}
