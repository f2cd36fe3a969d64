/**
 * The built-in ports of QEMU 7.2's `hotpages`, `howvec` and `drcov`
 * against QEMU's own plugins of the same name, run by qemu-riscv64 on the
 * same programs with the same options: QEMU's `lib<name>.so` built from
 * Debian's source by `build/fetch_qemu_plugins.sh` into
 * `.cache/qemu-plugins/`. Outputs are compared byte for byte where both
 * are determined by the guest alone; where they are not (where each
 * emulator places the program and its stack, the order QEMU gives equal
 * counts, the bytes QEMU reads past a compressed instruction), through a
 * normalising function that says what it removes.
 *
 * The programs are the static-pie ones over the tiny runtime and the
 * assembly ones: glibc's start-up differs between the two emulators
 * (plume implements `set_robust_list`, which QEMU 7.2 answers with
 * ENOSYS, so glibc stores one more byte and takes another branch),
 * which changes a few counts and blocks. Debian's busybox is compared
 * where its own hot loop dominates, and on what the start-up does not
 * change.
 *
 * @module
 */

import { assert, assertEquals } from "./assert.ts";
import { busyboxPath, GUEST_BIN, qemuPlugin, qemuPluginMissing, ROOT, runPlume, runQemu, tempDir } from "./harness.ts";
import { ET_DYN, parseElf, PF_X, PT_LOAD } from "../core/elf/elf.ts";
import { PIE_BASE } from "../core/elf/loader.ts";
import { join } from "node:path";
import {
  blockSet,
  type Drcov,
  type DrcovBlock,
  type DrcovModule,
  readDrcov,
  sameGuestRun,
  text,
} from "./plugins_ports.ts";

/** The tiny-runtime and assembly programs with their arguments: their runs are the same under both emulators. */
const PROGRAMS: [string, string[]][] = [
  ["hello_asm", []],
  ["fib_pie", ["20"]],
  ["sha256_pie", ["3000"]],
  ["crc32_pie", []],
  ["sieve_pie", ["30000"]],
];

/**
 * Runs `argv` under qemu-riscv64 with QEMU's plugin and under plume with
 * the built-in of the same name and the same options; both outputs (the
 * plugins' text is on stderr with `-d plugin`), after checking that the
 * guest ran the same.
 */
async function runBoth(
  plugin: string,
  options: string[],
  argv: string[],
  stdin?: Uint8Array,
): Promise<{ qemu: string; plume: string }> {
  const opts = options.map((o) => `,${o}`).join("");
  // One working directory (and so one HOME) for both: the guest's environment is then byte for byte
  // the same, and so is every path through code that reads it (strncmp's alignment-dependent loops).
  const cwd = await tempDir("plume-ports-");
  const qemu = await runQemu(argv, { cwd, stdin, flags: ["-d", "plugin", "-plugin", `${qemuPlugin(plugin)}${opts}`] });
  const plume = await runPlume(argv, {
    cwd,
    stdin,
    flags: ["-plugin-watchdog", "60", "-d", "plugin", "-plugin", `${plugin}${opts}`],
  });
  sameGuestRun(argv.join(" "), qemu, plume);
  return { qemu: text(qemu.stderr), plume: text(plume.stderr) };
}

/** Where an emulator placed the program's image: its load address and the image's extent from it. */
interface Placement {
  base: number;
  size: number;
}

/**
 * qemu-riscv64 7.2 maps a position-independent program at its first free
 * address, 0x4000000000 (`TASK_UNMAPPED_BASE` for 64-bit guests); plume at
 * `PIE_BASE`. Both map an `ET_EXEC` where it says.
 */
const QEMU_PIE_BASE = 0x40_0000_0000;

function placements(program: string): { qemu: Placement; plume: Placement } {
  const elf = parseElf(Deno.readFileSync(program));
  const loads = elf.phdrs.filter((p) => p.type === PT_LOAD);
  const end = Math.max(...loads.map((p) => p.vaddr + p.memsz));
  const pie = elf.type === ET_DYN;
  return {
    qemu: { base: pie ? QEMU_PIE_BASE : 0, size: end },
    plume: { base: pie ? PIE_BASE : 0, size: end },
  };
}

/** A hotpages report taken apart for comparison (see {@link splitHotpages}). */
interface Hotpages {
  header: string;
  /** Rows of pages in the program's image, the address as `image+OFFSET`. */
  image: string[][];
  /** Reads, writes and vCPU bits of the other pages (the stack), summed. */
  stack: string;
}

