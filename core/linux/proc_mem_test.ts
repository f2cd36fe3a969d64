import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { AddressSpace, PROT_READ, PROT_WRITE } from "../mem/address_space.ts";
import { SyscallError } from "./errno.ts";
import { MemFile, O_RDWR } from "./open_file.ts";
import { ProcMemFile } from "./proc_mem.ts";
import { Process } from "./process.ts";

Deno.test("/proc/PID/mem reaches nothing once its image is gone: the process ended or ran execve", () => {
  for (const end of ["exit", "execve"] as const) {
    const proc = new Process(new AddressSpace(1 << 24));
    const at = proc.mem.mmap(0, 4096, PROT_READ | PROT_WRITE, { name: "data" });
    proc.mem.u8[at] = 9;
    const mem = new ProcMemFile(proc, O_RDWR, "/proc/1/mem");
    const again = mem.reopen(O_RDWR);
    const one = new Uint8Array(1);
    assertEquals([mem.pread(one, at), one[0]], [1, 9]);
    // The space may hold another process's memory, or the new image, by now: Linux's mem answers 0 (its mm is gone).
    if (end === "exit") proc.exitStatus = 0;
    else proc.execs++;
    one[0] = 0;
    for (const f of [mem, again]) {
      assertEquals(f.pread(one, at), 0, end);
      assertEquals(f.pwrite(new Uint8Array([1]), at), 0, end);
    }
    assertEquals([one[0], proc.mem.u8[at]], [0, 9]);
  }
});

Deno.test("/proc/PID/mem forces writes into private pages, not into a shared mapping the guest may not write", () => {
  const proc = new Process(new AddressSpace(1 << 24));
  const at = proc.mem.mmap(0, 8192, PROT_READ, { name: "two" });
  // The second page maps a file shared and read-only.
  const file = new MemFile(new Uint8Array(4096), "/tmp/f");
  proc.sharedMaps.add(at + 4096, 4096, file, 0);
  const mem = new ProcMemFile(proc, O_RDWR, "/proc/1/mem");
  // The private page is written; the write stops where the shared one begins, and one starting there is EIO.
  assertEquals(mem.pwrite(new Uint8Array(8).fill(7), at + 4092), 4);
  assertEquals(proc.mem.u8[at + 4095], 7);
  assertEquals(proc.mem.u8[at + 4096], 0);
  assertThrows(() => mem.pwrite(new Uint8Array([7]), at + 4096), SyscallError);
  // Reading it is as any page's.
  assertEquals(mem.pread(new Uint8Array(8), at + 4096), 8);
});
