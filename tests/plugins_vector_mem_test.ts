/**
 * Vector loads and stores through plugins' memory callbacks, against QEMU
 * 7.2's own plugins (`.cache/qemu-plugins/libmem.so` and `libexeclog.so`)
 * run live by qemu-riscv64 on the same program (`tests/guest/src/vector_mem.S`:
 * every form of vector load and store, no libc and no stack, so both
 * emulators run the same instructions on the same addresses). QEMU's vector
 * helpers access memory element by element, one callback each:
 *
 * - execlog lists, for each instruction, its accesses (load or store and
 *   address) in order: plume's must be QEMU's, line by line;
 * - mem counts accesses (inline and with callbacks, all, reads or writes):
 *   the same counts;
 * - the sizes and values QEMU 7.2's plugins do not print come from plume's
 *   `mem,print-accesses=on`: each size must be the element's EEW (from QEMU's
 *   disassembly of the instruction, and the SEW of the `vsetivli` before an
 *   indexed one), each loaded value the bytes the program's image and the
 *   stores before it put at that address.
 *
 * Each under the interpreter alone (the default warm-up), and with the
 * program's later iterations compiled (JavaScript, WebAssembly regions
 * leaving vector blocks to JavaScript).
 *
 * @module
 */

import { assert, assertEquals } from "./assert.ts";
import { GUEST_BIN, qemuPlugin, qemuPluginMissing, runPlume, runQemu } from "./harness.ts";
import { parseElf, PT_LOAD } from "../core/elf/elf.ts";
import { join } from "node:path";

const PROGRAM = join(GUEST_BIN, "vector_mem");
const QEMU_CPU = ["-cpu", "rv64,v=true,vlen=128"];
const PLUME_CPU = ["-cpu", "rv64,v=on"];
const text = (b: Uint8Array) => new TextDecoder().decode(b);

const TIERS: { name: string; flags: string[]; warmup: boolean }[] = [
  { name: "interpreter", flags: [], warmup: true },
  { name: "interpreter, then JavaScript and WebAssembly regions", flags: [], warmup: false },
  { name: "interpreter, then JavaScript", flags: ["-jit-wasm", "off"], warmup: false },
];

const missing = qemuPluginMissing("execlog") || qemuPluginMissing("mem");

async function qemuPluginOutput(plugin: string, options: string[]): Promise<string> {
  const spec = [qemuPlugin(plugin), ...options].join(",");
  const r = await runQemu([PROGRAM], { flags: [...QEMU_CPU, "-d", "plugin", "-plugin", spec] });
  assertEquals(r.status, 0, `qemu ${plugin}: exit status`);
  // QEMU 7.2 says which V version it defaults to.
  return text(r.stderr).split("\n").filter((l) => !l.startsWith("vector version")).join("\n");
}

async function plumePluginOutput(plugin: string, options: string[], tier: typeof TIERS[number]): Promise<string> {
  const r = await runPlume([PROGRAM], {
    flags: [...PLUME_CPU, ...tier.flags, "-d", "plugin", "-plugin", [plugin, ...options].join(",")],
    warmup: tier.warmup,
  });
  assertEquals(r.status, 0, `plume ${plugin} (${tier.name}): exit status`);
  return text(r.stderr);
}

const EXECLOG_LINE = /^(\d+), 0x([0-9a-f]+), 0x([0-9a-f]+), "(.*)"((?:, (?:load|store), 0x[0-9a-f]+)*)$/;

interface Step {
  pc: number;
  /** QEMU's disassembly, or plume's. */
  disassembly: string;
  accesses: { store: boolean; addr: number }[];
}

/** An execlog's instructions and their accesses. */
function parseExeclog(log: string): Step[] {
  return log.split("\n").filter((l) => l !== "").map((line) => {
    const m = EXECLOG_LINE.exec(line);
    if (!m) throw new Error(`Not an execlog line: ${JSON.stringify(line)}`);
    const accesses = [...m[5].matchAll(/(load|store), 0x([0-9a-f]+)/g)].map((a) => ({
      store: a[1] === "store",
      addr: parseInt(a[2], 16),
    }));
    return { pc: parseInt(m[2], 16), disassembly: m[4], accesses };
  });
}

/** Comparable text of a log's steps: pc and accesses, a line each (disassemblies differ between the two). */
function accessLines(steps: Step[]): string[] {
  return steps.map((s) =>
    `${s.pc.toString(16)}` + s.accesses.map((a) => ` ${a.store ? "st" : "ld"} ${a.addr.toString(16)}`).join("")
  );
}

let qemuSteps: Step[] | undefined;
async function qemuExeclog(): Promise<Step[]> {
  return qemuSteps ??= parseExeclog(await qemuPluginOutput("execlog", []));
}

