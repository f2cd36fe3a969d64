/**
 * plume from a checkout whose path has a space (and a character outside
 * ASCII): its own modules, the built-in plugins and the plugin process are
 * found from `import.meta.url`, whose percent-escapes must not leak into
 * file paths (`/home/me/my%20work/plugins/insn.ts` does not exist).
 */

import { join } from "node:path";
import { assertEquals, assertStringIncludes } from "./assert.ts";
import { copyCheckout, GUEST_BIN, ROOT, runCheckout, tempDir } from "./harness.ts";

Deno.test("plume runs built-in and user plugins from a checkout whose path has a space", async () => {
  const base = await tempDir("plume-checkout-");
  const checkout = join(base, "my checkout é");
  await copyCheckout(checkout);
  // A user plugin whose own path has a space too.
  const pluginDir = join(base, "my plugins");
  await Deno.mkdir(pluginDir);
  await Deno.copyFile(join(ROOT, "tests/plugins/count.ts"), join(pluginDir, "count.ts"));
  const run = (...args: string[]) => runCheckout(checkout, args, { cwd: base });
  const hello = join(GUEST_BIN, "hello_asm");
  const builtin = await run("-plugin", "insn,inline=on", "-d", "plugin", hello);
  assertEquals(builtin.status, 7, builtin.stderr);
  assertStringIncludes(builtin.stderr, "total insns: 11\n");
  const user = await run("-plugin", join(pluginDir, "count.ts"), "-d", "plugin", hello);
  assertEquals(user.status, 7, user.stderr);
  assertStringIncludes(user.stderr, "insns 11\nblocks 3\n");
});
