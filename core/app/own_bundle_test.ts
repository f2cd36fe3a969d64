import { join } from "node:path";
import { assert, assertEquals, assertNotEquals, assertStringIncludes } from "../../tests/assert.ts";
import { copyCheckout, GUEST_BIN, runCheckout, tempDir } from "../../tests/harness.ts";
import { sourceKey } from "./own_bundle.ts";

/** Runs the copy's `main.ts` with `args`; `env` is added to the environment. */
const run = (checkout: string, args: string[], env: Record<string, string> = {}) =>
  runCheckout(checkout, args, { env });

/** The bundles in a checkout's cache (their key directories). */
function bundles(checkout: string): string[] {
  try {
    return [...Deno.readDirSync(join(checkout, ".cache/modules"))].map((e) => e.name).filter((n) =>
      /^[0-9a-f]+$/.test(n)
    ).sort();
  } catch {
    return [];
  }
}

Deno.test("the bundle key changes with a module's size, time or presence, not with tests", async () => {
  const root = await tempDir("plume-key-");
  await Deno.mkdir(join(root, "core/util"), { recursive: true });
  await Deno.writeTextFile(join(root, "deno.json"), "{}\n");
  await Deno.writeTextFile(join(root, "core/util/a.ts"), "export const a = 1;\n");
  const k0 = await sourceKey(`${root}/`);
  assertEquals(await sourceKey(`${root}/`), k0);
  await Deno.writeTextFile(join(root, "core/util/a_test.ts"), "Deno.test('x', () => {});\n");
  assertEquals(await sourceKey(`${root}/`), k0, "a test is not part of the bundle");
  await Deno.writeTextFile(join(root, "core/util/a.ts"), "export const a = 22;\n");
  const k1 = await sourceKey(`${root}/`);
  assertNotEquals(k1, k0, "size");
  // Same size, another time: an edit that keeps the length.
  await Deno.writeTextFile(join(root, "core/util/a.ts"), "export const a = 33;\n");
  await Deno.utime(join(root, "core/util/a.ts"), 1_000_000, 1_000_000);
  assertNotEquals(await sourceKey(`${root}/`), k1, "modification time");
  await Deno.writeTextFile(join(root, "core/util/b.ts"), "export const b = 1;\n");
  const k2 = await sourceKey(`${root}/`);
  await Deno.remove(join(root, "core/util/b.ts"));
  assertNotEquals(await sourceKey(`${root}/`), k2, "a module removed");
  await Deno.writeTextFile(join(root, "deno.json"), '{"imports": {}}\n');
  assertNotEquals(await sourceKey(`${root}/`), k2, "deno.json");
});

Deno.test("plume runs from its bundle, builds a new one when a source changes, and from the sources with PLUME_OWN_BUNDLE=off", async () => {
  const checkout = join(await tempDir("plume-own-bundle-"), "checkout");
  await copyCheckout(checkout);
  const hello = join(GUEST_BIN, "hello_asm");
  const first = await run(checkout, [hello]);
  assertEquals([first.status, first.stdout, first.stderr], [7, "Hello from RISC-V assembly, no libc\n", ""]);
  const [key] = bundles(checkout);
  assertEquals(bundles(checkout), [key], "one bundle built");
  const dir = join(checkout, ".cache/modules", key);
  // The functions a training run called were made eager (eager_functions.ts), and the training left nothing behind.
  const chunks = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".js"));
  const eager = chunks.map((e) =>
    Deno.readTextFileSync(join(dir, e.name)).match(/=\((?:async )?function\*?\(/g)?.length ?? 0
  );
  assert(eager.reduce((a, b) => a + b) > 100, `eager declarations: ${eager}`);
  assertEquals(
    chunks.filter((e) => !/^(chunk|emulator|loader|bundle|core|builtins|demo|stub|record_replay)-/.test(e.name)),
    [],
  );
  assertEquals([...Deno.readDirSync(join(checkout, ".cache/modules"))].filter((e) => !/^[0-9a-f]+$/.test(e.name)), []);
  // Plugin processes run the bundle's host.ts too: a built-in plugin still works.
  const plugin = await run(checkout, ["-plugin", "insn,inline=on", "-d", "plugin", hello]);
  assertEquals(plugin.status, 7, plugin.stderr);
  assertStringIncludes(plugin.stderr, "total insns: 11\n");

  // The run really loads the bundle: break its emulator chunk and the run says so.
  const chunk = [...Deno.readDirSync(dir)].find((e) => e.name.startsWith("emulator-"))!.name;
  await Deno.writeTextFile(join(dir, chunk), 'throw new Error("from the bundle");\n');
  const broken = await run(checkout, [hello]);
  assertEquals(broken.status, 1);
  assertStringIncludes(broken.stderr, "from the bundle");
  const off = await run(checkout, [hello], { PLUME_OWN_BUNDLE: "off" });
  assertEquals([off.status, off.stderr], [7, ""], "the sources, not the bundle");
  // A cache others could have written to is not trusted.
  const cache = join(checkout, ".cache/modules");
  await Deno.chmod(cache, 0o777);
  const shared = await run(checkout, [hello]);
  assertEquals([shared.status, shared.stderr], [7, ""], "the sources, not a bundle from a folder anyone can write");
  await Deno.chmod(cache, 0o755);
  // A damaged entry is passed over for the sources.
  await Deno.writeTextFile(join(dir, "core/app/command_line.js"), "this is not JavaScript(\n");
  const damaged = await run(checkout, [hello]);
  assertEquals([damaged.status, damaged.stderr], [7, ""], "the sources, not a damaged bundle");

  // An edited source is a new key: a new bundle, built from the sources as they are now.
  const log = join(checkout, "core/util/log.ts");
  await Deno.writeTextFile(log, (await Deno.readTextFile(log)) + "\n// edited\n");
  const edited = await run(checkout, [hello]);
  assertEquals([edited.status, edited.stderr], [7, ""]);
  assertEquals(bundles(checkout).length, 2);
});

