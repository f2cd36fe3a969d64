/**
 * plume from a checkout whose path has a space (and a character outside
 * ASCII): its own modules, the built-in plugins and the plugin process are
 * found from `import.meta.url`, whose percent-escapes must not leak into
 * file paths (`/home/me/my%20work/plugins/insn.ts` does not exist).
 */

import { join } from "node:path";
import { assertEquals, assertStringIncludes } from "./assert.ts";
import { GUEST_BIN, plumeTaskFlags, ROOT, tempDir } from "./harness.ts";

/** What plume needs to run: its entry, its configuration, its modules and the built-in plugins. */
const CHECKOUT = ["main.ts", "deno.json", "deno.lock", "core", "plugins"];

/** Copies this checkout's run-time files into `dir` (a plain copy: no git, nothing else). */
async function copyCheckout(dir: string): Promise<void> {
  const copy = async (from: string, to: string): Promise<void> => {
    const info = await Deno.stat(from);
    if (!info.isDirectory) return await Deno.copyFile(from, to);
    await Deno.mkdir(to, { recursive: true });
    for await (const e of Deno.readDir(from)) await copy(join(from, e.name), join(to, e.name));
  };
  await Deno.mkdir(dir, { recursive: true });
  for (const name of CHECKOUT) await copy(join(ROOT, name), join(dir, name));
}

Deno.test("plume runs built-in and user plugins from a checkout whose path has a space", async () => {
  const base = await tempDir("plume-checkout-");
  const checkout = join(base, "my checkout é");
  await copyCheckout(checkout);
  // A user plugin whose own path has a space too.
  const pluginDir = join(base, "my plugins");
  await Deno.mkdir(pluginDir);
  await Deno.copyFile(join(ROOT, "tests/plugins/count.ts"), join(pluginDir, "count.ts"));
  const flags = plumeTaskFlags(await Deno.readTextFile(join(checkout, "deno.json")));
  const run = async (...args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...flags, `--config=${join(checkout, "deno.json")}`, join(checkout, "main.ts"), ...args],
      cwd: base,
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      status: out.code,
      stdout: new TextDecoder().decode(out.stdout),
      stderr: new TextDecoder().decode(out.stderr),
    };
  };
  const hello = join(GUEST_BIN, "hello_asm");
  const builtin = await run("-plugin", "insn,inline=on", "-d", "plugin", hello);
  assertEquals(builtin.status, 7, builtin.stderr);
  assertStringIncludes(builtin.stderr, "total insns: 11\n");
  const user = await run("-plugin", join(pluginDir, "count.ts"), "-d", "plugin", hello);
  assertEquals(user.status, 7, user.stderr);
  assertStringIncludes(user.stderr, "insns 11\nblocks 3\n");
});
