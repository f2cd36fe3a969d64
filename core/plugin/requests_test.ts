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

Deno.test("serveRequest reads a payload's length once: one the plugin changes meanwhile is refused or used as checked", async () => {
  // Another thread stands for the plugin's process, which runs while plume serves its request.
  const ctl = request([page], new Uint8Array(8));
  const stop = new SharedArrayBuffer(4);
  const source = `self.onmessage = ({ data }) => {
    const w = new Int32Array(data.ctl), stop = new Int32Array(data.stop);
    self.postMessage("flipping");
    while (Atomics.load(stop, 0) === 0) { w[${PAYLOAD}] = -1; w[${PAYLOAD}] = 8; }
    self.postMessage("stopped");
  };`;
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  const flipper = new Worker(url, { type: "module" });
  const said = () => new Promise((resolve) => (flipper.onmessage = (e) => resolve(e.data)));
  const flipping = said();
  flipper.postMessage({ ctl, stop });
  await flipping;
  let served = 0, refused = 0;
  const other: unknown[] = [];
  for (let i = 0; i < 200_000 && other.length === 0; i++) {
    try {
      serveRequest(ctl, REQ.WRITE_MEM, WRITE, guest);
      served++;
    } catch (err) {
      if (err instanceof PluginFailure) refused++;
      else other.push(err);
    }
  }
  const stopped = said();
  Atomics.store(new Int32Array(stop), 0, 1);
  await stopped;
  flipper.terminate();
  URL.revokeObjectURL(url);
  assertEquals(other, []);
  // Both lengths were seen: the race was run.
  assertEquals(served > 0 && refused > 0, true, `served ${served}, refused ${refused}`);
});
