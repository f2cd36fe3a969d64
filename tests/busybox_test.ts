/**
 * Differential tests of Debian's riscv64 busybox (a static glibc binary
 * nobody here wrote): applets that do not fork, over input files generated
 * here with fixed contents, modes and times, compared byte for byte between
 * qemu-riscv64 and plume. Where the right answer is cheap to know (digests,
 * counts, round trips) it is checked too, so the oracle itself is tested.
 *
 * Fetch busybox with `build/fetch_debian.sh busybox-static` or point
 * `PLUME_BUSYBOX` at one. The shell's cases fork (pipelines, subshells,
 * command substitution, background jobs); external programs they run are
 * the host's, as under qemu-user.
 *
 * @module
 */

import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import {
  busyboxPath,
  differential,
  plumeAvailable,
  plumeCommand,
  qemuAvailable,
  runPlume,
  runQemu,
  type RunResult,
  tempDir,
} from "./harness.ts";
import { lutimesSync } from "node:fs";
import { join } from "node:path";
import { fileUrlToPath } from "../core/util/file_url.ts";
import { inheritedDescriptors } from "../core/linux/inherited_fds.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Deterministic pseudo-random numbers (xorshift64*), so fixtures are the same on every machine. */
function rng(seed: bigint): () => number {
  let s = seed;
  return () => {
    s ^= s >> 12n;
    s ^= (s << 25n) & 0xffffffffffffffffn;
    s ^= s >> 27n;
    return Number(((s * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn) >> 32n);
  };
}

const WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa " +
  "quebec romeo sierra tango uniform victor whiskey xray yankee zulu Apple banana Cherry date Elder fig").split(" ");

/** The fixture files, generated once. */
const FIXTURES: Record<string, Uint8Array<ArrayBuffer>> = (() => {
  const r = rng(0x9e3779b97f4a7c15n);
  const lines: string[] = [];
  for (let i = 1; i <= 6000; i++) {
    const w = Array.from({ length: 1 + r() % 6 }, () => WORDS[r() % WORDS.length]);
    lines.push(`${i}\t${WORDS[r() % WORDS.length]}\t${(r() % 20001) - 10000}\t${w.join(" ")}`);
  }
  const data = lines.join("\n") + "\n";
  const bin = new Uint8Array(200 * 1024);
  for (let i = 0; i < bin.length; i++) bin[i] = r() & 0xff;
  const sortedWords = Array.from({ length: 3000 }, () => WORDS[r() % 12]).sort().join("\n") + "\n";
  const nums = Array.from({ length: 500 }, (_, i) => {
    const v = (r() % 100000) - 50000;
    return i % 7 === 0 ? `${v / 100}` : i % 11 === 0 ? `${v}e-2` : `${v}`;
  }).join("\n") + "\n";
  const csv =
    Array.from({ length: 300 }, (_, i) => `${i},${WORDS[i % WORDS.length]},${(i * 37) % 101},${i % 3 ? "y" : "n"}`)
      .join("\n") + "\n";
  const a = Array.from({ length: 200 }, (_, i) => `line ${i} ${WORDS[i % WORDS.length]}`);
  const b = a.map((l, i) => i % 37 === 5 ? l.toUpperCase() : l).filter((_, i) => i !== 100);
  b.splice(150, 0, "an inserted line");
  return {
    "data.txt": enc.encode(data),
    "bin.dat": bin,
    "sorted.txt": enc.encode(sortedWords),
    "nums.txt": enc.encode(nums),
    "data.csv": enc.encode(csv),
    "a.txt": enc.encode(a.join("\n") + "\n"),
    "b.txt": enc.encode(b.join("\n") + "\n"),
    "small.txt": enc.encode("hello world\nHello again\n\tindented line\nlast line without newline"),
    "euros.txt": enc.encode("€".repeat(40_000)),
  };
})();

