import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { Cpu } from "../cpu/state.ts";
import { SymbolTable } from "../elf/symbols.ts";
import { AddressSpace, PROT_READ, PROT_WRITE } from "../mem/address_space.ts";
import { CTL, inProcessChannel, PAYLOAD, PluginFailure, putBytes, REQ } from "./channel.ts";
import { ACCESS, type CallContext, MAX_MEMORY_REQUEST, NO_ACCESS, serveRequest } from "./requests.ts";

const mem = new AddressSpace(1 << 24);
const page = mem.mmap(0, 4096, PROT_READ | PROT_WRITE, { name: "test" });
const guest = { mem, symbols: new SymbolTable() };
const cpu = new Cpu();
cpu.setXNumber(10, 42);
const tb = { pc: 0x1000, pcs: [0x1000], raws: [0x13], insns: [undefined] } as never;

/** A control block holding request `code` with argument words `args` (and payload bytes). */
function request(args: number[], payload?: Uint8Array): ArrayBufferLike {
  const { ctl } = inProcessChannel();
  const ci = new Int32Array(ctl);
  args.forEach((a, i) => (ci[CTL.ARGS + 1 + i] = a));
  if (payload) putBytes(ctl, PAYLOAD, payload);
  return ctl;
}

const READ: CallContext = { access: ACCESS.READ, cpu, setPc: false };
const WRITE: CallContext = { access: ACCESS.WRITE, cpu, setPc: true };
const TRANS: CallContext = { access: ACCESS.NONE, tb, setPc: false };

Deno.test("serveRequest answers what the callback's rights allow", () => {
  assertEquals(serveRequest(request([10]), REQ.READ_REG, READ, guest), true);
  assertEquals(serveRequest(request([page, 8]), REQ.READ_MEM, READ, guest), true);
  assertEquals(serveRequest(request([10], new Uint8Array(8).fill(1)), REQ.WRITE_REG, WRITE, guest), true);
  assertEquals(cpu.getX(10), 0x0101010101010101n);
  assertEquals(serveRequest(request([page], new Uint8Array([9])), REQ.WRITE_MEM, WRITE, guest), true);
  assertEquals(mem.readBytes(page, 1)[0], 9);
  assertEquals(serveRequest(request([]), REQ.DISAS, TRANS, guest), true);
  // An unreadable address is an answer (the plugin sees null), not a violation.
  const ctl = request([0x10, 8]);
  assertEquals(serveRequest(ctl, REQ.READ_MEM, READ, guest), true);
  assertEquals(new Int32Array(ctl)[CTL.ARGS + 1], -1);
});

Deno.test("serveRequest refuses, as a plugin failure, whatever the callback's rights do not allow", () => {
  const cases: [string, number, number[], CallContext, Uint8Array?][] = [
    ["memory read in a translation callback (the guest's argv)", REQ.READ_MEM, [page, 8], TRANS],
    ["memory write in a translation callback", REQ.WRITE_MEM, [page], TRANS, new Uint8Array([1])],
    ["register read in a flush or atexit callback", REQ.READ_REG, [10], NO_ACCESS],
    ["register write from an R_REGS callback", REQ.WRITE_REG, [10], READ, new Uint8Array(8)],
    ["memory write from an R_REGS callback", REQ.WRITE_MEM, [page], READ, new Uint8Array([1])],
    ["disassembly outside a translation", REQ.DISAS, [], WRITE],
    ["a register that does not exist", REQ.READ_REG, [68], READ],
    ["the pc as a register", REQ.WRITE_REG, [32], WRITE, new Uint8Array(8)],
    ["a short register value", REQ.WRITE_REG, [10], WRITE, new Uint8Array(2)],
    ["a huge memory read", REQ.READ_MEM, [page, MAX_MEMORY_REQUEST + 1], READ],
    ["a negative length", REQ.READ_MEM, [page, -5], READ],
    ["an unknown request", 99, [], WRITE],
  ];
  for (const [what, code, args, ctx, payload] of cases) {
    let threw: unknown;
    try {
      serveRequest(request(args, payload), code, ctx, guest);
    } catch (err) {
      threw = err;
    }
    assertEquals(threw instanceof PluginFailure && threw.message.startsWith("the plugin asked to"), true, what);
  }
  // A forged payload length cannot make plume read past the payload area.
  const forged = request([page]);
  new Int32Array(forged)[PAYLOAD] = 1 << 30;
  assertThrows(() => serveRequest(forged, REQ.WRITE_MEM, WRITE, guest), PluginFailure, "bytes");
});
