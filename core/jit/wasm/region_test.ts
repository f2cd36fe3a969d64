import { assertEquals } from "../../../tests/assert.ts";
import { addi, bne, emit, li, lw, sw } from "../../cpu/_asm_testing.ts";
import { Cpu } from "../../cpu/state.ts";
import { AddressSpace, PROT_EXEC, PROT_READ, PROT_WRITE } from "../../mem/address_space.ts";
import { makeRuntime } from "../runtime.ts";
import { TbCache } from "../tb_cache.ts";
import { compileWasmRegion } from "./region.ts";

const CODE = 0x10000, DATA = 0x20000;

/**
 * A WebAssembly region of one block at CODE that adds 1 to the word at `DATA` three times, the store after the load
 * of its address (which then checks the page for the store too), in memory where DATA's page has `prot`.
 */
function incrementLoop(prot: number) {
  const mem = new AddressSpace(1 << 20);
  mem.mmap(CODE, 4096, PROT_READ | PROT_EXEC, { name: "code", fixed: true });
  mem.mmap(DATA, 4096, prot, { name: "data", fixed: true });
  // DATA holds an instruction, so that it can hold translated code too.
  emit(mem, DATA, [li(10, 7), 0x73]);
  emit(mem, CODE, [lw(5, 11, 0), addi(5, 5, 1), sw(5, 11, 0), addi(31, 31, -1), bne(31, 0, -16), 0x73]);
  const cache = new TbCache(mem, makeRuntime(mem));
  const fn = compileWasmRegion([cache.get(CODE)], cache.rt.wasm!)!;
  const cpu = new Cpu();
  cpu.setXNumber(11, DATA);
  cpu.setXNumber(31, 3);
  return { mem, cache, fn, cpu };
}

Deno.test("a store after a load of its address faults at its own pc on a page the load may only read", () => {
  const { fn, cpu } = incrementLoop(PROT_READ);
  let fault: unknown;
  try {
    fn(cpu);
  } catch (err) {
    fault = err;
  }
  assertEquals(fault !== undefined, true, "the store to a read-only page faulted");
  assertEquals(cpu.pc, CODE + 8); // the sw, not the lw
  assertEquals(cpu.getXNumber(5), li(10, 7) + 1); // the load and the add ran
});

Deno.test("a store after a load of its address invalidates the translated code on its page", () => {
  const { mem, cache, fn, cpu } = incrementLoop(PROT_READ | PROT_WRITE | PROT_EXEC);
  const old = cache.get(DATA); // translated: DATA's page now holds code
  assertEquals(fn(cpu), CODE + 20); // the loop ran out: on to the ecall
  assertEquals(mem.view.getUint32(DATA, true), li(10, 7) + 3);
  assertEquals(old.valid, false, "the block at DATA was invalidated");
  assertEquals(cache.get(DATA) !== old, true, "translated again");
});