/**
 * The element size in bytes of each access of a vector load or store, by
 * the spec's rules, from QEMU's disassembly (`vle32.v`…) and the SEW of
 * the last `vsetivli` (indexed forms); undefined for another instruction.
 */
function elementBytes(disassembly: string, sew: number): number | undefined {
  const mnemonic = disassembly.trim().split(/\s+/)[1] ?? "";
  if (!/^v[ls]/.test(mnemonic) || !mnemonic.endsWith(".v")) return undefined;
  if (/^v[ls][ou]xei/.test(mnemonic)) return sew;
  if (/^v(s\dr|lm|sm)\.v$/.test(mnemonic)) return 1;
  const eew = /e(8|16|32|64)/.exec(mnemonic);
  return eew ? Number(eew[1]) / 8 : undefined;
}

/** The program's memory at the start: its loadable segments, zero past their file contents. */
function initialMemory(): Map<number, number> {
  const file = Deno.readFileSync(PROGRAM), bytes = new Map<number, number>();
  for (const p of parseElf(file).phdrs.filter((p) => p.type === PT_LOAD)) {
    for (let i = 0; i < p.memsz; i++) bytes.set(p.vaddr + i, i < p.filesz ? file[p.offset + i] : 0);
  }
  return bytes;
}

for (const tier of TIERS) {
  Deno.test({
    name: `vector accesses: execlog logs QEMU 7.2's accesses, element by element (${tier.name})${missing}`,
    ignore: missing !== "",
    async fn() {
      const qemu = await qemuExeclog();
      const plume = parseExeclog(await plumePluginOutput("execlog", [], tier));
      const q = accessLines(qemu), p = accessLines(plume);
      const i = p.findIndex((l, k) => l !== q[k]);
      assertEquals(p[i], q[i], `line ${i + 1} of ${p.length} (qemu ${q.length})`);
      assertEquals(p.length, q.length);
      // Every form made accesses: 221 per iteration.
      assertEquals(qemu.reduce((n, s) => n + s.accesses.length, 0), 40 * 221);
    },
  });

  Deno.test({
    name:
      `vector accesses: mem counts QEMU 7.2's accesses, inline and with callbacks, reads and writes (${tier.name})${missing}`,
    ignore: missing !== "",
    async fn() {
      for (const mode of ["inline=on", "callback=on"]) {
        for (const track of ["rw", "r", "w"]) {
          const qemu = await qemuPluginOutput("mem", [mode, `track=${track}`]);
          const count = /mem accesses: (\d+)/.exec(qemu)?.[1];
          assert(count !== undefined && Number(count) > 1000, `qemu ${mode} track=${track}: ${qemu}`);
          const plume = await plumePluginOutput("mem", [mode, `track=${track}`], tier);
          assertEquals(plume, `mem accesses: ${count}\n`, `${mode} track=${track}`);
        }
      }
    },
  });

  Deno.test({
    name: `vector accesses: each is one element, its EEW as the size and its value (${tier.name})${missing}`,
    ignore: missing !== "",
    async fn() {
      const qemu = await qemuExeclog();
      const lines = (await plumePluginOutput("mem", ["print-accesses=on"], tier)).trimEnd().split("\n").slice(1);
      const memory = initialMemory();
      let sew = 0, k = 0;
      for (const step of qemu) {
        const set = /vsetivli\s+\w+,\d+,e(\d+)/.exec(step.disassembly);
        if (set) sew = Number(set[1]) / 8;
        const bytes = elementBytes(step.disassembly, sew);
        for (const access of step.accesses) {
          const [insn, , vaddr, , size, type, value] = lines[k++]?.split(",") ?? [];
          const label = `access ${k} (${step.disassembly})`;
          assertEquals([insn, vaddr, type], [
            `0x${step.pc.toString(16)}`,
            `0x${access.addr.toString(16)}`,
            access.store ? "store" : "load",
          ], label);
          assert(bytes !== undefined, `${label}: not a vector load or store`);
          assertEquals(Number(size), bytes * 8, `${label}: size`);
          let v = 0n;
          for (let b = bytes - 1; b >= 0; b--) v = (v << 8n) | BigInt(memory.get(access.addr + b)!);
          if (access.store) {
            // What is stored is what the program's memory holds next.
            for (let b = 0; b < bytes; b++) {
              memory.set(access.addr + b, Number((BigInt(value) >> BigInt(8 * b)) & 0xffn));
            }
          } else assertEquals(BigInt(value), v, `${label}: value`);
        }
      }
      assertEquals(k, lines.length, "no other accesses");
    },
  });
}
