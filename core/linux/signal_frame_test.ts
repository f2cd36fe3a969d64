import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { Cpu } from "../cpu/state.ts";
import { AddressSpace, GuestMemoryError, PROT_READ, PROT_WRITE } from "../mem/address_space.ts";
import {
  BadFrame,
  encodeSiginfo,
  FRAME_SIZE,
  frameSize,
  readSigframe,
  RISCV_V_MAGIC,
  SC_EXT_HDR,
  SC_FCSR,
  SC_FPREGS,
  SC_RESERVED,
  SIGINFO_SIZE,
  UC_MCONTEXT,
  UC_OFFSET,
  UC_SIGMASK,
  UC_STACK,
  V_BLOCK_SIZE,
  writeSigframe,
} from "./signal_frame.ts";
import { SI_KERNEL, SI_QUEUE, SI_TKILL, SI_USER } from "./signals.ts";

Deno.test("the signal frame has the kernel's layout (glibc's ucontext_t: uc_mcontext at 176, 960 bytes)", () => {
  // Offsets of glibc's riscv64 ucontext_t, printed by a cross-compiled offsetof() program.
  assertEquals([UC_STACK, UC_SIGMASK, UC_MCONTEXT, SC_FPREGS, SIGINFO_SIZE], [16, 40, 176, 256, 128]);
  assertEquals(UC_MCONTEXT + SC_RESERVED + 12, 960, "sizeof(ucontext_t)");
  assertEquals(SC_FCSR, 512);
  assertEquals(FRAME_SIZE, 1088);
  assertEquals(FRAME_SIZE % 16, 0);
});

function machine(): { mem: AddressSpace; frame: number } {
  const mem = new AddressSpace(1 << 22);
  const base = mem.mmap(0, 0x2000, PROT_READ | PROT_WRITE, { name: "" });
  return { mem, frame: base + 0x400 };
}

Deno.test("writeSigframe puts the pc in gregs[0], x1..x31, f0..f31, fcsr, mask and stack where the kernel does", () => {
  const { mem, frame } = machine();
  const cpu = new Cpu();
  cpu.pc = 0x12344;
  for (let i = 1; i < 32; i++) cpu.setX(i, BigInt(i) * 0x0101_0101_0101n - 7n);
  for (let i = 0; i < 32; i++) cpu.setFBits(i, 0x4000_0000_0000_0000n + BigInt(i));
  cpu.fcsr = 0xe3;
  const info = encodeSiginfo({ signo: 11, code: 1, pid: 0, uid: 0, tid: 5, addr: 0xdead0 });
  writeSigframe(mem, frame, cpu, info, { sp: 0x5000, flags: 2, size: 0x1000 }, 0x4242n);
  const v = mem.view, sc = frame + UC_OFFSET + UC_MCONTEXT;
  assertEquals(v.getInt32(frame, true), 11);
  assertEquals(v.getBigUint64(frame + 16, true), 0xdead0n);
  assertEquals(v.getBigUint64(frame + UC_OFFSET + UC_STACK, true), 0x5000n);
  assertEquals(v.getInt32(frame + UC_OFFSET + UC_STACK + 8, true), 2);
  assertEquals(v.getBigUint64(frame + UC_OFFSET + UC_STACK + 16, true), 0x1000n);
  assertEquals(v.getBigUint64(frame + UC_OFFSET + UC_SIGMASK, true), 0x4242n);
  assertEquals(v.getBigUint64(sc, true), 0x12344n);
  assertEquals(v.getBigInt64(sc + 8 * 10, true), 10n * 0x0101_0101_0101n - 7n, "a0 in gregs[10]");
  assertEquals(v.getBigUint64(sc + SC_FPREGS + 8 * 31, true), 0x4000_0000_0000_001fn);
  assertEquals(v.getUint32(sc + SC_FCSR, true), 0xe3);
  assertEquals(v.getUint32(sc + SC_RESERVED, true), 0, "reserved word");
  assertEquals(v.getBigUint64(sc + SC_RESERVED + 4, true), 0n, "END header: magic 0, size 0");
});

