import { assert, assertEquals } from "../../tests/assert.ts";
import { PAGE_SIZE } from "../mem/address_space.ts";
import { E } from "./errno.ts";
import { type SyscallEnv, withEnv } from "./_testing.ts";

const PROT_READ = 1, PROT_WRITE = 2;
const MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20, MAP_FIXED_NOREPLACE = 0x100000;
const O_RDWR = 0o2, O_CREAT = 0o100;

function anon(env: SyscallEnv, len: number, prot = PROT_READ | PROT_WRITE, addr = 0, flags = 0): number {
  return env.call("mmap", addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
}

function openFile(env: SyscallEnv, name: string, content: string, flags = O_RDWR): number {
  Deno.writeTextFileSync(env.path(name), content);
  return env.call("openat", -100, env.str(name), flags | O_CREAT, 0o644);
}

Deno.test(
  "mmap anonymous memory is zeroed, page aligned and accessible",
  withEnv((env) => {
    const a = anon(env, 3 * PAGE_SIZE + 1);
    assert(a > 0 && a % PAGE_SIZE === 0);
    assertEquals(env.mem.findMapping(a)!.end - a, 4 * PAGE_SIZE);
    assert(env.mem.readBytes(a, 4 * PAGE_SIZE).every((b) => b === 0));
    env.mem.writeBytes(a, new Uint8Array([1, 2, 3]));
    const ro = anon(env, PAGE_SIZE, PROT_READ);
    assertEquals(env.call("read", env.call("openat", -100, env.str("/proc/self/maps"), 0), ro, 8), -E.EFAULT);
  }),
);

Deno.test(
  "mmap rejects bad arguments as Linux does",
  withEnv((env) => {
    const ro = openFile(env, "f", "x", 0);
    const cases: [number[], number][] = [
      [[0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0], -E.EINVAL],
      [[0, 4096, PROT_READ, MAP_ANONYMOUS, -1, 0], -E.EINVAL],
      [[0, 4096, PROT_READ, MAP_PRIVATE, -1, 1], -E.EINVAL],
      [[0, 4096, PROT_READ, MAP_PRIVATE, 99, 0], -E.EBADF],
      [[0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0], -E.EACCES],
      [[0x10001, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0], -E.EINVAL],
      [[0, 1 << 30, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0], -E.ENOMEM],
      [[0, 4096, PROT_READ, 0x3 | 0x800000, -1, 0], -E.EOPNOTSUPP],
    ];
    for (const [args, want] of cases) assertEquals(env.call("mmap", ...args), want, `mmap(${args})`);
    const dir = env.call("openat", -100, env.str("."), 0o200000);
    assertEquals(env.call("mmap", 0, 4096, PROT_READ, MAP_PRIVATE, dir, 0), -E.ENODEV);
  }),
);

Deno.test(
  "mmap with MAP_FIXED replaces and MAP_FIXED_NOREPLACE refuses a used range",
  withEnv((env) => {
    const a = anon(env, 3 * PAGE_SIZE);
    env.mem.u8.fill(7, a, a + 3 * PAGE_SIZE);
    assertEquals(anon(env, PAGE_SIZE, PROT_READ | PROT_WRITE, a + PAGE_SIZE, MAP_FIXED), a + PAGE_SIZE);
    assertEquals([env.mem.u8[a], env.mem.u8[a + PAGE_SIZE], env.mem.u8[a + 2 * PAGE_SIZE]], [7, 0, 7]);
    assertEquals(anon(env, PAGE_SIZE, PROT_READ, a, MAP_FIXED_NOREPLACE), -E.EEXIST);
    assertEquals(env.call("munmap", a, PAGE_SIZE), 0);
    assertEquals(anon(env, PAGE_SIZE, PROT_READ, a, MAP_FIXED_NOREPLACE), a);
  }),
);

Deno.test(
  "mmap of a file copies its contents privately, zero past the end",
  withEnv((env) => {
    const fd = openFile(env, "f", "A".repeat(PAGE_SIZE) + "tail");
    const p = env.call("mmap", 0, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    assertEquals(env.text(p, 3), "AAA");
    assertEquals(env.text(p + PAGE_SIZE, 4), "tail");
    assertEquals(env.mem.u8[p + PAGE_SIZE + 4], 0);
    env.mem.writeBytes(p, new TextEncoder().encode("Z"));
    assertEquals(Deno.readTextFileSync(env.path("f"))[0], "A");
    const q = env.call("mmap", 0, PAGE_SIZE, PROT_READ, MAP_PRIVATE, fd, PAGE_SIZE);
    assertEquals(env.text(q, 4), "tail");
    assertEquals(env.mem.findMapping(q)!.name, env.path("f"));
  }),
);

Deno.test(
  "mmap MAP_SHARED writes reach the file and file writes reach the mapping",
  withEnv((env) => {
    const fd = openFile(env, "f", "0123456789");
    const p = env.call("mmap", 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    env.mem.writeBytes(p + 2, new TextEncoder().encode("AB"));
    assertEquals(env.call("msync", p, PAGE_SIZE, 4), 0);
    assertEquals(Deno.readTextFileSync(env.path("f")), "01AB456789");
    // Reading the file through a descriptor sees unsynced changes too.
    env.mem.writeBytes(p, new TextEncoder().encode("x"));
    const buf = env.alloc(16);
    assertEquals(env.call("pread64", fd, buf, 10, 0), 10);
    assertEquals(env.text(buf, 10), "x1AB456789");
    assertEquals(env.call("pwrite64", fd, env.str("pw"), 2, 8), 2);
    assertEquals(env.text(p + 8, 2), "pw");
    // The file never grows through the mapping.
    env.mem.writeBytes(p + 20, new TextEncoder().encode("beyond"));
    assertEquals(env.call("munmap", p, PAGE_SIZE), 0);
    assertEquals(Deno.readTextFileSync(env.path("f")), "x1AB4567pw");
    assertEquals(env.call("msync", p, PAGE_SIZE, 0), -E.ENOMEM);
    assertEquals(env.call("msync", p, PAGE_SIZE, 5), -E.EINVAL);
  }),
);

Deno.test(
  "munmap and mprotect check alignment and mapping as Linux does",
  withEnv((env) => {
    const a = anon(env, 2 * PAGE_SIZE);
    assertEquals(env.call("munmap", a + 1, PAGE_SIZE), -E.EINVAL);
    assertEquals(env.call("munmap", a, 0), -E.EINVAL);
    assertEquals(env.call("mprotect", a, PAGE_SIZE, PROT_READ), 0);
    assertEquals(env.call("read", env.call("openat", -100, env.str("/proc/self/maps"), 0), a, 4), -E.EFAULT);
    assertEquals(env.call("mprotect", a + 1, PAGE_SIZE, PROT_READ), -E.EINVAL);
    assertEquals(env.call("mprotect", a, PAGE_SIZE, 0x40), -E.EINVAL);
    assertEquals(env.call("munmap", a, PAGE_SIZE), 0);
    assertEquals(env.call("munmap", a, PAGE_SIZE), 0);
    assertEquals(env.call("mprotect", a, 2 * PAGE_SIZE, PROT_READ), -E.ENOMEM);
    assertEquals(env.call("mprotect", a, 0, PROT_READ), 0);
  }),
);

Deno.test(
  "mremap shrinks, grows in place or moves, keeping contents",
  withEnv((env) => {
    const a = anon(env, 2 * PAGE_SIZE);
    env.mem.u8.fill(9, a, a + 2 * PAGE_SIZE);
    // A neighbour right after forces a move.
    anon(env, PAGE_SIZE, PROT_READ, a + 2 * PAGE_SIZE, MAP_FIXED);
    assertEquals(env.call("mremap", a, 2 * PAGE_SIZE, 4 * PAGE_SIZE, 0), -E.ENOMEM);
    const b = env.call("mremap", a, 2 * PAGE_SIZE, 4 * PAGE_SIZE, 1);
    assert(b > 0 && b !== a);
    assertEquals([env.mem.u8[b], env.mem.u8[b + 2 * PAGE_SIZE - 1], env.mem.u8[b + 2 * PAGE_SIZE]], [9, 9, 0]);
    assertEquals(env.mem.findMapping(a), undefined);
    assertEquals(env.call("mremap", b, 4 * PAGE_SIZE, PAGE_SIZE, 0), b);
    assertEquals(env.mem.findMapping(b + PAGE_SIZE), undefined);
    // Grown in place twice: the two pieces still count as one mapping.
    assertEquals(env.call("mremap", b, PAGE_SIZE, 2 * PAGE_SIZE, 0), b);
    assertEquals(env.call("mremap", b, 2 * PAGE_SIZE, PAGE_SIZE, 0), b);
    const target = anon(env, 4 * PAGE_SIZE);
    assertEquals(env.call("mremap", b, PAGE_SIZE, PAGE_SIZE, 3, target + PAGE_SIZE), target + PAGE_SIZE);
    assertEquals(env.mem.u8[target + PAGE_SIZE], 9);
    assertEquals(env.call("mremap", b, PAGE_SIZE, PAGE_SIZE, 0), -E.EFAULT);
    assertEquals(env.call("mremap", target, PAGE_SIZE, PAGE_SIZE, 2, 0), -E.EINVAL);
  }),
);

Deno.test(
  "madvise MADV_DONTNEED zero-fills private memory; other advice succeeds",
  withEnv((env) => {
    const a = anon(env, 2 * PAGE_SIZE);
    env.mem.u8.fill(5, a, a + 2 * PAGE_SIZE);
    assertEquals(env.call("madvise", a, PAGE_SIZE, 4), 0);
    assertEquals([env.mem.u8[a], env.mem.u8[a + PAGE_SIZE]], [0, 5]);
    assertEquals(env.call("madvise", a, PAGE_SIZE, 3), 0);
    assertEquals(env.call("madvise", a, PAGE_SIZE, 7), -E.EINVAL);
    assertEquals(env.call("madvise", a + 1, PAGE_SIZE, 0), -E.EINVAL);
    assertEquals(env.call("munmap", a, 2 * PAGE_SIZE), 0);
    assertEquals(env.call("madvise", a, PAGE_SIZE, 0), -E.ENOMEM);
    const fd = openFile(env, "f", "shared!");
    const s = env.call("mmap", 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    assertEquals(env.call("madvise", s, PAGE_SIZE, 4), 0);
    assertEquals(env.text(s, 7), "shared!");
  }),
);

Deno.test(
  "brk grows and shrinks the heap, never below its start, and returns the old break on failure",
  withEnv((env) => {
    const start = 0x100000;
    env.proc.brkStart = env.proc.brk = start;
    assertEquals(env.call("brk", 0), start);
    assertEquals(env.call("brk", start + 100), start + 100);
    env.mem.writeBytes(start + 50, new Uint8Array([1]));
    assertEquals(env.call("brk", start + 3 * PAGE_SIZE), start + 3 * PAGE_SIZE);
    assertEquals(env.mem.findMapping(start + 2 * PAGE_SIZE)!.name, "[heap]");
    assertEquals(env.call("brk", start - PAGE_SIZE), start + 3 * PAGE_SIZE);
    assertEquals(env.call("brk", start + PAGE_SIZE), start + PAGE_SIZE);
    assertEquals(env.mem.findMapping(start + PAGE_SIZE), undefined);
    assertEquals(env.mem.u8[start + 50], 1);
    // A mapping in the way: the break stays.
    anon(env, PAGE_SIZE, PROT_READ, start + 4 * PAGE_SIZE, MAP_FIXED);
    assertEquals(env.call("brk", start + 8 * PAGE_SIZE), start + PAGE_SIZE);
  }),
);

Deno.test(
  "mlock family and riscv_flush_icache accept valid requests",
  withEnv((env) => {
    const a = anon(env, PAGE_SIZE);
    assertEquals(env.call("mlock", a + 10, 100), 0);
    assertEquals(env.call("munlock", a, PAGE_SIZE), 0);
    assertEquals(env.call("mlock", 0x3000000, PAGE_SIZE), -E.ENOMEM);
    assertEquals(env.call("mlockall", 1), 0);
    assertEquals(env.call("mlockall", 0), -E.EINVAL);
    assertEquals(env.call("munlockall"), 0);
    assertEquals(env.call("mlock2", a, 10, 2), -E.EINVAL);
    assertEquals(env.call("riscv_flush_icache", a, a + PAGE_SIZE, 0), 0);
  }),
);