/**
 * Takes a hotpages report apart so that where each emulator placed the
 * program and its stack does not count: a page in the program's image is
 * named by its offset from where the emulator loaded the image; the other
 * pages (the stack) are summed, because the initial stack pointer lies at
 * another offset in its page under each emulator (their initial stacks
 * hold different auxiliary vectors), so that the same accesses split
 * differently between two pages.
 */
function splitHotpages(report: string, at: Placement): Hotpages {
  const [header, ...lines] = report.trimEnd().split("\n");
  const image: string[][] = [];
  let reads = 0, writes = 0, rcpus = 0, wcpus = 0;
  for (const fields of lines.map((l) => l.split(", "))) {
    const address = Number(fields[0]);
    if (address >= at.base && address < at.base + at.size) {
      image.push([`image+0x${(address - at.base).toString(16)}`, ...fields.slice(1)]);
    } else {
      rcpus |= Number(fields[1]), reads += Number(fields[2]), wcpus |= Number(fields[3]), writes += Number(fields[4]);
    }
  }
  return { header, image, stack: `reads ${reads} (vCPUs ${rcpus}), writes ${writes} (vCPUs ${wcpus})` };
}

/**
 * The image pages of two reports sorted by a count, made comparable: each
 * side leaves out the last page of its sorted list, which may be another
 * page on each side (a stack page split differently), so pages only one
 * side lists are dropped (at most one each); and QEMU lists equal counts
 * in its hash table's order, plume by address, so runs of equal keys are
 * put in one order.
 */
function comparableByCount(a: string[][], b: string[][], key: (fields: string[]) => string): [string[], string[]] {
  const names = (rows: string[][]) => new Set(rows.map((r) => r[0]));
  const inA = names(a), inB = names(b);
  const sides = [a.filter((r) => inB.has(r[0])), b.filter((r) => inA.has(r[0]))];
  assert(
    a.length - sides[0].length <= 1 && b.length - sides[1].length <= 1,
    "more than one page listed on one side only",
  );
  return sides.map((rows) => {
    const out: string[] = [];
    for (let i = 0; i < rows.length;) {
      let j = i;
      while (j < rows.length && key(rows[j]) === key(rows[i])) j++;
      out.push(...rows.slice(i, j).map((r) => r.join(", ")).sort());
      i = j;
    }
    return out;
  }) as [string[], string[]];
}

/** Sort keys of hotpages' rows (`Addr, RCPUs, Reads, WCPUs, Writes`) for each `sortby` but address. */
const HOTPAGES_KEYS: Record<string, (f: string[]) => string> = {
  "": (f) => String(Number(f[2]) + Number(f[4])),
  reads: (f) => f[2],
  writes: (f) => f[4],
};

Deno.test({
  name: `hotpages reports QEMU's pages and counts, in QEMU's format${qemuPluginMissing("hotpages")}`,
  ignore: qemuPluginMissing("hotpages") !== "",
  async fn() {
    for (const [name, args] of PROGRAMS.slice(1)) {
      const program = join(GUEST_BIN, name), at = placements(program);
      // By address the stack comes first and the lowest image page is left out: all but placement compares.
      const byAddress = await runBoth("hotpages", ["sortby=address"], [program, ...args]);
      const q = splitHotpages(byAddress.qemu, at.qemu), p = splitHotpages(byAddress.plume, at.plume);
      assertEquals(p, q, `${name} sortby=address`);
      assert(p.image.length > 1, `${name}: ${byAddress.plume}`);
      // The other orders on two of them (each run instruments every memory access).
      if (name !== "fib_pie" && name !== "sha256_pie") continue;
      for (const [sortby, key] of Object.entries(HOTPAGES_KEYS)) {
        const r = await runBoth("hotpages", sortby ? [`sortby=${sortby}`] : [], [program, ...args]);
        const q = splitHotpages(r.qemu, at.qemu), p = splitHotpages(r.plume, at.plume);
        const label = `${name} sortby=${sortby || "(reads and writes)"}`;
        assertEquals(p.header, q.header, label);
        const [plumeRows, qemuRows] = comparableByCount(p.image, q.image, key);
        assertEquals(plumeRows, qemuRows, label);
        assert(plumeRows.length > 0, label);
      }
    }
  },
});

