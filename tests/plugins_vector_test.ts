/**
 * The vector registers through the plugin API (`tests/plugins/vector_registers.ts`):
 * with V, `qemu_plugin_get_registers` adds v0–v31 and the vector CSRs under
 * the names and features QEMU 10's gdbstub gives them (v0–v31 of VLENB
 * bytes in `org.gnu.gdb.riscv.vector`, vstart…vlenb of 8 bytes in
 * `org.gnu.gdb.riscv.csr`, in CSR number order); an `R_REGS` callback reads
 * the guest's values, an `RW_REGS` one writes a vector register the guest
 * then finds; without V the list is RV64GC's 68.
 *
 * QEMU 10's qemu-riscv64 here is static and loads no plugins, so the names
 * and sizes come from its `target/riscv/gdbstub.c` and the values from the
 * guest program, which sets them itself (`tests/guest/src/vector_signal.c`).
 *
 * @module
 */

import { assert, assertEquals, assertMatch } from "./assert.ts";
import { GUEST_BIN, plumeAvailable, ROOT, runPlume, tempDir } from "./harness.ts";
import { join } from "node:path";

const PLUGIN = join(ROOT, "tests/plugins/vector_registers.ts");
const PROGRAM = join(GUEST_BIN, "vector_signal");
const text = (b: Uint8Array) => new TextDecoder().decode(b);

const VECTOR_LIST = [
  ...Array.from({ length: 32 }, (_, i) => `v${i}:vector`),
  ..."vstart vxsat vxrm vcsr vl vtype vlenb".split(" ").map((n) => `${n}:csr`),
].join(" ");

Deno.test({
  name: "with V a plugin lists v0-v31 and the vector CSRs and reads the guest's values in an R_REGS callback",
  ignore: !plumeAvailable(),
  async fn() {
    const r = await runPlume([PROGRAM, "preserve"], {
      flags: ["-cpu", "rv64,v=on", "-d", "plugin", "-plugin", PLUGIN],
    });
    const err = text(r.stderr);
    assertMatch(err, /^registers 107$/m);
    assertEquals(err.split("\n")[1], VECTOR_LIST);
    // What the program set before its tgkill: v8 = 10..1f, v9, vl 3 at e32/m1, vxrm = vxsat = 1.
    assertMatch(
      err,
      /^tgkill v8=101112131415161718191a1b1c1d1e1f\/16 v9=80878e959ca3aab1b8bfc6cdd4dbe2e9\/16 vl=0x3\/8 vtype=0x10\/8 vstart=0x0\/8 vcsr=0x3\/8 vlenb=0x10\/8$/m,
    );
    assertEquals(r.status, 0);
  },
});

Deno.test({
  name: "with V an RW_REGS callback writes a vector register the guest then finds",
  ignore: !plumeAvailable(),
  async fn() {
    const r = await runPlume([PROGRAM, "preserve"], {
      flags: ["-cpu", "rv64,v=on", "-d", "plugin", "-plugin", `${PLUGIN},write=on`, "-plugin-allow", "guest=write"],
    });
    assertMatch(text(r.stderr), /^wrote 16 bytes to v9$/m);
    assertMatch(text(r.stdout), /^v9 00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff$/m);
    // The program finds its v9 changed behind its back.
    assertEquals(r.status, 1);
  },
});

Deno.test({
  name: "without V a plugin lists RV64GC's 68 registers only",
  ignore: !plumeAvailable(),
  async fn() {
    const r = await runPlume([join(GUEST_BIN, "hello_asm")], { flags: ["-d", "plugin", "-plugin", PLUGIN] });
    assertEquals(text(r.stderr), "registers 68\n");
    assertEquals(r.status, 7);
  },
});

Deno.test({
  name:
    "insn counts faulting and illegal vector instructions inline as with callbacks (merged inline adds stop at them)",
  ignore: !plumeAvailable(),
  async fn() {
    // QEMU 7.2's insn plugin counts `vector illegal` as 49640 instructions both ways (its adds are never merged).
    // One directory, the runs' HOME, for every run: the environment's bytes change how many instructions glibc runs.
    const cwd = await tempDir("plume-vector-insn-");
    for (const arg of ["segv-load", "illegal"]) {
      const count = async (mode: string[]) => {
        const r = await runPlume([join(GUEST_BIN, "vector"), arg], {
          cwd,
          flags: ["-cpu", "rv64,v=on", "-d", "plugin", "-plugin", ["insn", ...mode].join(",")],
        });
        return /^total insns: (\d+)$/m.exec(text(r.stderr))?.[1];
      };
      const callbacks = await count([]);
      assert(callbacks !== undefined && Number(callbacks) > 10_000, `vector ${arg}: ${callbacks}`);
      assertEquals(await count(["inline=on"]), callbacks, `vector ${arg}`);
    }
  },
});
