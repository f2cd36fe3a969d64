/**
 * Hostile executables end to end: the ones that made plume hang, run out of
 * memory or refuse a valid program (core/elf/elf_test.ts and loader_test.ts
 * test every case at the module level). Refused files give one line and
 * status 1; files qemu-riscv64 runs are compared with it when it is there.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { busyboxPath, qemuAvailable, runPlume, runQemu, tempDir } from "./harness.ts";
import { CODE, executable, STATUS, withSymbols } from "../core/elf/_elf_testing.ts";
import { ET_DYN, PT_INTERP } from "../core/elf/elf.ts";

const dec = new TextDecoder();

async function file(name: string, bytes: Uint8Array): Promise<string> {
  const path = `${await tempDir("plume-elf-")}/${name}`;
  await Deno.writeFile(path, bytes, { mode: 0o755 });
  return path;
}

/** Refused files: what is wrong, the file, what plume says after "plume: PATH: ", what qemu says (if it refuses). */
const REFUSED: [what: string, bytes: () => Uint8Array, message: string, qemu?: string][] = [
  [
    // Took 59 s before the guest's first instruction.
    "65,000 PT_LOAD segments",
    () =>
      executable({
        segments: () => [
          {},
          ...Array.from({ length: 64_999 }, (_, i) => ({ vaddr: 0x200000 + 0x2000 * i, filesz: 0, memsz: 0x1000 })),
        ],
      }),
    "too many program headers (65000, at most 1170)",
    "Error mapping file: Cannot allocate memory",
  ],
  [
    // Wrote 1.1 GB of zeros.
    "two 1 GiB segments at one address",
    () =>
      executable({
        segments:
          () => [{}, { vaddr: 0x100000, filesz: 0, memsz: 1 << 30 }, { vaddr: 0x100000, filesz: 0, memsz: 1 << 30 }],
      }),
    "segment 2 at 0x100000 overlaps or precedes segment 1",
  ],
  [
    // Was run with "/bin" as its interpreter ("Is a directory").
    "an unterminated PT_INTERP",
    () => {
      const path = new TextEncoder().encode("/bin");
      return executable({
        tail: path,
        segments: (l) => [{ type: PT_INTERP, flags: 4, offset: l.tail, filesz: path.length }, {}],
      });
    },
    "invalid PT_INTERP entry (no NUL at its end)",
    "Invalid PT_INTERP entry",
  ],
];

for (const [what, bytes, message, qemu] of REFUSED) {
  Deno.test(`plume refuses an executable with ${what} in one line, status 1`, async () => {
    const path = await file("prog", bytes());
    const r = await runPlume([path]);
    const err = dec.decode(r.stderr);
    assertEquals([r.status, dec.decode(r.stdout)], [1, ""], err);
    assertMatch(err, /^plume: [^\n]+\n$/);
    assertStringIncludes(err, `plume: ${path}: ${message}`);
    if (qemu && qemuAvailable()) assertStringIncludes(dec.decode((await runQemu([path])).stderr), qemu);
  });
}

/** Files plume used to crash on or refuse, which run as under qemu: exit status 7. */
const RUN: [what: string, bytes: () => Uint8Array][] = [
  [
    // V8 aborted, out of memory at 4.3 GB, after 16 s.
    "20,000 symbols naming suffixes of one 500 KB string",
    () => {
      const strtab = new Uint8Array(500_001).fill(0x61, 0, 500_000);
      return withSymbols(Array.from({ length: 20_000 }, (_, i) => ({ name: i, value: 0x10000 + i })), strtab);
    },
  ],
  [
    // Refused ("segments at 0x40000000-0x140000088 do not fit"): its lowest address was truncated to 32 bits.
    "a position-independent program linked above 4 GiB",
    () => executable({ type: ET_DYN, entry: 2 ** 32 + CODE, segments: () => [{ vaddr: 2 ** 32 }] }),
  ],
];

for (const [what, bytes] of RUN) {
  Deno.test(`plume runs ${what}`, async () => {
    const path = await file("prog", bytes());
    const r = await runPlume([path]);
    assertEquals([r.status, dec.decode(r.stderr)], [STATUS, ""]);
    if (qemuAvailable()) assert((await runQemu([path])).status === STATUS, "qemu's status");
  });
}

