/**
 * Guest memory as the debugger reads and writes it (`m`, `M`, `X`), with
 * the guest's page protections: reading needs `PROT_READ`, writing
 * `PROT_WRITE`, as qemu-user's stub checks them (software breakpoints are
 * `Z0` packets, not writes to the code). A write to translated code drops
 * its translations, as a guest store would.
 *
 * @module
 */

import { type AddressSpace, PAGE_SHIFT, PAGE_SIZE, PROT_READ, PROT_WRITE } from "../mem/address_space.ts";

/** Bytes the stub reads at most per `m` packet (the reply must fit `PacketSize`). */
const MAX_READ = 0x1000;

function allowed(mem: AddressSpace, addr: number, len: number, prot: number): number {
  // The readable (or writable) prefix of [addr, addr + len).
  if (!Number.isSafeInteger(addr) || addr < 0 || addr >= mem.size) return 0;
  const end = Math.min(addr + len, mem.size);
  let at = addr;
  while (at < end) {
    if ((mem.pages[at >>> PAGE_SHIFT] & prot) === 0) break;
    at = Math.min(((at >>> PAGE_SHIFT) + 1) * PAGE_SIZE, end);
  }
  return at - addr;
}

/**
 * The readable bytes from `addr`, at most `len` (fewer where an unreadable
 * page begins; none when the first byte is not readable).
 *
 * @param mem guest memory
 * @param addr first byte
 * @param len bytes wanted
 * @returns the bytes (a copy)
 *
 * @example
 * ```ts
 * import { readMemory } from "./memory.ts";
 * import { AddressSpace, PROT_READ } from "../mem/address_space.ts";
 * import { strictEqual } from "node:assert";
 * const mem = new AddressSpace(1 << 24);
 * const at = mem.mmap(0, 4096, PROT_READ, { name: "data" });
 * strictEqual(readMemory(mem, at + 4090, 16).length, 6); // the next page is not mapped
 * strictEqual(readMemory(mem, 0, 4).length, 0);
 * ```
 */
export function readMemory(mem: AddressSpace, addr: number, len: number): Uint8Array {
  const n = allowed(mem, addr, Math.min(len, MAX_READ), PROT_READ);
  return mem.u8.slice(addr, addr + n);
}

/**
 * Writes `data` at `addr` when every byte is writable; false (nothing
 * written) otherwise.
 *
 * @param mem guest memory
 * @param addr first byte
 * @param data the bytes
 * @returns whether they were written
 *
 * @example
 * ```ts
 * import { writeMemory } from "./memory.ts";
 * import { AddressSpace, PROT_READ } from "../mem/address_space.ts";
 * import { strictEqual } from "node:assert";
 * const mem = new AddressSpace(1 << 24);
 * const at = mem.mmap(0, 4096, PROT_READ, { name: "rodata" });
 * strictEqual(writeMemory(mem, at, new Uint8Array([1])), false);
 * ```
 */
export function writeMemory(mem: AddressSpace, addr: number, data: Uint8Array): boolean {
  if (data.length === 0) return true;
  if (allowed(mem, addr, data.length, PROT_WRITE) !== data.length) return false;
  mem.u8.set(data, addr);
  mem.noteWrite(addr, data.length);
  return true;
}