/** 600 lines `xz line I (I*I mod 97)`, compressed with `xz -9` (busybox's xz only decompresses). */
const XZ_TEXT = Array.from({ length: 600 }, (_, i) => `xz line ${i} ${(i * i) % 97}\n`).join("");
const XZ_FIXTURE = Uint8Array.from(
  atob(
    "/Td6WFoAAATm1rRGAgAhARwAAAAQz1jM4CJZBGNdADwegAXB4BYyPArOZmW5G0SBarkJzvo8KqZuVULqbzRo5enUYuLdCEUibHPQ" +
      "yeqns2ft0JbpV2qnPAsHciva2tejCUFLoTa9ZWjkb7+wQRDABHvaVBTxn/wWyyiRXpax8+a5Fb7VNQmLx3jvb7BNFOp1BWJr3QSi" +
      "qecA1NgnxTE9Wd6HhOnt/aHWQLBntukZ5/NipmX5w0gu+5zhmnQ6l7WKDYf5OnFGkkuUaYr1RjuxXaCU8idBc64qHivSYQ5QDipi" +
      "gBA31L5w/NtcHdFq429hddKIiqWZuvJ1G3DQX/UbtoXqYvwAtBMMknPJAZXHREgwd+zXoLP6RmqUXCIyxdY6JM8jK93z0PS6+78S" +
      "5eBjJ1Xyuxwln66zxX2BL1J3qAE5s/BLnWej/PUkgpH1sj8EYicdlXZzor8Zu7KE0JzrqkthzHkv5EwFGWoK+nb3ytp9bDYoz+7H" +
      "Bhc1Qro2hEG9GVDFExjJjqarTHOzafG2wtrTf+2aGh03wCVurftEKemNt4Bp0RQRfpYhrXRytm0Zt4Lm8SHd+OWu/Wj+Bvq1BHQT" +
      "ngZg6zb7mo2JLhrs187PwB2rFpzA/GVUeovriY5kXyzhz9OBEWWR7An2bciEBhFI5wePCZ6wb3PiQIlXrcGi09PjzKLv/WumL/fS" +
      "m+AfQAnIOa8WjlTQqVuWSFphDO5y5cZBwZ/K0wnvOBRq4Hm/ZghXSsCcKgIW3aZs1bDjb4peJ6uy0bIVomhu7ZyqwVYEtkA/d1Mv" +
      "EDYvcI62I1rJKvxzQdplYnSPJwWx5BFNffhIRvOpSMjpv6OaAeqY3zVgQIZfG8f+vOQV9ccC/Pwaaw6EYjSKaTAmPMmMaAcaCUAo" +
      "LQxpigeDK1EfW+4/1bdKzq6FJa5L7HrcgnWE/zD4DXrcHC5JXBRJgDUpvOnrYJMniafyOFzihORY690gXwVd44IFerfjGOXAE/MP" +
      "Ct1KpDfPsgwYW0/qUAOdJDMjMVVGkh//KNGMKvyof17Qi7gqluJN+ICnnWybUGOw343eucvgQotwuE4ls/4Pf5dHW+tZ3C3dz7hL" +
      "yCLuTKnvvxDX9Qy7wPJsf1sUkuYqCRYiJXdbZcpK2WR+kTTJePtZ8i9FFLUnoqpwrtzRo+OgO6N/sDwBf3xtNqdh5b1iz96e5zig" +
      "8QZZAz7zW7ZVXkkYZKeKiSlvlbP00CqwKgk0Pxzf9Dqkkzly+fc9r2NXf6OmlsiT7VKcXvxjR0K/PXYkPorIDM0KiZZMx/dbYXgL" +
      "J84q2aPpqcE3CqMJbPoVnft10zhXE5Q1RdnWDA+hHrNq8laZHW46LieNNoq7FXTyCBXnjJqZQi28A3BGdvWA5E9gBV8RQLjGKG9y" +
      "nyqo5eYPzqIt83x0Ve383Jdq1Q3Cc/h8QLo4epwXsXr6evaG+d3+2ZNu3p3ZgetVnxxDw8AdS2lFf05wxXK84OtmqxFInPxzcQO3" +
      "31jssW72/BKyRxbBLZbGJan+uQfwGb5zLtJIcSMAAL35ZvuEp88qAAH/CNpEAAAxSJspscRn+wIAAAAABFla",
  ),
  (c) => c.charCodeAt(0),
);

/** A fixed time for every fixture, so `ls -l`, `stat`, `tar` and `diff -u` headers do not depend on when the test ran. */
const FIXED_TIME = new Date("2024-01-02T03:04:05Z");

/** Writes the fixtures, a small tree for ls/find/tar, and a gzip file made by the host. */
async function setup(dir: string): Promise<void> {
  for (const [name, bytes] of Object.entries(FIXTURES)) {
    Deno.writeFileSync(join(dir, name), bytes);
    Deno.chmodSync(join(dir, name), 0o644);
  }
  Deno.writeFileSync(join(dir, "data.txt.gz"), await gzip(FIXTURES["data.txt"]));
  Deno.writeFileSync(join(dir, "text.xz"), XZ_FIXTURE);
  Deno.writeTextFileSync(join(dir, "sums.sha256"), `${await sha("SHA-256", FIXTURES["a.txt"])}  a.txt\n`);
  const tree = join(dir, "tree");
  for (const d of ["", "docs", "docs/old", "src", "empty"]) Deno.mkdirSync(join(tree, d), { recursive: true });
  const files: [string, string, number][] = [
    ["README", "read me\n", 0o644],
    ["docs/guide.txt", "guide\n".repeat(300), 0o644],
    ["docs/old/notes.txt", "old notes\n", 0o600],
    ["src/main.c", "int main(void) { return 0; }\n", 0o644],
    ["src/run.sh", "#!/bin/sh\necho hi\n", 0o755],
  ];
  for (const [path, text, mode] of files) {
    Deno.writeTextFileSync(join(tree, path), text);
    Deno.chmodSync(join(tree, path), mode);
  }
  Deno.symlinkSync("src/main.c", join(tree, "link-to-main"));
  // Times last, deepest first: creating entries changes the parent directory's mtime.
  const all = [...files.map((f) => f[0]), "docs/old", "docs", "src", "empty", "", ...Object.keys(FIXTURES)];
  for (const p of all) {
    const full = Object.hasOwn(FIXTURES, p) ? join(dir, p) : join(tree, p);
    Deno.utimeSync(full, FIXED_TIME, FIXED_TIME);
  }
  for (const p of ["data.txt.gz", "text.xz", "sums.sha256"]) Deno.utimeSync(join(dir, p), FIXED_TIME, FIXED_TIME);
  // The link's own time too (utime follows links): tar records it, and the two runs' fixtures are made apart in time,
  // so across a second boundary the archives differed (seen in CI).
  lutimesSync(join(tree, "link-to-main"), FIXED_TIME, FIXED_TIME);
  // Two files 400 ns apart within one millisecond, timed by the host's touch (Deno sets times to the millisecond).
  Deno.mkdirSync(join(dir, "times"));
  for (const [name, at] of [["a", "1704164645.123456700"], ["c", "1704164645.123457100"]]) {
    Deno.writeTextFileSync(join(dir, "times", name), `${name}\n`);
    const touched = await new Deno.Command("touch", { args: ["-d", `@${at}`, join(dir, "times", name)] }).output();
    if (!touched.success) throw new Error(`touch: ${dec.decode(touched.stderr)}`);
  }
}