Deno.test("plume runs a program whose file holds 1.5 GiB after what it loads (debugging sections), reading none of it", async () => {
  // Refused before ("larger than 1073741824 bytes"; at 900 MB it was read whole: 0.97 GB of memory and 4.5 s).
  const path = await file("prog", executable({}));
  await Deno.truncate(path, 1.5 * 2 ** 30); // sparse: no disk space
  try {
    // -d in_asm reads the symbols too: the whole file is too large for that, and the lines have no names.
    const r = await runPlume(["-d", "in_asm", path]);
    assertEquals(r.status, STATUS, dec.decode(r.stderr));
    assertMatch(dec.decode(r.stderr), /^-{16}\nIN: \n/);
    if (qemuAvailable()) assertEquals((await runQemu([path])).status, STATUS, "qemu's status");
  } finally {
    await Deno.remove(path);
  }
});

// Used to end the whole plume run with "plume: PATH: ... do not fit" and status 1: the loader refused the file after
// execve's point of no return, when the calling program (a shell here) was already gone.
Deno.test("execve of a program that cannot be laid out fails with ENOEXEC and the caller goes on", async (t) => {
  const busybox = busyboxPath();
  if (!busybox) {
    return void t.step({ name: "busybox not fetched (build/fetch_debian.sh busybox-static)", ignore: true, fn() {} });
  }
  const dir = await tempDir("plume-elf-");
  await Deno.writeFile(`${dir}/bad_exec`, executable({ segments: () => [{ vaddr: 0x8000_0000 }] }), { mode: 0o755 });
  // A script whose interpreter is that program: not one for the host to run either (it used to run there).
  await Deno.writeTextFile(`${dir}/script`, `#!${dir}/bad_exec\necho the script body\n`, { mode: 0o755 });
  for (const name of ["bad_exec", "script"]) {
    const argv = [busybox, "sh", "-c", `./${name}; echo done`];
    const r = await runPlume(argv, { cwd: dir, flags: ["-strace"] });
    const err = dec.decode(r.stderr);
    assertEquals(r.status, 0, err);
    assertStringIncludes(dec.decode(r.stdout), "done\n");
    assertMatch(execveResult(err, name), / = -1 errno=8 \(Exec format error\)/, err);
    assert(!/^plume: /m.test(err), err);
    if (qemuAvailable()) {
      const qemuErr = dec.decode((await runQemu(argv, { cwd: dir, flags: ["-strace"] })).stderr);
      assertMatch(execveResult(qemuErr, name), / = -1 errno=8 \(Exec format error\)/, qemuErr);
    }
  }
});

/**
 * What `-strace` printed between the call `execve("./NAME", …)` and that
 * process's next call: its result, and whatever other processes wrote
 * meanwhile. Processes share the stream, so another's output, whole lines
 * included, may come between a call and its result (qemu's did; plume's
 * parent once printed the end of its `clone` line there), and even between a
 * call's pid and its name (qemu once printed `PID wait4(…)execve("./script",…`,
 * the parent's call after the child's pid): the next call is the next line
 * with that pid when the call had one, and never past the next `execve`.
 */
function execveResult(strace: string, name: string): string {
  const call = new RegExp(`(?:(\\d+) )?execve\\("\\./${name}",\\{"\\./${name}",NULL\\}\\)`).exec(strace);
  assert(call, `no execve of ./${name} in:\n${strace}`);
  let after = strace.slice(call.index + call[0].length);
  const nextExecve = after.indexOf("execve(");
  if (nextExecve >= 0) after = after.slice(0, nextExecve);
  const next = call[1] === undefined ? -1 : after.indexOf(`\n${call[1]} `);
  return next < 0 ? after : after.slice(0, next);
}

Deno.test("execveResult finds a call's result in interleaved -strace output", () => {
  // What qemu-riscv64 printed in a CI run: the parent's wait4 came between the child's pid and its execve.
  const qemu = [
    "10275 rt_sigprocmask(SIG_SETMASK,0x0000004000800100,NULL) = 0",
    "10275  = 10275",
    "10272 rt_sigprocmask(SIG_SETMASK,0x0000004000800100,NULL) = 0",
    '10275 wait4(-1,274886295900,0,0,0,0)execve("./script",{"./script",NULL}) = -1 errno=8 (Exec format error)',
    '10275 execve("/proc/self/exe",{"ash","./script",NULL}) = -1 errno=8 (Exec format error)',
  ].join("\n");
  assertEquals(execveResult(qemu, "script"), " = -1 errno=8 (Exec format error)\n10275 ");
  // The result after another process's whole line; the next call of the same process ends it.
  const plume = [
    '7 execve("./bad_exec",{"./bad_exec",NULL})',
    "5 clone(…) = 7",
    " = -1 errno=8 (Exec format error)",
    "7 write(2,0x1,4) = 4",
  ].join("\n");
  assertEquals(execveResult(plume, "bad_exec"), "\n5 clone(…) = 7\n = -1 errno=8 (Exec format error)");
});
