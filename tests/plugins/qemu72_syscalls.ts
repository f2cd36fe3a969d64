/**
 * Test plugin: gives the guest qemu-riscv64 7.2's answer to the two system
 * calls glibc's start-up makes that 7.2 does not implement and plume does,
 * `riscv_hwprobe` (258) and `set_robust_list` (99): -ENOSYS. glibc then
 * runs the same instructions under both emulators (with plume's answers it
 * runs nine more), so instruction-level plugins can be compared line by
 * line on glibc programs. Needs `-plugin-allow guest=write`.
 *
 * @module
 */

import { type PluginId, qemu_plugin_register_vcpu_syscall_filter_cb, type QemuInfo } from "qemu-plugin";

export const qemu_plugin_version = 7;

const ENOSYS = 38n;
const UNIMPLEMENTED_IN_QEMU_7_2 = [258n, 99n];

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, _argv: string[]): number {
  qemu_plugin_register_vcpu_syscall_filter_cb(id, (_id, _vcpu, num) => {
    return UNIMPLEMENTED_IN_QEMU_7_2.includes(num) ? -ENOSYS : undefined;
  });
  return 0;
}