async function gzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function sha(algorithm: string, bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest(algorithm, bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

const busybox = busyboxPath();
const skipReason = !qemuAvailable()
  ? "qemu-riscv64 not installed"
  : busybox === undefined
  ? "busybox not fetched: run build/fetch_debian.sh busybox-static"
  : !plumeAvailable()
  ? "main.ts not present"
  : undefined;

interface BbOptions {
  /** Exit status qemu must report. @default 0 */
  status?: number;
  /** Standard input bytes, or a function making them when the test runs. */
  stdin?: Uint8Array | (() => Promise<Uint8Array>);
  /** Compare the working directory after the runs too. */
  compareDir?: boolean;
  /** Extra checks on the (already matching) qemu result. */
  check?: (r: RunResult) => void | Promise<void>;
}

/** Registers one differential test of `busybox ARGS…` run in the fixture directory. */
function bb(args: string[], opts: BbOptions = {}): void {
  const name = `busybox ${args.map((a) => /^[\w.,/=+:%-]*$/.test(a) && a !== "" ? a : JSON.stringify(a)).join(" ")}` +
    (opts.stdin instanceof Uint8Array ? ` <stdin ${opts.stdin.length} bytes>` : opts.stdin ? " <stdin>" : "");
  Deno.test({
    name: skipReason ? `${name} (skipped: ${skipReason})` : name,
    ignore: skipReason !== undefined,
    async fn() {
      const stdin = typeof opts.stdin === "function" ? await opts.stdin() : opts.stdin;
      const r = await differential(name, [busybox!, ...args], {
        setup,
        stdin,
        compareDir: opts.compareDir,
      });
      assertEquals(r.status, opts.status ?? 0, `qemu-riscv64 exit status of ${name}: ${dec.decode(r.stderr)}`);
      await opts.check?.(r);
    },
  });
}

const text = (r: RunResult) => dec.decode(r.stdout);

// Digests: the right answers are known.
for (const [applet, algorithm] of [["sha256sum", "SHA-256"], ["sha1sum", "SHA-1"], ["sha512sum", "SHA-512"]]) {
  bb([applet, "data.txt", "bin.dat"], {
    async check(r) {
      assertEquals(
        text(r),
        `${await sha(algorithm, FIXTURES["data.txt"])}  data.txt\n${await sha(
          algorithm,
          FIXTURES["bin.dat"],
        )}  bin.dat\n`,
      );
    },
  });
}
bb(["md5sum", "data.txt", "bin.dat", "small.txt"]);
// /proc/self/cmdline is the guest's argv (qemu-user's), not the host's, which would name plume or qemu.
bb(["cat", "/proc/self/cmdline"], { check: (r) => assert(text(r).endsWith("\0cat\0/proc/self/cmdline\0"), text(r)) });
bb(["sh", "-c", "cat /proc/self/cmdline; echo; exec cat /proc/self/cmdline"]);
// A descriptor's other names lead to the guest's descriptor, however they are spelled, also relative to
// /proc/self/fd: each named the host process's (Deno's) descriptor of that number before, such as its SQLite caches,
// and /dev/stdin plume's own standard input (found by a red-team pass).
bb(["sh", "-c", "exec 9<data.txt; cat /dev/fd/9 /proc/self/fd//9 /proc/self/./fd/9 /dev//fd/9 /proc//self/fd/../fd/9"]);
bb(["sh", "-c", "cat /dev/stdin < small.txt; { echo to-stderr > /dev/stderr; } 2>err.txt; cat err.txt"]);
bb(["sh", "-c", "exec 3<small.txt; cat /dev/fd/3; cd /proc/self/fd && cat 3 && cd /dev/fd && cat ./3"]);
// lstat of a descriptor's link: the owner's permissions its access gives and size 64, as Linux (plume said 0777, 0).
bb([
  "sh",
  "-c",
  'exec 3<small.txt 4>w 5<>rw; stat -c "%n %A %s" /proc/self/fd/3 /proc/self/fd/4 /proc/self/fd/5 /proc/self/exe',
]);
// ... also through '..' after a host directory and through links the guest makes (second red-team pass); and
// removing or renaming such a name is refused, as Linux does, not done to the file it leads to.
bb(["sh", "-c", "exec 9<small.txt; ln -s /proc/self/fd fds; ln -s /dev/fd/9 nine; cat /etc/../dev/fd/9 fds/9 nine"]);
bb([
  "sh",
  "-c",
  "exec 3<small.txt; rm /proc/self/fd/3 || echo refused; mv /dev/fd/3 moved || echo refused; cat small.txt",
]);
// An argument that is not UTF-8 reaches the program execve starts byte for byte (each bad byte became U+FFFD's three
// bytes). qemu-riscv64 cannot run a RISC-V program from inside one here (no binfmt_misc): Linux's rule is the oracle.
Deno.test({
  name: `busybox sh: execve passes an argument that is not UTF-8 byte for byte${
    skipReason ? ` (skipped: ${skipReason})` : ""
  }`,
  ignore: skipReason !== undefined,
  async fn() {
    const script = 'x=$(printf "a\\377\\303y"); "$0" printf %s "$x" | od -An -tx1';
    const r = await runPlume([busybox!, "sh", "-c", script, busybox!]);
    assertEquals(r.status, 0, dec.decode(r.stderr));
    assertEquals(dec.decode(r.stdout).trim(), "61 ff c3 79");
  },
});
// execve counts the arguments' size in bytes, as they go on the stack: 20 of 40,000 "€" are 2.4 MB, past Linux's
// 2 MiB (E2BIG), where their UTF-16 length (800,000) let them through.
bb([
  "sh",
  "-c",
  'e=$(cat euros.txt); set --; for i in $(seq 20); do set -- "$@" "$e"; done; /proc/self/exe true "$@"; echo "status $?"',
], {
  check: (r) => assert(text(r).includes("status 126"), text(r)),
});

// Listing /proc/self/fd gives the guest's descriptors, as Linux does (the host's directory listed Deno's; qemu-riscv64
// lists its own, which include descriptors of QEMU's: no differential test).
Deno.test({
  name: `busybox ls /proc/self/fd: the guest's descriptors${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  ignore: skipReason !== undefined,
  async fn() {
    for (const list of ["ls /proc/self/fd", "ls /proc/self/../self//fd/", "cd /proc/self/fd && ls", "ls /dev/fd/"]) {
      const r = await runPlume([busybox!, "sh", "-c", `exec 7</dev/null 9>&1; ${list}`]);
      assertEquals(r.status, 0, dec.decode(r.stderr));
      // 0-2, the listing's own descriptor (3), the shell's 7 and 9, and those plume was started with: this test's
      // own that are not close-on-exec (passed on by whatever started it), which plume's process inherits.
      const passedOn = inheritedDescriptors().map((d) => d.fd).filter((fd) => ![3, 7, 9].includes(fd));
      const fds = dec.decode(r.stdout).split("\n").filter(Boolean).map(Number);
      assertEquals(fds.sort((a, b) => a - b), [0, 1, 2, 3, 7, 9, ...passedOn].sort((a, b) => a - b), list);
    }
  },
});

Deno.test({
  name: `busybox sh exec: five #! scripts in a chain run, a sixth is ELOOP, as Linux${
    skipReason ? ` (skipped: ${skipReason})` : ""
  }`,
  ignore: skipReason !== undefined,
  async fn() {
    const dir = await tempDir("plume-chain-");
    const hello = fileUrlToPath(new URL("./guest/bin/hello_asm", import.meta.url));
    // s1 runs under s2, ..., s6 under hello_asm: exec'ing s2 needs five scripts, s1 six.
    for (let i = 1; i <= 6; i++) {
      await Deno.writeTextFile(join(dir, `s${i}`), `#!${i === 6 ? hello : join(dir, `s${i + 1}`)}\n`, { mode: 0o755 });
    }
    const five = await runPlume([busybox!, "sh", "-c", `exec ${join(dir, "s2")}`]);
    assertEquals(dec.decode(five.stdout), "Hello from RISC-V assembly, no libc\n", dec.decode(five.stderr));
    const six = await runPlume([busybox!, "sh", "-c", `exec ${join(dir, "s1")}`]);
    assertEquals(six.stdout.length, 0);
    assertStringIncludes(dec.decode(six.stderr), "Too many levels of symbolic links");
  },
});

