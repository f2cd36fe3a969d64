/**
 * plume's `-cpu` models against QEMU 10's, seen from a guest
 * (`tests/guest/bin/cpu_probe`): which instructions of the optional
 * extensions run or raise SIGILL under each model.
 *
 * V is left out of plume's models while it is incomplete
 * (`INCOMPLETE_EXTENSIONS` in `core/isa/extensions.ts`), so plume runs
 * `rva23u64` and `max` with `,v=on` where QEMU 10 has V by default.
 *
 * @module
 */

import { assertEquals } from "./assert.ts";
import { GUEST_BIN, plumeAvailable, qemu10, runPlume, runQemu } from "./harness.ts";
import { join } from "node:path";

const PROBE = join(GUEST_BIN, "cpu_probe");
const QEMU10 = qemu10();
const skip = !plumeAvailable()
  ? "main.ts not present"
  : !QEMU10
  ? "QEMU 10 not found (see qemu10() in harness.ts)"
  : "";

/** A model as QEMU 10 spells it and as plume runs it. */
interface Model {
  qemu: string;
  plume: string;
}

const MODELS: Model[] = [
  { qemu: "rv64,zicboz=false", plume: "rv64" },
  { qemu: "rva22u64", plume: "rva22u64" },
  { qemu: "rva23u64", plume: "rva23u64,v=on" },
  { qemu: "max", plume: "max,v=on" },
  { qemu: "rv64,zicboz=false,zicond=true,zcb=true,zfhmin=true", plume: "rv64,zicond=on,zcb=on,zfhmin=on" },
];

for (const m of MODELS) {
  const name = `cpu_probe insns: plume -cpu ${m.plume} runs the instructions QEMU 10's -cpu ${m.qemu} runs`;
  Deno.test({
    name: skip ? `${name} (skipped: ${skip})` : name,
    ignore: skip !== "",
    async fn() {
      const q = await runQemu([PROBE, "insns"], { qemu: QEMU10, flags: ["-cpu", m.qemu] });
      const p = await runPlume([PROBE, "insns"], { flags: ["-cpu", m.plume] });
      assertEquals(q.status, 0, `QEMU 10 -cpu ${m.qemu}`);
      assertEquals(new TextDecoder().decode(p.stdout), new TextDecoder().decode(q.stdout));
      assertEquals(p.status, 0);
    },
  });
}

Deno.test({
  name: skip
    ? `plume's rva23u64 leaves V out while it is incomplete (skipped: ${skip})`
    : "plume's rva23u64 leaves V out while it is incomplete",
  ignore: skip !== "",
  async fn() {
    const p = await runPlume([PROBE, "insns"], { flags: ["-cpu", "rva23u64"] });
    const v = new TextDecoder().decode(p.stdout).split("\n").find((l) => l.startsWith("v "));
    assertEquals(v, "v       vsetivli   SIGILL");
  },
});