Deno.test("readSigframe restores every register from a frame, changes included", () => {
  const { mem, frame } = machine();
  const cpu = new Cpu();
  for (let i = 1; i < 32; i++) cpu.setX(i, -BigInt(i));
  for (let i = 0; i < 32; i++) cpu.setFBits(i, BigInt(i) << 40n);
  cpu.fcsr = 0x21;
  cpu.pc = 0x1000;
  writeSigframe(mem, frame, cpu, new Uint8Array(128), { sp: 0, flags: 2, size: 0 }, 7n);
  // A handler moves the pc on and edits a register in the saved context.
  const sc = frame + UC_OFFSET + UC_MCONTEXT;
  mem.view.setBigUint64(sc, 0x1004n, true);
  mem.view.setBigInt64(sc + 8 * 5, 99n, true);
  const out = new Cpu();
  const saved = readSigframe(mem, frame, out);
  assertEquals(out.pc, 0x1004);
  assertEquals(out.getX(5), 99n);
  for (const i of [1, 2, 10, 31]) assertEquals(out.getX(i), -BigInt(i));
  for (const i of [0, 17, 31]) assertEquals(out.getFBits(i), BigInt(i) << 40n);
  assertEquals(out.fcsr, 0x21);
  assertEquals(saved, { mask: 7n, stack: { sp: 0, flags: 2, size: 0 } });
});

Deno.test("readSigframe refuses a set reserved word and an unmapped frame", () => {
  const { mem, frame } = machine();
  writeSigframe(mem, frame, new Cpu(), new Uint8Array(128), { sp: 0, flags: 2, size: 0 }, 0n);
  mem.view.setUint32(frame + UC_OFFSET + UC_MCONTEXT + SC_RESERVED, 1, true);
  assertThrows(() => readSigframe(mem, frame, new Cpu()), BadFrame);
  assertThrows(() => readSigframe(mem, 0x300000, new Cpu()), GuestMemoryError);
  assertThrows(() => writeSigframe(mem, 0x300000, new Cpu(), new Uint8Array(128), { sp: 0, flags: 0, size: 0 }, 0n));
});

Deno.test("with V the frame carries Linux's V block: 568 bytes after the FP state, then the END header (1664 bytes)", () => {
  // riscv_v_sc_size: struct __riscv_ctx_hdr (8), struct __sc_riscv_v_state (48), 32 registers of vlenb (16) bytes.
  assertEquals(V_BLOCK_SIZE, 568);
  assertEquals(frameSize(false), 1088);
  assertEquals(frameSize(true), 1664);
  const { mem, frame } = machine();
  const cpu = new Cpu();
  cpu.vec.setConfig(3, 0x10, 0);
  cpu.vec.vstart = 1;
  cpu.vec.vxrm = 2;
  cpu.vec.vxsat = 1;
  cpu.vec.v.forEach((_, i, v) => v[i] = i & 0xff);
  writeSigframe(mem, frame, cpu, new Uint8Array(128), { sp: 0, flags: 2, size: 0 }, 0n, true);
  const hdr = frame + UC_OFFSET + UC_MCONTEXT + SC_EXT_HDR;
  assertEquals(hdr - frame, 1080);
  assertEquals([mem.view.getUint32(hdr, true), mem.view.getUint32(hdr + 4, true)], [RISCV_V_MAGIC, 568]);
  const state = [0, 1, 2, 3, 4, 5].map((i) => mem.view.getBigUint64(hdr + 8 + 8 * i, true));
  assertEquals(state, [1n, 3n, 0x10n, 5n, 16n, BigInt(hdr + 56)], "vstart, vl, vtype, vcsr, vlenb, datap");
  assertEquals((hdr + 56) % 16, 0);
  assertEquals(mem.u8.slice(hdr + 56, hdr + 56 + 512), cpu.vec.v);
  assertEquals([mem.view.getUint32(hdr + 568, true), mem.view.getUint32(hdr + 572, true)], [0, 0], "END");
  const vill = new Cpu();
  writeSigframe(mem, frame, vill, new Uint8Array(128), { sp: 0, flags: 2, size: 0 }, 0n, true);
  assertEquals(mem.view.getBigUint64(hdr + 8 + 16, true), 1n << 63n, "vill is vtype's bit 63");
});

