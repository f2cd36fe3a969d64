/**
 * The command line's error policy, end to end: every mistake a user can
 * make gives one clear line on stderr and exit status 1, never a stack
 * trace, and help and version go to stdout with status 0.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { runPlume, tempDir } from "./harness.ts";
import { fileUrlToPath } from "../core/util/file_url.ts";

const GUEST = fileUrlToPath(new URL("./guest/bin/", import.meta.url));
const dec = new TextDecoder();

async function scratch(name: string, bytes: Uint8Array, mode = 0o755): Promise<string> {
  const dir = await tempDir("plume-cli-");
  const path = `${dir}/${name}`;
  await Deno.writeFile(path, bytes, { mode });
  return path;
}

/** An ELF header with the given class, data, type and machine, and nothing after it. */
function elfHeader(opts: { cls?: number; data?: number; type?: number; machine?: number; phnum?: number }): Uint8Array {
  const b = new Uint8Array(64);
  b.set([0x7f, 0x45, 0x4c, 0x46, opts.cls ?? 2, opts.data ?? 1, 1]);
  const dv = new DataView(b.buffer);
  dv.setUint16(16, opts.type ?? 2, true);
  dv.setUint16(18, opts.machine ?? 243, true);
  dv.setBigUint64(32, 64n, true);
  dv.setUint16(54, 56, true);
  dv.setUint16(56, opts.phnum ?? 4, true);
  return b;
}

/** Asserts one line on stderr starting with "plume: " that contains `text`, status 1, nothing on stdout. */
function assertOneLineError(r: { stdout: Uint8Array; stderr: Uint8Array; status: number }, text: string): void {
  const err = dec.decode(r.stderr);
  assertEquals(r.status, 1, err);
  assertEquals(dec.decode(r.stdout), "");
  assertMatch(err, /^plume: [^\n]+\n$/, `expected exactly one line, got ${JSON.stringify(err)}`);
  assertStringIncludes(err, text);
  assert(!/\bat .*:\d+:\d+/.test(err), `stack trace in ${err}`);
}

const cases: [string, () => string[] | Promise<string[]>, string][] = [
  ["an unknown option", () => ["-bogus", `${GUEST}hello_asm`], "Unknown option '-bogus'"],
  ["a missing option argument", () => ["-L"], "Missing argument for option '-L'"],
  ["no program", () => [], "No program specified"],
  ["an unknown log item", () => ["-d", "nonsense", `${GUEST}hello_asm`], "Unknown log item 'nonsense'"],
  ["a bad seed", () => ["-seed", "x1", `${GUEST}hello_asm`], "Invalid seed number 'x1'"],
  ["a missing program", () => ["/nonexistent/prog"], "/nonexistent/prog: No such file or directory"],
  ["a directory", () => [GUEST], "Is a directory"],
  ["an unreadable file", async () => [await scratch("secret", elfHeader({}), 0o000)], "Permission denied"],
  [
    "a text file",
    async () => [await scratch("text", new TextEncoder().encode("#!/bin/sh\necho hi\n"))],
    "not an ELF file",
  ],
  ["an empty file", async () => [await scratch("empty", new Uint8Array())], "not an ELF file"],
  ["a 32-bit ELF", async () => [await scratch("elf32", elfHeader({ cls: 1 }))], "not a 64-bit little-endian ELF"],
  ["a big-endian ELF", async () => [await scratch("elfbe", elfHeader({ data: 2 }))], "not a 64-bit little-endian ELF"],
  [
    "an x86-64 ELF",
    async () => [await scratch("x86", elfHeader({ machine: 62 }))],
    "not a RISC-V executable (e_machine 62)",
  ],
  ["a relocatable object", async () => [await scratch("obj", elfHeader({ type: 1 }))], "not an executable (e_type 1)"],
  ["truncated program headers", async () => [await scratch("trunc", elfHeader({}))], "program headers out of bounds"],
];

for (const [what, argv, message] of cases) {
  // Root can read a mode-000 file, so that case cannot be checked as root.
  const asRoot = what === "an unreadable file" && Deno.uid() === 0;
  Deno.test({
    name: `plume rejects ${what} with one clear line and status 1${asRoot ? " (skipped: root reads any file)" : ""}`,
    ignore: asRoot,
    fn: async () => assertOneLineError(await runPlume(await argv()), message),
  });
}

Deno.test("plume -h and -version print to stdout with status 0", async () => {
  const help = await runPlume(["-h"]);
  assertEquals(help.status, 0);
  assertStringIncludes(dec.decode(help.stdout), "usage: plume [options] program [arguments...]");
  const version = await runPlume(["-version"]);
  assertEquals(version.status, 0);
  assertMatch(dec.decode(version.stdout), /^plume version \d+\.\d+\.\d+/);
  const items = await runPlume(["-d", "help"]);
  assertEquals(items.status, 0);
  assertStringIncludes(dec.decode(items.stdout), "in_asm");
});

Deno.test("plume -d in_asm logs each new block in QEMU's layout", async () => {
  const r = await runPlume(["-d", "in_asm", `${GUEST}hello_asm`]);
  assertEquals(r.status, 7);
  const log = dec.decode(r.stderr);
  const first = log.split("\n\n")[0].split("\n");
  assertEquals(first[0], "----------------");
  assertMatch(first[1], /^IN: \S*$/);
  for (const line of first.slice(2)) {
    assertMatch(line, /^0x[0-9a-f]{16}: {2}[0-9a-f]{4}(?:[0-9a-f]{4})? +[a-z][a-z0-9.]* *\S*/);
  }
});

Deno.test("plume -d exec,cpu traces every block with registers; -d page lists the mappings; -d strace is -strace", async () => {
  const r = await runPlume(["-d", "exec,cpu,page,strace", `${GUEST}hello_asm`]);
  assertEquals(r.status, 7);
  const log = dec.decode(r.stderr);
  assertMatch(log, /^start {12}end {14}size {13}prot\n[0-9a-f]{16}-[0-9a-f]{16} [0-9a-f]{16} r-x\n/);
  const traces = log.match(/^Trace 0: 0x[0-9a-f]+ \[0{16}\/[0-9a-f]{16}\/0{8}\/0{8}\] _start$/gm) ?? [];
  assertEquals(traces.length >= 3, true, log);
  assertEquals((log.match(/^ pc {7}[0-9a-f]{16}$/gm) ?? []).length, traces.length);
  assertMatch(log, / x10\/a0 {3}0{16} /);
  assertMatch(log, /^\d+ write\(1,0x[0-9a-f]+,36\) = 36$/m);
});

Deno.test("/proc/self/maps names a program run by a relative path, or through a link, by its absolute path", async () => {
  // syscall_edges reports whether its first mapping's name is an absolute path ending in its own name: run here as
  // ./prog, a link to it, plume named the mapping "./prog".
  const dir = await tempDir("plume-cli-maps-");
  await Deno.symlink(`${GUEST}syscall_edges`, `${dir}/prog`);
  const r = await runPlume(["./prog"], { cwd: dir });
  assertEquals(r.status, 0);
  assertMatch(dec.decode(r.stdout), /^the first mapping's name is an absolute path to this program +1$/m);
});
