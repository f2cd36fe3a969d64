/**
 * Decode speed. Each iteration decodes every instruction of a code section
 * once; instructions per second = instructions per iteration / time per
 * iteration. Run with `deno bench --allow-read core/isa/decoder_bench.ts`.
 *
 * @module
 */

import { decode, insnLength } from "./decoder.ts";
import { disassemble } from "./disasm.ts";
import type { Insn } from "./insn.ts";
import { fileUrlToPath } from "../util/file_url.ts";

const repoRoot = new URL("../../", import.meta.url);

/** The instruction words of the `.text` section of a little-endian ELF64 file, as the decoder is given them. */
function textWords(path: string | URL): Uint32Array {
  const elf = Deno.readFileSync(path);
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const shoff = Number(view.getBigUint64(0x28, true));
  const shentsize = view.getUint16(0x3a, true);
  const header = (i: number) => shoff + i * shentsize;
  const strtab = Number(view.getBigUint64(header(view.getUint16(0x3e, true)) + 0x18, true));
  for (let i = 0; i < view.getUint16(0x3c, true); i++) {
    let name = "";
    for (let p = strtab + view.getUint32(header(i), true); elf[p] !== 0; p++) name += String.fromCharCode(elf[p]);
    if (name !== ".text") continue;
    const start = Number(view.getBigUint64(header(i) + 0x18, true));
    const end = start + Number(view.getBigUint64(header(i) + 0x20, true));
    const words: number[] = [];
    for (let at = start; at + 2 <= end;) {
      const length = insnLength(view.getUint16(at, true)) || 2;
      words.push(length === 4 && at + 4 <= end ? view.getUint32(at, true) : view.getUint16(at, true));
      at += length;
    }
    return Uint32Array.from(words);
  }
  throw new Error(`No .text section in ${path}`);
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

let sink = 0;

function benchDecode(label: string, words: Uint32Array): void {
  Deno.bench({
    name: `decode ${words.length} instructions (${label})`,
    group: "decode",
    fn() {
      for (let i = 0; i < words.length; i++) sink ^= decode(words[i])?.rd ?? 1;
    },
  });
}

const fixture = textWords(new URL("tests/isa/all_insns.elf", repoRoot));
benchDecode("every RV64GC form, tests/isa/all_insns.elf", fixture);

const busybox = [
  fileUrlToPath(new URL(".cache/debian/busybox-static/usr/bin/busybox", repoRoot)),
  "/tmp/rvdeb/root/usr/bin/busybox",
]
  .find(exists);
if (busybox) benchDecode(`Debian's busybox, ${busybox}`, textWords(busybox));

const decoded = Array.from(fixture, (w) => decode(w)).filter((i): i is Insn => i !== null);
Deno.bench({
  name: `disassemble ${decoded.length} instructions (tests/isa/all_insns.elf)`,
  group: "disassemble",
  fn() {
    for (let i = 0; i < decoded.length; i++) sink ^= disassemble(decoded[i], 0x10000 + 4 * i).length;
  },
});

globalThis.addEventListener("unload", () => {
  if (sink === 0.5) console.log(sink); // keeps the results observable
});
