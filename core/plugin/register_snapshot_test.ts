/**
 * Register reads in a callback that may read guest state come from the
 * snapshot the emulator writes before the call (no second round trip), and
 * read exactly what the emulator would answer to a request for them.
 */

import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { Cpu } from "../cpu/state.ts";
import { CTL, getBytes, inProcessChannel, PAYLOAD, putBytes, REGS, REQ } from "./channel.ts";
import { ACCESS, type CallContext, type GuestView, serveRequest, snapshotRegisters } from "./requests.ts";
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

cpu.vec.v.forEach((_, i, v) => v[i] = (i * 7) & 0xff);
cpu.vec.vl = 3;
cpu.vec.vtype = 0x10;
cpu.vec.vill = false;
cpu.vec.vxrm = 2;
cpu.vec.vxsat = 1;
cpu.vec.vstart = 5;

/** What the emulator answers to a read request of register `reg` (in a run with V when `vector`). */
function requested(reg: number, vector = false): Uint8Array {
  const { ctl } = inProcessChannel();
  new Int32Array(ctl)[CTL.ARGS + 1] = reg;
  const ctx: CallContext = { access: ACCESS.READ, cpu, setPc: false };
  serveRequest(ctl, REQ.READ_REG, ctx, vector ? { vector } as GuestView : undefined);
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

Deno.test("with V the snapshot and requests give v0-v31 (VLENB bytes) and the vector CSRs (8 bytes), and only then", () => {
  const regs = new Int32Array(channel.regs);
  regs[REGS.VLENB] = 16;
  snapshotRegisters(regs, cpu);
  instance.access = ACCESS.READ;
  instance.inCall = false;
  const handles = api.qemu_plugin_get_registers();
  assertEquals(handles.length, 107);
  for (const [reg, { name, handle }] of handles.entries()) {
    assertEquals(api.qemu_plugin_read_register(handle), requested(reg, true), name);
  }
  const read = (name: string) => api.qemu_plugin_read_register(handles.find((h) => h.name === name)!.handle);
  assertEquals(read("v3"), cpu.vec.v.slice(48, 64));
  const u64 = (b: Uint8Array) => new DataView(b.buffer).getBigUint64(0, true);
  assertEquals(["vstart", "vxsat", "vxrm", "vcsr", "vl", "vtype", "vlenb"].map((n) => u64(read(n))), [
    5n,
    1n,
    2n,
    5n,
    3n,
    0x10n,
    16n,
  ]);
  // vill is vtype's bit 63 (vtype's other bits are 0 then).
  cpu.vec.vill = true;
  cpu.vec.vtype = 0;
  snapshotRegisters(regs, cpu);
  assertEquals(u64(read("vtype")), 1n << 63n);
  assertEquals(requested(105, true), read("vtype"));
  cpu.vec.vill = false;
  cpu.vec.vtype = 0x10;
  // A run without V: neither the list nor the emulator has them.
  regs[REGS.VLENB] = 0;
  assertEquals(api.qemu_plugin_get_registers().length, 68);
  assertThrows(() => requested(68), Error);
  Atomics.store(regs, REGS.VALID, 0);
  instance.access = ACCESS.NONE;
});

Deno.test("a plugin writes a vector register and vcsr in an RW_REGS call; vl, vtype and vlenb are read-only", () => {
  const c = new Cpu();
  const write = (reg: number, bytes: Uint8Array) => {
    const { ctl } = inProcessChannel();
    new Int32Array(ctl)[CTL.ARGS + 1] = reg;
    putBytes(ctl, PAYLOAD, bytes);
    serveRequest(ctl, REQ.WRITE_REG, { access: ACCESS.WRITE, cpu: c, setPc: false }, { vector: true } as GuestView);
    return new Int32Array(ctl)[CTL.ARGS + 1];
  };
  assertEquals(write(68 + 31, Uint8Array.from({ length: 16 }, (_, i) => i + 1)), 16);
  assertEquals(c.vec.v.slice(31 * 16), Uint8Array.from({ length: 16 }, (_, i) => i + 1));
  assertEquals(write(103, new Uint8Array([5, 0, 0, 0, 0, 0, 0, 0])), 8);
  assertEquals([c.vec.vxrm, c.vec.vxsat], [2, 1]);
  for (const reg of [104, 105, 106]) assertThrows(() => write(reg, new Uint8Array(8)), Error);
});
