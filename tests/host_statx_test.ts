/**
 * plume on a host whose `statx` is refused (a seccomp filter, as older
 * container profiles had; an old kernel): the guest's `stat` still works,
 * through Deno's stat (to the millisecond) when the C library's `statx`
 * answers `EPERM`, and to the nanosecond when glibc emulates a missing
 * `statx` (`ENOSYS`). The filter is `tests/host/deny_statx.c`, built here
 * with the host's gcc.
 *
 * @module
 */

import { assertEquals } from "./assert.ts";
import { busyboxPath, plumeAvailable, plumeCommand, ROOT, tempDir } from "./harness.ts";
import { join } from "node:path";

function gccAvailable(): boolean {
  try {
    return new Deno.Command("gcc", { args: ["--version"], stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

const busybox = busyboxPath();
const ready = busybox !== undefined && plumeAvailable() && gccAvailable() && Deno.build.os === "linux";

for (const [errno, name, expected] of [[1, "EPERM", ".123000000"], [38, "ENOSYS", ".123456789"]] as const) {
  Deno.test({
    name: `statx refused with ${name}: the guest's stat works (times ${expected})${ready ? "" : " (skipped)"}`,
    ignore: !ready,
    async fn() {
      const dir = await tempDir("plume-statx-");
      const deny = join(dir, "deny_statx");
      const built = await new Deno.Command("gcc", {
        args: ["-O2", "-o", deny, join(ROOT, "tests/host/deny_statx.c")],
      }).output();
      if (!built.success) throw new Error(`gcc: ${new TextDecoder().decode(built.stderr)}`);
      const file = join(dir, "f");
      Deno.writeTextFileSync(file, "twelve bytes");
      const touched = await new Deno.Command("touch", { args: ["-d", "@1704164645.123456789", file] }).output();
      if (!touched.success) throw new Error("touch failed");
      const r = await new Deno.Command(deny, {
        args: [String(errno), ...plumeCommand(), busybox!, "stat", "-c", "%s %y", file],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const err = new TextDecoder().decode(r.stderr);
      assertEquals(r.code, 0, err);
      assertEquals(new TextDecoder().decode(r.stdout), `12 2024-01-02 03:04:05${expected} +0000\n`, err);
    },
  });
}