Deno.test({
  name: `hotpages with io=on, pagesize=0, and on a program touching no page, prints QEMU's bytes${
    qemuPluginMissing("hotpages")
  }`,
  ignore: qemuPluginMissing("hotpages") !== "",
  async fn() {
    // User mode has no I/O memory: only the header. With pages of size 0 every address is in page 0, and
    // hello_asm touches no data at all: one page or none, and QEMU lists none of one.
    const fib = [join(GUEST_BIN, "fib_pie"), "12"];
    for (const [options, argv] of [[["io=on"], fib], [["pagesize=0"], fib], [[], [join(GUEST_BIN, "hello_asm")]]]) {
      const r = await runBoth("hotpages", options, argv);
      assertEquals(r.plume, r.qemu, `${options} ${argv}`);
      assertEquals(r.plume.split("\n").filter((l) => l.startsWith("Addr")).length, 1);
    }
  },
});

/** One instruction row of a howvec report. */
interface HowvecRow {
  hits: number;
  opcode: number;
  cls: string;
  disas: string;
}

/** A 16-bit compressed instruction: its two low bits are not 11. */
const compressed = (opcode: number) => (opcode & 3) !== 3;

/**
 * A howvec report taken apart: its class lines, and its instruction rows.
 * QEMU 7.2 reads four bytes of a two-byte compressed instruction, the
 * upper two stale, so that one instruction word shows up in several rows
 * with upper halves that change from run to run; here a compressed
 * instruction's word is its two bytes, and rows of the same word are
 * merged (their hits summed). The disassembly is kept apart: plume's is in
 * objdump's syntax, QEMU 7.2's in its own disassembler's.
 */
function splitHowvec(report: string): { classes: string; rows: HowvecRow[] } {
  const lines = report.trimEnd().split("\n");
  const classes = lines.filter((l) => !l.startsWith("Instr: ")).join("\n");
  const merged = new Map<number, HowvecRow>();
  for (const line of lines.filter((l) => l.startsWith("Instr: "))) {
    const m = /^Instr: (.*?) *\t\((\d+) hits\)\t\(op=0x([0-9a-f]{8})\/(.*)\)$/.exec(line);
    assert(m, `not a howvec row: ${JSON.stringify(line)}`);
    let opcode = parseInt(m[3], 16);
    if (compressed(opcode)) opcode &= 0xffff;
    const row = merged.get(opcode);
    if (row) row.hits += Number(m[2]);
    else merged.set(opcode, { hits: Number(m[2]), opcode, cls: m[4], disas: m[1] });
  }
  return { classes, rows: [...merged.values()] };
}

const rowText = (r: HowvecRow) => `(${r.hits} hits) (op=0x${r.opcode.toString(16).padStart(8, "0")}/${r.cls})`;

Deno.test({
  name: `howvec with count=!unclas prints QEMU's bytes${qemuPluginMissing("howvec")}`,
  ignore: qemuPluginMissing("howvec") !== "",
  async fn() {
    const r = await runBoth("howvec", ["count=!unclas"], [join(GUEST_BIN, "fib_pie"), "12"]);
    assertEquals(r.plume, r.qemu);
    assertEquals(r.plume, "Instruction Classes:\nClass: Unclassified            \tnot counted\n");
  },
});

Deno.test({
  name: `howvec counts each instruction word as QEMU does, inline and with callbacks${qemuPluginMissing("howvec")}`,
  ignore: qemuPluginMissing("howvec") !== "",
  async fn() {
    // hello_asm runs each instruction once (ecall twice), each translated once: no word of QEMU's is
    // split, and fewer than 50 are listed. Each side leaves out the last row of its sorted list, which
    // with equal counts may be another one.
    const hello = join(GUEST_BIN, "hello_asm");
    for (const options of [[], ["inline=on"], ["count=unclas"]]) {
      const r = await runBoth("howvec", options, [hello]);
      const q = splitHowvec(r.qemu), p = splitHowvec(r.plume);
      assertEquals(p.classes, q.classes, `${options}`);
      assertEquals(
        p.classes,
        "Instruction Classes:\nClass: Unclassified            \tcounted individually\nIndividual Instructions:",
      );
      const [plumeRows, qemuRows] = comparableByCount(
        p.rows.map((row) => [rowText(row)]),
        q.rows.map((row) => [rowText(row)]),
        (f) => f[0].slice(0, f[0].indexOf(")")),
      );
      assertEquals(plumeRows, qemuRows, `hello_asm ${options}`);
      assert(plumeRows.length >= 8, `${plumeRows.length} rows`);
      assertEquals(p.rows.map((row) => row.disas).slice(0, 2), ["ecall", "li a0,1"]);
    }
  },
});

