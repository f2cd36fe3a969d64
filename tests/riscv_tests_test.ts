/**
 * The riscv-tests ISA tests of the extensions beyond RV64GC (rv64uzba,
 * rv64uzbb, rv64uzbc, rv64uzbs, rv64uzfh, rv64uzicond), built as Linux programs by
 * `build/build_riscv_tests.sh` into `tests/guest/bin/riscv-tests`: each exits
 * with 0 when every case passes, else with the failing case's number. Each
 * must pass under plume, and, where the oracle is here, give what it gives:
 * the same output and status, and with QEMU's `libinsn.so` (qemu-riscv64 7.2)
 * the same instruction count. Zicond is not in QEMU 7.2: its tests run with
 * `-cpu rv64,zicond=true` and are compared with QEMU 10's static
 * qemu-riscv64 (`PLUME_DEBIAN_ARCH=amd64 build/fetch_debian.sh qemu-user`, or
 * `$PLUME_QEMU10`), which has no plugins, so without the count. Zfh is off in
 * QEMU 7.2's default CPU: its tests run with `-cpu rv64,zfh=on` under plume,
 * `-cpu rv64,Zfh=true` (7.2's spelling) under QEMU 7.2, with the count, and
 * `-cpu max` under QEMU 10.
 *
 * @module
 */

import { assertEquals } from "./assert.ts";
import {
  compareRuns,
  GUEST_BIN,
  guestEnv,
  qemu10,
  qemuAvailable,
  qemuPlugin,
  runPlume,
  runQemu,
  tempDir,
} from "./harness.ts";
import { join } from "node:path";

const DIR = join(GUEST_BIN, "riscv-tests");
const TESTS = [...Deno.readDirSync(DIR)].map((e) => e.name).sort();

Deno.test(`the riscv-tests of Zba, Zbb, Zbc, Zbs, Zfh and Zicond are all here (${TESTS.length})`, () => {
  const suites = new Map<string, number>();
  for (const t of TESTS) suites.set(t.split("-")[0], (suites.get(t.split("-")[0]) ?? 0) + 1);
  assertEquals(Object.fromEntries(suites), {
    rv64uzba: 8,
    rv64uzbb: 24,
    rv64uzbc: 3,
    rv64uzbs: 8,
    rv64uzfh: 11,
    rv64uzicond: 2,
  });
});

const insnPlugin = qemuAvailable() ? qemuPlugin("insn") : undefined;
const bSkip = !qemuAvailable()
  ? " (qemu-riscv64 not found: plume alone)"
  : !insnPlugin
  ? " (no .cache/qemu-plugins/libinsn.so: without instruction counts)"
  : "";

Deno.test(`riscv-tests rv64uzba/uzbb/uzbc/uzbs pass under plume as under qemu-riscv64 7.2${bSkip}`, async () => {
  const cwd = await tempDir("plume-riscv-tests-"), env = guestEnv(cwd);
  for (const t of TESTS.filter((t) => /^rv64uzb[abcs]-/.test(t))) {
    const argv = [join(DIR, t)];
    const plumeFlags = insnPlugin ? ["-plugin", "insn", "-d", "plugin"] : [];
    const plume = await runPlume(argv, { cwd, env, flags: plumeFlags });
    assertEquals(plume.status, 0, `${t}: case ${plume.status} fails under plume`);
    if (!qemuAvailable()) continue;
    const qemu = await runQemu(argv, { cwd, env, flags: insnPlugin ? ["-plugin", insnPlugin, "-d", "plugin"] : [] });
    compareRuns(t, qemu, plume);
  }
});

const q10 = qemu10();

Deno.test(
  `riscv-tests rv64uzfh pass under plume -cpu rv64,zfh=on as under qemu-riscv64 7.2 -cpu rv64,Zfh=true${bSkip}` +
    (q10 ? "" : " (QEMU 10 not found)"),
  async () => {
    const cwd = await tempDir("plume-riscv-tests-"), env = guestEnv(cwd);
    const count = insnPlugin ? ["-plugin", "insn", "-d", "plugin"] : [];
    for (const t of TESTS.filter((t) => t.startsWith("rv64uzfh"))) {
      const argv = [join(DIR, t)];
      const plume = await runPlume(argv, { cwd, env, flags: ["-cpu", "rv64,zfh=on", ...count] });
      assertEquals(plume.status, 0, `${t}: case ${plume.status} fails under plume`);
      // Without the extension (QEMU 7.2's default) the first half-precision instruction is illegal;
      // rv64uzfh's recoding.S is rv64uf's (single precision only) and runs anyway.
      const without = (await runPlume(argv, { cwd, env })).status;
      assertEquals(without, t.endsWith("-recoding") ? 0 : 132, `${t} without Zfh`);
      if (qemuAvailable()) {
        const flags = ["-cpu", "rv64,Zfh=true", ...(insnPlugin ? ["-plugin", insnPlugin, "-d", "plugin"] : [])];
        compareRuns(t, await runQemu(argv, { cwd, env, flags }), plume);
      }
      if (q10) {
        const max = await runPlume(argv, { cwd, env, flags: ["-cpu", "max"] });
        compareRuns(t, await runQemu(argv, { cwd, env, qemu: q10, flags: ["-cpu", "max"] }), max);
      }
    }
  },
);
Deno.test(
  `riscv-tests rv64uzicond pass under plume -cpu rv64,zicond=true as under QEMU 10` +
    (q10 ? "" : " (QEMU 10 not found: plume alone)"),
  async () => {
    const cwd = await tempDir("plume-riscv-tests-"), env = guestEnv(cwd);
    for (const t of TESTS.filter((t) => t.startsWith("rv64uzicond"))) {
      const argv = [join(DIR, t)];
      const plume = await runPlume(argv, { cwd, env, flags: ["-cpu", "rv64,zicond=true"] });
      assertEquals(plume.status, 0, `${t}: case ${plume.status} fails under plume`);
      // Without the extension the first czero is an illegal instruction, as under QEMU.
      assertEquals((await runPlume(argv, { cwd, env })).status, 132, `${t} without Zicond`);
      if (q10) compareRuns(t, await runQemu(argv, { cwd, env, qemu: q10, flags: ["-cpu", "rv64,zicond=true"] }), plume);
    }
  },
);