Deno.test("readSigframe restores V from the block: registers from datap, vl and vtype as vsetvl, vstart, vcsr", () => {
  const { mem, frame } = machine();
  const cpu = new Cpu();
  cpu.vec.setConfig(3, 0x10, 0);
  writeSigframe(mem, frame, cpu, new Uint8Array(128), { sp: 0, flags: 2, size: 0 }, 0n, true);
  const hdr = frame + UC_OFFSET + UC_MCONTEXT + SC_EXT_HDR, state = hdr + 8;
  // The handler points datap at its own copy of the registers and asks for vl 100 at e8, m2 (VLMAX 32).
  const copy = frame - 0x300;
  for (let i = 0; i < 512; i++) mem.u8[copy + i] = 255 - (i & 0xff);
  mem.view.setBigUint64(state + 40, BigInt(copy), true);
  mem.view.setBigUint64(state + 8, 100n, true);
  mem.view.setBigUint64(state + 16, 0x01n, true);
  mem.view.setBigUint64(state + 24, 6n, true);
  mem.view.setBigUint64(state, 200n, true);
  const out = new Cpu();
  readSigframe(mem, frame, out, true);
  assertEquals(out.vec.v, mem.u8.slice(copy, copy + 512));
  assertEquals([out.vec.vl, out.vec.vtype, out.vec.vill], [32, 1, false]);
  assertEquals([out.vec.vxrm, out.vec.vxsat, out.vec.vstart], [3, 0, 200 & 127]);
  // An illegal vtype (e64, mf2) comes back as vill with vl 0.
  mem.view.setBigUint64(state + 16, 0x1fn, true);
  readSigframe(mem, frame, out, true);
  assertEquals([out.vec.vl, out.vec.vtype, out.vec.vill], [0, 0, true]);
});

Deno.test("readSigframe refuses extension headers Linux refuses, and an unreadable datap", () => {
  const { mem, frame } = machine();
  const hdr = frame + UC_OFFSET + UC_MCONTEXT + SC_EXT_HDR;
  const write = () => writeSigframe(mem, frame, new Cpu(), new Uint8Array(128), { sp: 0, flags: 2, size: 0 }, 0n, true);
  write();
  assertThrows(() => readSigframe(mem, frame, new Cpu(), false), BadFrame); // a V block in a run without V
  mem.view.setUint32(hdr + 4, 567, true);
  assertThrows(() => readSigframe(mem, frame, new Cpu(), true), BadFrame); // a V block of the wrong size
  write();
  mem.view.setUint32(hdr + 568 + 4, 8, true);
  assertThrows(() => readSigframe(mem, frame, new Cpu(), true), BadFrame); // an END header of size 8
  write();
  mem.view.setUint32(hdr, 0x1234, true);
  assertThrows(() => readSigframe(mem, frame, new Cpu(), true), BadFrame); // an unknown magic
  write();
  mem.view.setBigUint64(hdr + 8 + 40, 0x300000n, true);
  assertThrows(() => readSigframe(mem, frame, new Cpu(), true), GuestMemoryError); // datap unmapped
  write();
  readSigframe(mem, frame, new Cpu(), true);
});

Deno.test("encodeSiginfo fills the union member the si_code calls for", () => {
  const word = (b: Uint8Array, off: number) => new DataView(b.buffer).getInt32(off, true);
  const cases: [Parameters<typeof encodeSiginfo>[0], [number, number][]][] = [
    [{ signo: 10, code: SI_USER, pid: 77, uid: 1000, tid: 0 }, [[0, 10], [8, 0], [16, 77], [20, 1000]]],
    [{ signo: 6, code: SI_TKILL, pid: 77, uid: 5, tid: 78 }, [[8, -6], [16, 77], [20, 5]]],
    [{ signo: 12, code: SI_QUEUE, pid: 77, uid: 0, tid: 0, value: 4242n }, [[8, -1], [16, 77], [24, 4242]]],
    [{ signo: 14, code: SI_KERNEL, pid: 0, uid: 0, tid: 0 }, [[8, 0x80], [16, 0]]],
    [{ signo: 7, code: 1, pid: 0, uid: 0, tid: 3, addr: 0x1001 }, [[8, 1], [16, 0x1001], [20, 0]]],
  ];
  for (const [sig, fields] of cases) {
    const b = encodeSiginfo(sig);
    assertEquals(b.length, 128);
    for (const [off, want] of fields) assertEquals(word(b, off), want, `signal ${sig.signo} offset ${off}`);
  }
  const raw = new Uint8Array(128).fill(9);
  assertEquals(encodeSiginfo({ signo: 1, code: -1, pid: 0, uid: 0, tid: 0, info: raw }), raw);
});