/** Data for busybox to hash: its hot loop then dominates the counts, over glibc's start-up. */
const HASHED = new Uint8Array(1 << 16).map((_, i) => (i * 7 + (i >> 8)) & 255);

/** Runs whose most executed instructions are compared: the tiny-runtime programs, and busybox's sha256sum if present. */
function topRuns(): [string, string[], Uint8Array?][] {
  const runs: [string, string[], Uint8Array?][] = PROGRAMS.slice(1).map((
    [name, args],
  ) => [name, [join(GUEST_BIN, name), ...args]]);
  const busybox = busyboxPath();
  if (busybox) runs.push(["busybox sha256sum", [busybox, "sha256sum"], HASHED]);
  return runs;
}

Deno.test({
  name: `howvec's 50 most executed instruction words have QEMU's counts${qemuPluginMissing("howvec")}`,
  ignore: qemuPluginMissing("howvec") !== "",
  async fn() {
    for (const [name, argv, stdin] of topRuns()) {
      const r = await runBoth("howvec", [], argv, stdin);
      const q = splitHowvec(r.qemu), p = splitHowvec(r.plume);
      assertEquals(p.classes, q.classes, name);
      assertEquals(p.rows.length, 50, name);
      const hits = p.rows.map((row) => row.hits);
      assertEquals(hits, [...hits].sort((a, b) => b - a), `${name}: most executed first`);
      // A 4-byte word is one row in both: same count. A compressed word's rows in QEMU are pieces of
      // plume's count, some of them possibly past QEMU's 50 rows: at most plume's count.
      const qemuHits = new Map(q.rows.map((row) => [row.opcode, row.hits]));
      let compared = 0;
      for (const row of p.rows) {
        const theirs = qemuHits.get(row.opcode);
        if (theirs === undefined) continue;
        const label = `${name} ${rowText(row)} ${row.disas}`;
        if (compressed(row.opcode)) assert(theirs <= row.hits, `${label}: QEMU counted ${theirs}`);
        else assertEquals(row.hits, theirs, label), compared++;
      }
      assert(compared >= 10, `${name}: only ${compared} four-byte words in both lists`);
    }
  },
});

Deno.test("howvec counts the same inline and with callbacks", async () => {
  const reports = await Promise.all(["howvec", "howvec,inline=on"].map(async (plugin) => {
    const r = await runPlume([join(GUEST_BIN, "sha256_pie"), "2000"], {
      flags: ["-plugin-watchdog", "60", "-d", "plugin", "-plugin", plugin],
    });
    assertEquals(r.status, 0);
    return text(r.stderr);
  }));
  assertEquals(reports[1], reports[0]);
  assertEquals(reports[0].split("\n").filter((l) => l.startsWith("Instr: ")).length, 50);
});

/** Runs drcov under both emulators in one directory; both files, read. */
async function drcovBoth(argv: string[], flags: string[] = []): Promise<{ qemu: Drcov; plume: Drcov }> {
  // Both guests run in this directory, so that their environments (HOME is the run's directory) are the same.
  const dir = await tempDir("plume-drcov-");
  const qemu = await runQemu(argv, {
    cwd: dir,
    flags: [...flags, "-plugin", `${qemuPlugin("drcov")},filename=${dir}/qemu`],
  });
  const plume = await runPlume(argv, {
    cwd: dir,
    flags: [...flags, "-plugin-watchdog", "60", "-plugin", `drcov,filename=${dir}/plume`],
  });
  sameGuestRun(argv.join(" "), qemu, plume);
  return { qemu: readDrcov(await Deno.readFile(`${dir}/qemu`)), plume: readDrcov(await Deno.readFile(`${dir}/plume`)) };
}