Deno.test("plume runs from its sources when the bundle cannot be built, and tries once per key", async () => {
  const checkout = join(await tempDir("plume-own-bundle-"), "checkout");
  await copyCheckout(checkout);
  // esbuild that cannot be found: the import map points it at a file that does not exist.
  const config = JSON.parse(await Deno.readTextFile(join(checkout, "deno.json")));
  config.imports.esbuild = "./no-such-esbuild.js";
  config.imports["esbuild-wasm"] = "./no-such-esbuild.js";
  await Deno.writeTextFile(join(checkout, "deno.json"), JSON.stringify(config));
  const hello = join(GUEST_BIN, "hello_asm");
  const first = await run(checkout, [hello]);
  assertEquals([first.status, first.stdout, first.stderr], [7, "Hello from RISC-V assembly, no libc\n", ""]);
  assertEquals(bundles(checkout), []);
  const markers = [...Deno.readDirSync(join(checkout, ".cache/modules"))].map((e) => e.name);
  assertEquals(markers.length, 1);
  assertStringIncludes(markers[0], "failed-");
  // Not tried again: the marker, dated an hour back, is not rewritten.
  const marker = join(checkout, ".cache/modules", markers[0]);
  const hourAgo = new Date(Date.now() - 3600_000);
  await Deno.utime(marker, hourAgo, hourAgo);
  const second = await run(checkout, [hello]);
  assertEquals([second.status, second.stderr], [7, ""]);
  assertEquals((await Deno.stat(marker)).mtime?.getTime(), hourAgo.getTime());
});

Deno.test("while another run builds the bundle, plume runs from its sources and builds nothing", async () => {
  const checkout = join(await tempDir("plume-own-bundle-"), "checkout");
  await copyCheckout(checkout);
  const key = await sourceKey(`${checkout}/`);
  await Deno.mkdir(join(checkout, ".cache/modules", `lock-${key}`), { recursive: true });
  const hello = join(GUEST_BIN, "hello_asm");
  const run1 = await run(checkout, [hello]);
  assertEquals([run1.status, run1.stdout, run1.stderr], [7, "Hello from RISC-V assembly, no libc\n", ""]);
  assertEquals(bundles(checkout), [], "no bundle while the lock is held");
  // A lock left by a run that was killed (two minutes old) is taken over.
  const old = new Date(Date.now() - 180_000);
  await Deno.utime(join(checkout, ".cache/modules", `lock-${key}`), old, old);
  const run2 = await run(checkout, [hello]);
  assertEquals([run2.status, run2.stderr], [7, ""]);
  assertEquals(bundles(checkout), [key]);
  assertEquals([...Deno.readDirSync(join(checkout, ".cache/modules"))].map((e) => e.name), [key], "the lock is gone");
});
