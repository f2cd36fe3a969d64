/**
 * Register reads in a callback that may read guest state come from the
 * snapshot the emulator writes before the call (no second round trip), and
 * read exactly what the emulator would answer to a request for them.
 */

import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { Cpu } from "../cpu/state.ts";
import { CTL, getBytes, inProcessChannel, REGS, REQ } from "./channel.ts";
import { ACCESS, type CallContext, serveRequest, snapshotRegisters } from "./requests.ts";
import * as api from "./runtime/api.ts";
import { bind } from "./runtime/dispatcher.ts";
import { instance, PluginApiError } from "./runtime/state.ts";

const channel = inProcessChannel();
bind(channel);

const cpu = new Cpu();
cpu.setX(10, -2n);
cpu.setX(31, 0x1234_5678_9abc_def0n);
cpu.pc = 0x1_0000_1000;
cpu.setFBits(1, 0x4009_21fb_5444_2d18n);
cpu.fflags = 5;
cpu.frm = 3;

/** What the emulator answers to a read request of register `reg`. */
function requested(reg: number): Uint8Array {
  const { ctl } = inProcessChannel();
  new Int32Array(ctl)[CTL.ARGS + 1] = reg;
  const ctx: CallContext = { access: ACCESS.READ, cpu, setPc: false };
  serveRequest(ctl, REQ.READ_REG, ctx, undefined);
  return getBytes(ctl, CTL.ARGS + 1);
}

Deno.test("a register read in a callback that may read guest state comes from the call's snapshot", () => {
  const regs = new Int32Array(channel.regs);
  snapshotRegisters(regs, cpu);
  // As in an R_REGS callback, but outside a call: a request would throw, the snapshot needs none.
  instance.access = ACCESS.READ;
  instance.inCall = false;
  const handles = api.qemu_plugin_get_registers();
  assertEquals(handles.length, 68);
  for (const [reg, { name, handle }] of handles.entries()) {
    assertEquals(api.qemu_plugin_read_register(handle), requested(reg), name);
  }
  // Without a snapshot the read is a request again (refused here: no call is running).
  Atomics.store(regs, REGS.VALID, 0);
  assertThrows(() => api.qemu_plugin_read_register(handles[10].handle), PluginApiError);
  instance.access = ACCESS.NONE;
});
