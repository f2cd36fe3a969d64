import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { E } from "./errno.ts";
import { SYS, SYSCALL_NAMES, syscallName } from "./syscall_names.ts";
import { doSyscall, syscallDef } from "./syscalls.ts";
import { withEnv } from "./_testing.ts";

Deno.test("syscallName names riscv64 system calls and nothing else", () => {
  const cases: [number, string | undefined][] = [
    [63, "read"],
    [64, "write"],
    [93, "exit"],
    [222, "mmap"],
    [258, "riscv_hwprobe"],
    [259, "riscv_flush_icache"],
    [435, "clone3"],
    [38, undefined],
    [244, undefined],
    [1000, undefined],
  ];
  for (const [nr, name] of cases) assertEquals(syscallName(nr), name, `nr ${nr}`);
  assertEquals(SYSCALL_NAMES[SYS.openat], "openat");
});

Deno.test("syscallDef finds implemented calls only", () => {
  assertEquals(syscallDef(SYS.write)?.name, "write");
  assertEquals(syscallDef(SYS.rseq), undefined);
  assertEquals(syscallDef(-1), undefined);
});

Deno.test(
  "doSyscall answers unknown numbers with ENOSYS and logs them only under -d unimp",
  withEnv((env) => {
    assertEquals(env.callNr(1000), -E.ENOSYS);
    assertEquals(env.callNr(SYS.rseq), -E.ENOSYS);
    assertEquals(env.log(), "");
  }),
);

Deno.test(
  "doSyscall logs Unsupported syscall like qemu with -d unimp",
  withEnv((env) => {
    assertEquals(env.callNr(SYS.rseq), -E.ENOSYS);
    assertEquals(env.callNr(5000), -E.ENOSYS);
    // A number with high bits set is not a system call, whatever its low bits.
    env.cpu.setX(17, (1n << 32n) | 172n);
    doSyscall(env.proc, env.cpu);
    assertEquals(env.cpu.getXNumber(10), -E.ENOSYS);
    assertEquals(env.log(), "Unsupported syscall: 293\nUnsupported syscall: 5000\nUnsupported syscall: 172\n");
  }, ["unimp"]),
);

Deno.test(
  "doSyscall passes int arguments as their low 32 bits",
  withEnv((env) => {
    // fd 1 with garbage in the upper half of the register, as the kernel's int conversion sees it.
    assertEquals(env.call("fcntl", (0xdeadn << 32n) | 1n, 1), 0);
    assertEquals(env.call("dup", (1n << 32n) | 2n), 3);
  }),
);

Deno.test(
  "doSyscall lets a bug in a handler propagate instead of hiding it as an errno",
  withEnv((env) => {
    env.proc.fds.get = () => {
      throw new TypeError("a bug");
    };
    assertThrows(() => env.call("close", 0), TypeError, "a bug");
  }),
);

Deno.test(
  "doSyscall keeps the pc and writes the result to a0 only",
  withEnv((env) => {
    env.cpu.pc = 0x1234;
    env.cpu.setXNumber(11, 77);
    assertEquals(env.call("getpid"), 4242);
    assertEquals(env.cpu.pc, 0x1234);
    assertEquals(env.cpu.getXNumber(17), SYS.getpid);
  }),
);