/** Arguments quoted for the host's `sh`. */
const shellWords = (args: string[]) => args.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");

/**
 * Runs the host's `sh -c SCRIPT` in `dir` twice, with `input` on its standard input: `script(run, i)` for run 0 with
 * busybox under qemu-riscv64 and run 1 under plume (`run` is that command line, quoted). Each must succeed; returns
 * the two outputs.
 */
async function underHostShell(
  dir: string,
  script: (run: string, i: number) => string,
  input = "",
): Promise<string[]> {
  const outputs = [];
  for (const [i, emulator] of [["qemu-riscv64"], plumeCommand()].entries()) {
    const sh = new Deno.Command("sh", {
      args: ["-c", script(shellWords([...emulator, busybox!]), i)],
      cwd: dir,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const w = sh.stdin.getWriter();
    await w.write(enc.encode(input));
    await w.close();
    const r = await sh.output();
    assertEquals(r.code, 0, dec.decode(r.stderr));
    outputs.push(dec.decode(r.stdout));
  }
  return outputs;
}

// A file on plume's standard input is the host's open file, which the processes after plume share: a guest's seek moves
// the host's offset (head reads a block and seeks back to the end of its line, dd skips by seeking). plume kept an
// offset of its own after a seek, and the host's cat found the file read to its end (found by a differential sweep).
Deno.test({
  name: `busybox head and dd on the host's standard input leave its offset where they stopped${
    skipReason ? ` (skipped: ${skipReason})` : ""
  }`,
  ignore: skipReason !== undefined,
  async fn() {
    const dir = await tempDir("plume-stdin-offset-");
    const file = shellWords([join(dir, "words.txt")]);
    await Deno.writeTextFile(join(dir, "words.txt"), "banana\napple\ncherry\n");
    const outputs = await underHostShell(
      dir,
      (run) =>
        `{ ${run} head -n1; cat; } < ${file}; { ${run} dd bs=1 skip=2 count=3 status=none; echo "|"; cat; } < ${file}`,
    );
    assertEquals(outputs[0], "banana\napple\ncherry\nnan|\na\napple\ncherry\n");
    assertEquals(outputs[1], outputs[0]);
  },
});

// The descriptors above 2 plume is started with are the guest's at the same numbers, as under qemu-user: a file
// (read from its offset), a file written, a pipe, and their names under /proc/self/fd. plume gave the guest only 0-2:
// `cat /dev/fd/3 3<file` and `diff <(a) <(b)` found no such file (found by a differential sweep).
Deno.test({
  name: `busybox on descriptors 3, 4 and 5 plume was started with${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  ignore: skipReason !== undefined,
  async fn() {
    const dir = await tempDir("plume-inherited-");
    const words = join(dir, "words.txt");
    await Deno.writeTextFile(words, "banana\napple\ncherry\n");
    const outputs = await underHostShell(dir, (run, i) => {
      const out = shellWords([join(dir, `out${i}.txt`)]);
      return `read first; ${run} sh -c 'cat /dev/fd/3; echo to4 >&4; readlink /proc/self/fd/3; cat /proc/self/fd/5'` +
        ` 3<${shellWords([words])} 4>${out} 5<&0; cat ${out}`;
    }, "line one\nvia the pipe\n");
    assertEquals(outputs[0], `banana\napple\ncherry\n${words}\nvia the pipe\nto4\n`);
    assertEquals(outputs[1], outputs[0]);
  },
});

// /proc/self/auxv is the guest's auxiliary vector (qemu-user's), not the host's x86 one: the same entries in the same
// order, with the same values but the stack addresses (AT_RANDOM, AT_EXECFN), where plume's stack is not qemu's.
Deno.test({
  name: `busybox od /proc/self/auxv: the guest's auxiliary vector${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  ignore: skipReason !== undefined,
  async fn() {
    const argv = [busybox!, "od", "-An", "-v", "-tx8", "/proc/self/auxv"];
    const entries = (r: RunResult) => {
      const words = dec.decode(r.stdout).trim().split(/\s+/).map((w) => BigInt(`0x${w}`));
      return Array.from({ length: words.length / 2 }, (_, k) => [words[2 * k], words[2 * k + 1]]);
    };
    const [q, p] = [entries(await runQemu(argv)), entries(await runPlume(argv))];
    const AT_RANDOM = 25n, AT_EXECFN = 31n, AT_NULL = 0n;
    assertEquals(p.map(([type]) => type), q.map(([type]) => type));
    assertEquals(q.at(-1), [AT_NULL, 0n]);
    const fixed = (e: bigint[][]) => e.filter(([type]) => type !== AT_RANDOM && type !== AT_EXECFN);
    assertEquals(fixed(p), fixed(q));
  },
});
bb(["sha3sum", "bin.dat"]);
bb(["sha256sum", "-c", "sums.sha256"], { check: (r) => assertEquals(text(r), "a.txt: OK\n") });
bb(["crc32", "bin.dat"]);
bb(["sha256sum"], { stdin: FIXTURES["bin.dat"] });

// Compression round trips.
bb(["gzip", "-c"], { stdin: FIXTURES["data.txt"] });
bb(["gzip", "-9", "-c"], { stdin: FIXTURES["bin.dat"] });
// busybox's zcat always forks a decompressor (even on stdin), so the file case is exercised with gunzip -c.
bb(["gunzip", "-c", "data.txt.gz"], { check: (r) => assert(text(r) === dec.decode(FIXTURES["data.txt"])) });
bb(["gunzip", "-c"], {
  stdin: await gzip(FIXTURES["bin.dat"]),
  check: (r) => assertEquals(r.stdout, FIXTURES["bin.dat"]),
});
bb(["gzip", "-k", "small.txt"], { compareDir: true });
bb(["bzip2", "-c"], { stdin: FIXTURES["data.txt"] });
bb(["bzip2", "-c", "bin.dat"]);
/** bzip2 data for bunzip2, made by busybox under qemu (the host may have no bzip2). */
async function bzip2Fixture(): Promise<Uint8Array> {
  return (await runQemu([busybox!, "bzip2", "-c"], { stdin: FIXTURES["data.txt"] })).stdout;
}
bb(["bunzip2", "-c"], { stdin: bzip2Fixture, check: (r) => assertEquals(r.stdout, FIXTURES["data.txt"]) });
bb(["bzcat"], { stdin: bzip2Fixture, check: (r) => assertEquals(r.stdout, FIXTURES["data.txt"]) });
bb(["xz", "-d", "-c", "text.xz"], { check: (r) => assertEquals(text(r), XZ_TEXT) });
bb(["xzcat"], { stdin: XZ_FIXTURE, check: (r) => assertEquals(text(r), XZ_TEXT) });

// Text processing.
bb(["sort", "data.txt"]);
bb(["sort", "-n", "nums.txt"]);
bb(["sort", "-g", "nums.txt"]);
bb(["sort", "-rn", "-k3,3", "data.txt"]);
bb(["sort", "-t", ",", "-k3n", "-k2", "data.csv"]);
bb(["sort", "-u", "-f", "sorted.txt"]);
bb(["sort", "-s", "-k2,2", "data.txt"]);
bb(["awk", "-F", "\t", '{ s += $3 } END { printf "%d %.3f\\n", s, s / NR }', "data.txt"]);
bb(["awk", "{ n[$2]++ } END { for (k in n) print k, n[k] }", "data.txt"]);
bb(["awk", "-F", ",", "$3 > 50 { print toupper($2), length($2), substr($2, 2, 3) }", "data.csv"]);
// Debian's busybox awk has no math library (exp, sqrt): arithmetic and printf only.
bb([
  "awk",
  'BEGIN { for (i = 1; i <= 20; i++) printf "%g %e %.10f %d\\n", 1 / i, i * i * 1.5e10, 1 / (i + 0.5), i * 7 % 5 }',
]);
bb(["awk", '{ gsub(/a/, "A"); n = split($0, w, " "); print n, w[n] }', "small.txt"]);
bb(["sed", "s/alpha/ALPHA/g; s/\\([0-9]\\)\\([0-9]\\)/\\2\\1/", "data.txt"]);
bb(["sed", "-n", "100,120p; /zulu.*zulu/p", "data.txt"]);
bb(["sed", "y/abc/xyz/; /^1/d", "a.txt"]);
bb(["tr", "a-z", "A-Z"], { stdin: FIXTURES["data.txt"] });
bb(["tr", "-d", "0-9\\t"], { stdin: FIXTURES["data.txt"] });
bb(["tr", "-s", "a-z"], { stdin: FIXTURES["small.txt"] });
bb(["tr", "-cs", "A-Za-z", "\\n"], { stdin: FIXTURES["small.txt"] });
bb(["wc", "data.txt", "bin.dat", "small.txt"]);
bb(["wc", "-l"], {
  stdin: FIXTURES["data.txt"],
  check: (r) => assertEquals(text(r).trim(), "6000"),
});
bb(["wc"], { stdin: FIXTURES["bin.dat"] });
bb(["od", "-A", "x", "-t", "x1", "-c", "-N", "256", "bin.dat"]);
bb(["od", "-t", "d4", "-j", "1000", "-N", "64", "bin.dat"]);
bb(["hexdump", "-C", "-n", "512", "-s", "100", "bin.dat"]);
bb(["xxd", "-l", "256", "bin.dat"]);
bb(["cat", "small.txt", "a.txt"]);
bb(["cat", "-n", "small.txt"]);
bb(["cat"], { stdin: FIXTURES["bin.dat"], check: (r) => assertEquals(r.stdout, FIXTURES["bin.dat"]) });
bb(["head", "-n", "7", "data.txt"]);
bb(["head", "-c", "1000", "bin.dat"]);
bb(["tail", "-n", "5", "data.txt"]);
bb(["tail", "-c", "333", "bin.dat"]);
bb(["tail", "-n", "+5990", "data.txt"]);
bb(["cut", "-f", "2,4", "data.txt"]);
bb(["cut", "-d", ",", "-f", "1,3", "data.csv"]);
bb(["cut", "-c", "1-8,12-", "a.txt"]);
bb(["seq", "1", "10"]);
bb(["seq", "-w", "0", "7", "100"]);
bb(["seq", "-s", ",", "1.5", "0.25", "4"]);
bb(["base64", "bin.dat"], {
  check: (r) => {
    const decoded = atob(text(r).replace(/\n/g, ""));
    assertEquals(decoded.length, FIXTURES["bin.dat"].length);
  },
});
bb(["base64", "-d"], { stdin: enc.encode(btoa("plume base64 round trip\n")) });
bb(["uniq", "-c", "sorted.txt"]);
bb(["uniq", "-d", "a.txt"]);
bb(["uniq", "-u", "-i", "sorted.txt"]);
bb(["grep", "-c", "zulu", "data.txt"]);
bb(["grep", "-n", "-i", "-m", "20", "apple", "data.txt"]);
bb(["grep", "-v", "-c", "a", "data.txt"]);
bb(["grep", "-o", "-w", "-E", "[A-Z][a-z]+", "data.txt"]);
bb(["egrep", "^[0-9]+\t(alpha|zulu)\t-", "data.txt"]);
bb(["fgrep", "-x", "line 42 kilo", "a.txt"]);
bb(["grep", "nothing-matches-this", "data.txt"], { status: 1 });
bb(["fold", "-w", "17", "small.txt"]);
bb(["nl", "a.txt"]);
bb(["paste", "a.txt", "b.txt"]);
bb(["paste", "-s", "-d", ",", "small.txt"]);
bb(["rev", "a.txt"]);
bb(["tac", "a.txt"]);
bb(["strings", "-n", "6", "bin.dat"]);
bb(["expand", "-t", "4", "data.txt"]);

// Comparing files.
bb(["cmp", "a.txt", "a.txt"]);
bb(["cmp", "a.txt", "b.txt"], { status: 1 });
bb(["cmp", "-l", "data.txt", "data.txt"]);
bb(["diff", "a.txt", "b.txt"], { status: 1 });
bb(["diff", "-u", "a.txt", "b.txt"], { status: 1 });
bb(["diff", "a.txt", "a.txt"]);

// Shell-ish utilities.
bb(["expr", "3", "+", "4", "*", "5"], { check: (r) => assertEquals(text(r), "23\n") });
bb(["expr", "length", "hello world"]);
bb(["expr", "match", "abc123", "[a-z]*\\([0-9]*\\)"]);
bb(["expr", "7", "/", "0"], { status: 2 });
bb(["echo", "-e", "a\\tb\\n\\x41\\0101"]);
bb(["echo", "-n", "no newline"]);
bb(["printf", "%05.2f|%x|%o|%s|%-6s|%c|%e\\n", "3.14159", "255", "8", "str", "pad", "z", "12345.678"]);
bb(["printf", "%d\\n", "1", "-2", "0x10", "010"]);
bb(["basename", "/usr/lib/file.tar.gz", ".gz"]);
bb(["dirname", "/usr/lib/file.tar.gz"]);
bb(["true"]);
bb(["false"], { status: 1 });
bb(["test", "-f", "data.txt"]);
bb(["test", "-d", "data.txt"], { status: 1 });
bb(["[", "3", "-lt", "4", "]"]);
bb(["test", "abc", "=", "abd"], { status: 1 });
bb(["factor", "1234567890", "600851475143", "9999999967", "4294967297"], {
  check: (r) => assertStringIncludes(text(r), "4294967297: 641 6700417\n"),
});
bb(["uname", "-m"], { check: (r) => assertEquals(text(r), "riscv64\n") });
bb(["uname", "-s"], { check: (r) => assertEquals(text(r), "Linux\n") });
bb(["id", "-u"]);
bb(["id", "-g"]);
bb(["env"]);
bb(["pwd"]);
bb(["dd", "if=bin.dat", "bs=1000", "count=5", "skip=3", "status=none"], {
  check: (r) => assertEquals(r.stdout, FIXTURES["bin.dat"].subarray(3000, 8000)),
});
bb(["dd", "if=data.txt", "of=copy.txt", "bs=4096", "conv=notrunc", "status=none"], { compareDir: true });

// Files and directories.
bb(["ls", "-1", "tree"]);
bb(["ls", "-ln", "tree", "tree/docs", "tree/src"]);
bb(["ls", "-1R", "tree"]);
bb(["stat", "-c", "%n %s %F %a %h", "data.txt", "tree", "tree/link-to-main", "tree/src/run.sh"]);
bb(["find", "tree"]);
// A hostile use of FIFOs: twenty writers wait in their open for a reader that never comes and are killed there; the run
// goes on and the FIFO still works (plume's waits must end with the processes, not hold the run or the FIFO).
bb([
  "sh",
  "-c",
  'mkfifo f; for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do (exec 3>f) & p="$p $!"; done; ' +
  'sleep 0.3; kill $p; wait; echo killed; (exec 4<>f; echo still usable >&4; read a <&4; echo "$a"); rm f',
], { check: (r) => assertEquals(text(r), "killed\nstill usable\n") });
// File times to the nanosecond, as Linux shows them (they were read to the millisecond: .123000000).
bb(["stat", "-c", "%n %y %x", "times/a", "times/c"], {
  check: (r) =>
    assertEquals(
      text(r),
      "times/a 2024-01-02 03:04:05.123456700 +0000 2024-01-02 03:04:05.123456700 +0000\n" +
        "times/c 2024-01-02 03:04:05.123457100 +0000 2024-01-02 03:04:05.123457100 +0000\n",
    ),
});
bb(["find", "tree", "-type", "f", "-name", "*.txt"]);
bb(["find", "tree", "-size", "+1k"]);
bb(["find", "tree", "-type", "l", "-o", "-empty"]);
bb(["tar", "-cf", "-", "tree"]);
bb(["cp", "-r", "tree", "tree-copy"], { compareDir: true });
bb(["mkdir", "-p", "new/deeper/still"], { compareDir: true });
bb(["mv", "a.txt", "tree/moved.txt"], { compareDir: true });
bb(["rm", "-r", "tree/docs"], { compareDir: true });
bb(["ln", "-s", "data.txt", "data-link"], { compareDir: true });
bb(["truncate", "-s", "1000", "data.txt"], { compareDir: true });
bb(["readlink", "tree/link-to-main"]);
bb(["realpath", "tree/link-to-main"]);

// The shell: every pipeline stage, subshell and $(…) is a forked process.
for (
  const [script, status] of [
    ["cat data.txt | sort | uniq -c | sort -rn | head -3", 0],
    ["echo $(echo nested $(echo deep)) $(wc -l < small.txt)", 0],
    ["for f in *.txt; do wc -c < $f; done | sort -n | tail -1", 0],
    ['head -5 data.txt | while read a b; do echo "[$b]"; done', 0],
    ["(cd tree && ls); pwd | tr / :; x=1; (x=2); echo $x", 0],
    ["sh -c 'exit 4'; echo status $?; false | true; echo $?", 0],
    ["yes | head -3; echo done", 0],
    ["(sleep 0; exit 5) & wait $!; echo background $?", 0],
    ["umask 027; sh -c umask; ulimit -n 64; sh -c 'ulimit -n'", 0],
    ["trap 'echo trapped' EXIT; echo hi | xargs echo got; exit 3", 3],
    ["exec 3>out.txt; echo via3 >&3; cat data.txt | md5sum >&3; cat out.txt", 0],
    // A program of the host, which qemu-user runs on the host: so does plume.
    ["/bin/echo from the host | tr a-z A-Z; /bin/sh -c 'exit 6'; echo $?", 0],
  ] as const
) {
  bb(["sh", "-c", script], { status, compareDir: true });
}

// Failing invocations: same message, same status.
bb(["cat", "missing.txt"], { status: 1 });
bb(["ls", "missing-dir"], { status: 1 });
bb(["head", "-n", "x", "data.txt"], { status: 1 });
bb(["sort", "--bogus-option"], { status: 2 });
bb(["rmdir", "tree"], { status: 1 });
bb(["no-such-applet"], { status: 127 });

// plume's own standard streams redirected to regular files by the host's shell: the offsets a guest reads and sets
// with lseek are the host descriptor's, shared by the processes that inherit it (busybox head gives back what it read
// ahead). The offset was read from the host after the first read or write, which had moved it already: a second
// `head -c 3` saw the end of the file, `dd seek=` wrote zeros past the end of an appended file (found by a
// differential helper).
Deno.test({
  name: "busybox: stdin, stdout and an appended stdout that are regular files keep their offsets as under qemu",
  ignore: !busyboxPath() || !qemuAvailable() || !plumeAvailable(),
  async fn() {
    const busybox = busyboxPath()!;
    const dir = await Deno.makeTempDir({ prefix: "plume-bb-stdio-" });
    try {
      const cases = [
        ["head -c 3; echo; head -c 3; echo; cat", "<"],
        ['read x; echo "got $x"; head -n1; cat', "<"],
        ["printf ab; dd if=in bs=1 count=2 seek=5 2>/dev/null; printf Z", "1<>"],
        ["printf ab; dd if=in bs=1 count=2 seek=5 2>/dev/null; printf Z", ">>"],
      ];
      const run = async (emulator: string[], script: string, redirect: string) => {
        await Deno.writeTextFile(join(dir, "in"), "line1\nline2\nline3\n");
        await Deno.writeTextFile(join(dir, "out"), "0123456789");
        // Both emulators get the file as descriptor 0 or 1 from /bin/sh; the rest of the output goes to a pipe.
        const target = redirect === "<" ? "< in" : `${redirect} out`;
        const r = await new Deno.Command("/bin/sh", {
          args: ["-c", `ulimit -c 0; exec "$@" ${target}`, "sh", ...emulator, busybox, "sh", "-c", script],
          cwd: dir,
          stdout: "piped",
          stderr: "piped",
        }).output();
        return [dec.decode(r.stdout), dec.decode(r.stderr), r.code, await Deno.readTextFile(join(dir, "out"))];
      };
      for (const [script, redirect] of cases) {
        const want = await run(["qemu-riscv64"], script, redirect);
        const got = await run(plumeCommand(), script, redirect);
        assertEquals(got, want, `${redirect} ${script}`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// A child killed by a core-dumping signal: its parent's wait status has no core-dump bit under qemu (which sets its
// own RLIMIT_CORE to 0 before it kills itself with the guest's signal), so the shell says `Aborted`, not `Aborted
// (core dumped)` (found by a differential helper). plume's own line for the child's uncaught signal, which qemu-riscv64
// 7.2 does not print (harness.ts, normalizeQemuStderr), is left out of the comparison.
Deno.test({
  name: "busybox sh: a child killed by SIGABRT or SIGSEGV is reported without a core dump, as under qemu",
  ignore: !busyboxPath() || !qemuAvailable() || !plumeAvailable(),
  async fn() {
    // (The inner shell is the host's /bin/sh under qemu, whose /proc/self/exe is qemu itself: the status and the outer
    // shell's words about it are what is compared.)
    const script = "sh -c 'kill -ABRT $$'; echo $?; sh -c 'kill -SEGV $$'; echo $?";
    const argv = [busyboxPath()!, "sh", "-c", script];
    const want = await runQemu(argv);
    const got = await runPlume(argv);
    const ownLines = /^plume: uncaught target signal \d+ \([^)]*\) - core dumped\n/gm;
    assertEquals(
      [dec.decode(got.stdout), dec.decode(got.stderr).replace(ownLines, ""), got.status],
      [dec.decode(want.stdout), dec.decode(want.stderr), want.status],
    );
    assertStringIncludes(dec.decode(want.stderr), "Aborted\n");
  },
});