Deno.test({
  name: `drcov writes QEMU's header and blocks, each at its offset in the program${qemuPluginMissing("drcov")}`,
  ignore: qemuPluginMissing("drcov") !== "",
  async fn() {
    for (const [name, args] of PROGRAMS) {
      const program = join(GUEST_BIN, name);
      const { qemu, plume } = await drcovBoth([program, ...args]);
      assertEquals(plume.header, qemu.header, name);
      assertEquals(plume.header[2], "Module Table: version 2, count 1");
      // QEMU's module is the program's text (qemu_plugin_start_code to _end_code); plume's the whole image.
      const [q] = qemu.modules, [p] = plume.modules;
      assertEquals([p.id, p.path, p.entry - p.base], [q.id, q.path, q.entry - q.base], name);
      assert(p.end >= q.end - q.base + p.base, `${name}: module end`);
      // QEMU writes absolute addresses cut to 32 bits, plume offsets in the module: the same blocks.
      assertEquals(plume.blocks.length, qemu.blocks.length, `${name}: number of blocks`);
      assertEquals(blockSet(plume.blocks), blockSet(qemu.blocks, q.base), name);
      assert(plume.blocks.every((b) => b.module === 0 && b.start + b.size <= p.end - p.base), name);
    }
  },
});

/** Debian's libc6 as a sysroot (`build/fetch_debian.sh --with-deps libc6`), or undefined. */
function libc6(): string | undefined {
  const dir = join(ROOT, ".cache", "debian", "libc6");
  try {
    return Deno.readTextFileSync(join(dir, ".plume-fetched")).trim() === "with-deps" ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** Checks that every block of module `m` lies in an executable segment of the ELF file at `file`, at its offset. */
function blocksInCode(m: DrcovModule, blocks: DrcovBlock[], file: string): void {
  const elf = parseElf(Deno.readFileSync(file), file);
  const loads = elf.phdrs.filter((p) => p.type === PT_LOAD);
  const lowest = Math.min(...loads.map((p) => p.vaddr)), first = lowest - lowest % 4096;
  assertEquals(m.end - m.base, Math.max(...loads.map((p) => p.vaddr + p.memsz)) - first, `${m.path}: module size`);
  const code = loads.filter((p) => p.flags & PF_X).map((p) => [p.vaddr - first, p.vaddr - first + p.filesz]);
  const mine = blocks.filter((b) => b.module === m.id);
  assert(mine.length > 0, `${m.path}: no block`);
  for (const b of mine) {
    assert(code.some(([lo, hi]) => b.start >= lo && b.start + b.size <= hi), `${m.path}: block ${b.start}+${b.size}`);
  }
}

Deno.test({
  name: `drcov lists the program, its interpreter and every library, blocks at their offsets${
    qemuPluginMissing("drcov") ||
    (libc6() ? "" : " (skipped: no libc6 sysroot; build/fetch_debian.sh --with-deps libc6)")
  }`,
  ignore: qemuPluginMissing("drcov") !== "" || !libc6(),
  async fn() {
    const root = libc6()!, program = join(GUEST_BIN, "dyn", "dynamic");
    // The program dlopens libm after start-up.
    const { qemu, plume } = await drcovBoth([program], ["-L", root]);
    assertEquals(plume.header[0], qemu.header[0]);
    assertEquals(plume.modules.map((m) => [m.id, m.path]), [
      [0, program],
      [1, "/lib/ld-linux-riscv64-lp64d.so.1"],
      [2, "/lib/riscv64-linux-gnu/libc.so.6"],
      [3, "/lib/riscv64-linux-gnu/libm.so.6"],
    ]);
    for (const m of plume.modules) blocksInCode(m, plume.blocks, m.id === 0 ? program : join(root, m.path));
    assert(plume.blocks.every((b) => b.module < plume.modules.length), "a block in no module");
    // The program's own blocks are QEMU's (QEMU's module is the program's text; the rest of its blocks,
    // in the loader and the libraries, are addresses it does not place; glibc's start-up differs, below).
    const [q] = qemu.modules;
    const qemuOwn = qemu.blocks.filter((b) => ((b.start - q.base) >>> 0) < q.end - q.base);
    assertEquals(blockSet(plume.blocks.filter((b) => b.module === 0)), blockSet(qemuOwn, q.base));
  },
});

Deno.test({
  name: `drcov of busybox: QEMU's blocks but for glibc's start-up and QEMU's page ends${qemuPluginMissing("drcov")}${
    busyboxPath() ? "" : " (skipped: no busybox; build/fetch_debian.sh busybox-static)"
  }`,
  ignore: qemuPluginMissing("drcov") !== "" || !busyboxPath(),
  async fn() {
    const { qemu, plume } = await drcovBoth([busyboxPath()!, "sha256sum", "/dev/null"]);
    assertEquals(plume.header, qemu.header);
    const q = blockSet(qemu.blocks, qemu.modules[0].base), p = blockSet(plume.blocks);
    // A handful of blocks differ, for reasons outside the plugins: glibc's start-up stores a flag after
    // set_robust_list and reads riscv_hwprobe's answer, both calls QEMU 7.2 refuses with ENOSYS and
    // plume implements; and QEMU 7.2 ends a block before an instruction that ends at a page's end, where
    // plume ends the block after it. Everything else is the same.
    const remove = (from: string[], what: string[]) => {
      const left = [...from];
      for (const x of what) left.includes(x) && left.splice(left.indexOf(x), 1);
      return left;
    };
    const onlyQemu = remove(q, p), onlyPlume = remove(p, q);
    assert(onlyQemu.length <= 8 && onlyPlume.length <= 8, `only QEMU: ${onlyQemu}; only plume: ${onlyPlume}`);
    assert(p.length > 500, `${p.length} blocks`);
  },
});

Deno.test("drcov gives a block in no module (the signal-return trampoline) module id 0xffff and its address", async () => {
  const dir = await tempDir("plume-drcov-");
  const program = join(GUEST_BIN, "signals");
  const r = await runPlume([program, "alarm"], {
    flags: ["-plugin-watchdog", "60", "-plugin", `drcov,filename=${dir}/cov`],
  });
  assertEquals(r.status, 0);
  const cov = readDrcov(await Deno.readFile(`${dir}/cov`));
  assertEquals(cov.modules.map((m) => m.path), [program]);
  const outside = cov.blocks.filter((b) => b.module !== 0);
  assertEquals(outside.length, 1);
  assertEquals(outside[0].module, 0xffff);
  // li a7, 139; ecall: 8 bytes, on a page of its own above the program.
  assertEquals([outside[0].size, outside[0].start % 4096], [8, 0]);
  assert(outside[0].start >= cov.modules[0].end);
  blocksInCode(cov.modules[0], cov.blocks, program);
});

Deno.test("drcov follows an execve: the new program is a module of its own", async () => {
  const dir = await tempDir("plume-drcov-");
  const program = join(GUEST_BIN, "execve");
  const r = await runPlume([program, "run", dir], {
    flags: ["-plugin-watchdog", "60", "-plugin", `drcov,filename=${dir}/cov`],
  });
  assertEquals(r.status, 7);
  const cov = readDrcov(await Deno.readFile(`${dir}/cov`));
  assertEquals(cov.modules.length, 2);
  assertEquals(cov.modules[0].path, program);
  for (const m of cov.modules) blocksInCode(m, cov.blocks, program);
});

Deno.test("drcov, a built-in, may write the file its option names and no other; a copy from a file needs the grant", async () => {
  const dir = await tempDir("plume-drcov-");
  const run = (plugin: string, ...flags: string[]) =>
    runPlume([join(GUEST_BIN, "hello_asm")], {
      cwd: dir,
      flags: ["-plugin-watchdog", "60", "-plugin", plugin, ...flags],
    });
  // Without filename=, QEMU's default name in the working directory.
  assertEquals((await run("drcov")).status, 7);
  assertEquals(readDrcov(await Deno.readFile(join(dir, "file.drcov.trace"))).blocks.length, 3);
  assertEquals((await run("drcov,filename=cov.log")).status, 7);
  assertEquals(readDrcov(await Deno.readFile(join(dir, "cov.log"))).modules[0].path, join(GUEST_BIN, "hello_asm"));
  // A directory would grant everything under it.
  const refused = await run("drcov,filename=.");
  assertEquals([refused.status, text(refused.stderr)], [1, "plume: plugin 'drcov': filename=. does not name a file\n"]);
  // The same code loaded as a user plugin has no permission unless granted.
  const file = `${join(ROOT, "plugins", "drcov.ts")},filename=user.log`;
  const denied = await run(file);
  assertEquals(denied.status, 1);
  assert(/reference to global 'Deno' is not allowed/.test(text(denied.stderr)), text(denied.stderr));
  assertEquals((await run(file, "-plugin-allow", `write=${join(dir, "user.log")}`)).status, 7);
  assertEquals(readDrcov(await Deno.readFile(join(dir, "user.log"))).blocks.length, 3);
});
