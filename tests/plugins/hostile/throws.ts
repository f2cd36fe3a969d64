/**
 * Hostile test plugin: throws from the callback named by `where=`
 * (`exec`: a streamed block callback after 100 executions; `mem`: a
 * streamed memory callback after 100 accesses, the plugin's only callbacks
 * but the translation's; `trans`: the
 * translation callback, at its `at=`th call (default the first); `sync`:
 * an `R_REGS` block callback; `install`), or throws values that are hard
 * to print (`forged`, `proxy`, `symbol`, `tostring`, `function`: a function
 * whose own `toString` never returns).
 *
 * @module
 */

import {
  type PluginId,
  QEMU_PLUGIN_CB_NO_REGS,
  QEMU_PLUGIN_CB_R_REGS,
  QEMU_PLUGIN_MEM_RW,
  qemu_plugin_register_vcpu_mem_cb,
  qemu_plugin_register_vcpu_tb_exec_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_tb_get_insn,
  qemu_plugin_tb_n_insns,
  type QemuInfo,
} from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  const where = argv[0]?.slice("where=".length) ?? "exec";
  const at = Number(argv.find((a) => a.startsWith("at="))?.slice(3) ?? 1);
  let translations = 0;
  if (where === "install") throw new Error("boom in install");
  let n = 0;
  const onExec = () => {
    if (++n === 100) throw new Error("boom in exec");
  };
  const onMem = () => {
    if (++n === 100) throw new Error("boom in mem");
  };
  const onSync = () => {
    throw new RangeError("boom in sync");
  };
  qemu_plugin_register_vcpu_tb_trans_cb(id, function onTrans(_id, tb) {
    if (where === "trans" && ++translations === at) throw new TypeError("boom in trans");
    // What plume prints of a thrown value must not forge its lines, drive the terminal, or name another callback.
    if (where === "forged") throw new Error("boom\nplume: plugin 'victim' (#2): forged line\x1b[2J\x1b[31m\r\u2028");
    if (where === "proxy") {
      throw new Proxy(new Error("proxied"), {
        get() {
          throw new Error("trap");
        },
        getPrototypeOf() {
          throw new Error("trap");
        },
      });
    }
    if (where === "symbol") throw Symbol("thrown");
    if (where === "tostring") throw { toString: () => "not this", message: { toString: () => "nor this" } };
    if (where === "function") {
      const thrown = function chosen() {};
      thrown.toString = () => {
        for (;;) { /* plume must not call this to describe the exception */ }
      };
      throw thrown;
    }
    if (where === "sync") qemu_plugin_register_vcpu_tb_exec_cb(tb, onSync, QEMU_PLUGIN_CB_R_REGS, null);
    else if (where === "exec") qemu_plugin_register_vcpu_tb_exec_cb(tb, onExec, QEMU_PLUGIN_CB_NO_REGS, null);
    else if (where === "mem") {
      for (let i = 0; i < qemu_plugin_tb_n_insns(tb); i++) {
        qemu_plugin_register_vcpu_mem_cb(
          qemu_plugin_tb_get_insn(tb, i),
          onMem,
          QEMU_PLUGIN_CB_NO_REGS,
          QEMU_PLUGIN_MEM_RW,
          null,
        );
      }
    }
  });
  return 0;
}
