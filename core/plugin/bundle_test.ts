import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { tempDir } from "../../tests/harness.ts";
import {
  apiModuleSource,
  type BundleOptions,
  bundlePlugin,
  loadEsbuild,
  loadEsbuildWasm,
  MAX_PLUGIN_FILE_BYTES,
  nesting,
  operatorRun,
  stopEsbuild,
} from "./bundle.ts";
import { PLUGIN_API_NAMES } from "./allowlist_generated.ts";
import { forbiddenGlobals } from "./plugin_globals.ts";

/** Writes plugin files into a fresh directory; returns it. Each test's bundles are cached in `DIR/.cache`. */
async function files(tree: Record<string, string>): Promise<string> {
  const dir = await tempDir("plume-bundle-");
  for (const [name, text] of Object.entries(tree)) await Deno.writeTextFile(`${dir}/${name}`, text);
  return dir;
}

/** Bundles with the test directory's own cache (never the environment: test files share one process). */
function bundle(dir: string, file: string, opts: BundleOptions = {}) {
  return bundlePlugin(`${dir}/${file}`, { cache: `${dir}/.cache`, ...opts });
}

const HEADER = `import { qemu_plugin_outs } from "qemu-plugin";\nexport const qemu_plugin_version = 7;\n`;

Deno.test("bundlePlugin joins relative imports and binds only the API object", async () => {
  const dir = await files({
    "main.ts":
      `${HEADER}import { twice } from "./lib.ts";\nexport function qemu_plugin_install() { qemu_plugin_outs(String(twice(2))); return 0; }\n`,
    "lib.ts": `export const twice = (x: number): number => 2 * x;\n`,
  });
  const b = await bundle(dir, "main.ts");
  assertEquals(b.cached, false);
  assertEquals(b.files.map((f) => f.slice(dir.length + 1)).sort(), ["lib.ts", "main.ts"]);
  const out: string[] = [];
  const module = { exports: {} as Record<string, () => number> };
  new Function("module", "exports", "__plume_api__", b.code)(module, module.exports, {
    qemu_plugin_outs: (s: string) => out.push(s),
  });
  assertEquals(module.exports.qemu_plugin_install(), 0);
  assertEquals(out, ["4"]);
  await stopEsbuild();
});

Deno.test("bundlePlugin refuses what a sandboxed plugin may not reach, naming file, line and name", async () => {
  const cases: [string, string][] = [
    [
      `import { qemu_plugin_secret } from "qemu-plugin";\nqemu_plugin_secret();\n`,
      `p.ts:1:10: undefined symbol 'qemu_plugin_secret' (not exported by "qemu-plugin")`,
    ],
    [`import fs from "node:fs";\nfs;\n`, `p.ts:1:16: module 'node:fs' is not allowed`],
    [`import x from "npm:left-pad";\nx;\n`, `p.ts:1:15: module 'npm:left-pad' is not allowed`],
    [`import x from "jsr:@std/fs";\nx;\n`, `p.ts:1:15: module 'jsr:@std/fs' is not allowed`],
    [`import x from "https://example.com/x.ts";\nx;\n`, `p.ts:1:15: module 'https://example.com/x.ts' is not allowed`],
    [`import x from "lodash";\nx;\n`, `p.ts:1:15: module 'lodash' is not allowed`],
    [`export const f = () => import("./q.ts");\n`, `p.ts:1:31: dynamic import() of './q.ts' is not allowed`],
    [`const x = require("fs");\nx;\n`, `p.ts:1:11: reference to global 'require' is not allowed`],
    [
      `\nexport const f = () => Deno.readTextFileSync("/etc/passwd");\n`,
      `p.ts:2:24: reference to global 'Deno' is not allowed`,
    ],
    [`export const g = globalThis;\n`, `p.ts:1:18: reference to global 'globalThis' is not allowed`],
    [`export const h = () => fetch("x");\n`, `p.ts:1:24: reference to global 'fetch' is not allowed`],
    [`export const c = () => console.log(1);\n`, `p.ts:1:24: reference to global 'console' is not allowed`],
    [`export const e = () => eval("1");\n`, `p.ts:1:24: reference to global 'eval' is not allowed`],
    [`export const w = () => new Worker("x");\n`, `p.ts:1:28: reference to global 'Worker' is not allowed`],
    [`export const t = () => setTimeout(() => {}, 1);\n`, `p.ts:1:24: reference to global 'setTimeout' is not allowed`],
  ];
  for (const [source, message] of cases) {
    const dir = await files({ "p.ts": source });
    const cwd = Deno.cwd();
    Deno.chdir(dir);
    try {
      const err = await assertRejects(() => bundle(dir, "p.ts"));
      assertEquals(err.message.slice(0, message.length), message, source);
    } finally {
      Deno.chdir(cwd);
    }
  }
  await stopEsbuild();
});

Deno.test("bundlePlugin accepts local names that shadow globals, and granted globals", async () => {
  const dir = await files({
    "p.ts": `export function f(self: number, Deno: string) { const fetch = 1; return self + Deno + fetch; }\n`,
    "q.ts": `export const read = () => Deno.readTextFileSync("/x");\n`,
  });
  await bundle(dir, "p.ts");
  const granted = await bundle(dir, "q.ts", { allowed: ["Deno"] });
  assert(granted.code.includes("Deno.readTextFileSync"));
  await stopEsbuild();
});

Deno.test("bundlePlugin caches by content and notices a changed dependency", async () => {
  const dir = await files({
    "main.ts": `import { n } from "./lib.ts";\nexport const qemu_plugin_version = n;\n`,
    "lib.ts": `export const n = 7;\n`,
  });
  assertEquals((await bundle(dir, "main.ts")).cached, false);
  const hit = await bundle(dir, "main.ts");
  assertEquals(hit.cached, true);
  await Deno.writeTextFile(`${dir}/lib.ts`, `export const n = 6;\n`);
  const rebuilt = await bundle(dir, "main.ts");
  assertEquals(rebuilt.cached, false);
  assert(rebuilt.code.includes("6"));
  await stopEsbuild();
});

Deno.test("bundlePlugin's cache check reads only regular files within the size bound: a dependency turned FIFO is a miss, not a wait", async () => {
  const dir = await files({
    "main.ts": `import { n } from "./lib";\nexport const qemu_plugin_version = n;\n`,
    "lib.ts": `export const n = 7;\n`,
  });
  // Loaded first, since loading it adds globals, which would change the cache key of the same plugin.
  await loadEsbuild();
  assertEquals((await bundle(dir, "main.ts")).cached, false);
  // The plugin's next version: main.ts the same (its cache key too), lib.ts a link to a FIFO with a writer (it was
  // /dev/stdin in the attack: plume read the guest's input to its end), the module it imports now lib.js.
  Deno.removeSync(`${dir}/lib.ts`);
  const fifo = `${dir}/fifo`;
  assert((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success);
  const writer = Deno.openSync(fifo, { read: true, write: true });
  writer.writeSync(new TextEncoder().encode("input\n"));
  Deno.symlinkSync(fifo, `${dir}/lib.ts`);
  await Deno.writeTextFile(`${dir}/lib.js`, `export const n = 6;\n`);
  const load = bundle(dir, "main.ts");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waited = new Promise<"waited">((done) => timer = setTimeout(() => done("waited"), 10_000));
  const first = await Promise.race([load.then(() => "loaded" as const), waited]);
  clearTimeout(timer);
  // The end of the input lets a reader go, so that the test fails instead of hanging.
  writer.close();
  assertEquals(first, "loaded");
  const rebuilt = await load;
  assertEquals(rebuilt.cached, false);
  assert(rebuilt.code.includes("6"));
  await stopEsbuild();
});

/** A clock ten seconds ahead: every file written by the test has settled by it. */
const later = () => Date.now() + 10_000;

/** The stamp files in a test directory's cache. */
function stamps(dir: string): string[] {
  return [...Deno.readDirSync(`${dir}/.cache`)].map((e) => e.name).filter((n) => n.endsWith(".stamp.json"));
}

Deno.test("bundlePlugin's stamps: a cached load of settled files reads no content, a change is seen", async () => {
  const dir = await files({
    "main.ts": `import { n } from "./lib.ts";\nexport const qemu_plugin_version = n;\n`,
    "lib.ts": `export const n = 7777;\n`,
  });
  assertEquals((await bundle(dir, "main.ts", { now: later })).cached, false);
  assertEquals(stamps(dir).length, 1);
  // Without the content-addressed entries, only the stamps can answer.
  for (const e of Deno.readDirSync(`${dir}/.cache`)) {
    if (!e.name.endsWith(".stamp.json")) Deno.removeSync(`${dir}/.cache/${e.name}`);
  }
  const hit = await bundle(dir, "main.ts", { now: later });
  assertEquals(hit.cached, true);
  assert(hit.code.includes("7777"));
  // The same size, another content: its stat changed.
  await Deno.writeTextFile(`${dir}/lib.ts`, `export const n = 6666;\n`);
  const rebuilt = await bundle(dir, "main.ts", { now: later });
  assertEquals(rebuilt.cached, false);
  assert(rebuilt.code.includes("6666") && !rebuilt.code.includes("7777"));
  assert((await bundle(dir, "main.ts", { now: later })).code.includes("6666"));
  await stopEsbuild();
});

Deno.test("bundlePlugin stamps nothing when a file is saved while the bundle is built", async () => {
  const dir = await files({
    "main.ts": `import { n } from "./lib.ts";\nexport const qemu_plugin_version = n;\n`,
    "lib.ts": `export const n = 7777;\n`,
  });
  const real = await loadEsbuild();
  // The save lands after the bundler read lib.ts; by the clock the test moves on, the new stat has settled.
  const saving = {
    ...real,
    build: async (o: unknown) => {
      const r = await real.build(o);
      await Deno.writeTextFile(`${dir}/lib.ts`, `export const n = 6666;\n`);
      return r;
    },
  };
  assert((await bundle(dir, "main.ts", { esbuild: saving, now: later })).code.includes("7777"));
  assertEquals(stamps(dir), []);
  const next = await bundle(dir, "main.ts", { now: later });
  assert(next.code.includes("6666") && !next.code.includes("7777"));
  await stopEsbuild();
});

Deno.test("bundlePlugin ignores a damaged or forged stamp file", async () => {
  const dir = await files({ "main.ts": `export const qemu_plugin_version = 7777;\n` });
  await bundle(dir, "main.ts", { now: later });
  const [stamp] = stamps(dir);
  const path = `${dir}/.cache/${stamp}`;
  const entry = JSON.parse(await Deno.readTextFile(path));
  for (
    const forged of [
      "{not json",
      JSON.stringify({ ...entry, files: [] }),
      JSON.stringify({ ...entry, code: 7 }),
      JSON.stringify({ ...entry, material: "another plugin", code: "evil()" }),
      JSON.stringify({ ...entry, files: entry.files.map(([p]: [string, string]) => [p, "0 0 0 0 0"]), code: "evil()" }),
    ]
  ) {
    await Deno.writeTextFile(path, forged);
    const b = await bundle(dir, "main.ts", { now: later });
    assert(b.code.includes("7777") && !b.code.includes("evil"), forged);
  }
  await stopEsbuild();
});

Deno.test("bundlePlugin stamps no file changed within the last two seconds", async () => {
  const dir = await files({ "main.ts": `export const qemu_plugin_version = 7;\n` });
  await bundle(dir, "main.ts");
  assertEquals(stamps(dir), []);
  // A file whose mtime was put back is judged by its ctime, which only the kernel sets.
  const old = new Date(Date.now() - 60_000);
  await Deno.utime(`${dir}/main.ts`, old, old);
  assertEquals((await bundle(dir, "main.ts")).cached, true);
  assertEquals(stamps(dir), []);
  await stopEsbuild();
});

Deno.test("bundlePlugin's stamp of a plugin bundled with a grant does not serve it without the grant", async () => {
  const dir = await files({ "q.ts": `export const read = () => Deno.readTextFileSync("/x");\n` });
  assert((await bundle(dir, "q.ts", { allowed: ["Deno"], now: later })).code.includes("Deno.readTextFileSync"));
  assertEquals((await bundle(dir, "q.ts", { allowed: ["Deno"], now: later })).cached, true);
  const err = await assertRejects(() => bundle(dir, "q.ts", { now: later }));
  assert(err.message.includes("reference to global 'Deno' is not allowed"), err.message);
  await stopEsbuild();
});

Deno.test("apiModuleSource exports exactly the allowlist", () => {
  const names = [...apiModuleSource().matchAll(/^export const (\w+) = api\.\1;$/gm)].map((m) => m[1]);
  assertEquals(names, [...PLUGIN_API_NAMES]);
  assert(forbiddenGlobals([]).every((g) => !PLUGIN_API_NAMES.includes(g)));
});

Deno.test("esbuild-wasm (the compiled binary's bundler) enforces the same rules", async () => {
  const wasm = await loadEsbuildWasm();
  const dir = await files({
    "ok.ts": `${HEADER}export function qemu_plugin_install() { qemu_plugin_outs("hi"); return 0; }\n`,
    "bad.ts": `import { qemu_plugin_nope } from "qemu-plugin";\nqemu_plugin_nope();\n`,
  });
  const ok = await bundle(dir, "ok.ts", { esbuild: wasm });
  assert(ok.code.includes("qemu_plugin_install"));
  const err = await assertRejects(() => bundle(dir, "bad.ts", { esbuild: wasm }));
  assert(err.message.includes(`undefined symbol 'qemu_plugin_nope'`), err.message);
  await wasm.stop?.();
});

Deno.test("esbuild's service has answered when esbuild is loaded, again after a stop: no bundle's bound counts its start", async () => {
  // esbuild-wasm's service (Node, compiling esbuild's WebAssembly) answered first during the first build, inside that
  // plugin's bound: half a second here, more than the bound on a loaded machine, where a plugin bundled again after
  // another's source had stopped the service was refused as "not done" (CI, 2026-12-07).
  const childProcess = (await import("node:child_process")).default;
  const spawn = childProcess.spawn;
  let answers = 0;
  childProcess.spawn = ((...args: Parameters<typeof spawn>) => {
    const child = spawn(...args);
    child.stdout?.on("data", () => answers++);
    return child;
  }) as typeof spawn;
  const dir = await files({ "ok.ts": `${HEADER}export function qemu_plugin_install() { return 0; }\n` });
  const before = Deno.env.get("PLUME_ESBUILD");
  try {
    for (const which of ["native", "wasm", "wasm"]) {
      Deno.env.set("PLUME_ESBUILD", which);
      await stopEsbuild();
      answers = 0;
      await loadEsbuild();
      assert(answers > 0, `${which}: loaded, not answered yet`);
      assertEquals((await bundle(dir, "ok.ts", { cache: null, timeoutMs: 60_000 })).cached, false);
    }
  } finally {
    childProcess.spawn = spawn;
    if (before === undefined) Deno.env.delete("PLUME_ESBUILD");
    else Deno.env.set("PLUME_ESBUILD", before);
    await stopEsbuild();
  }
});

Deno.test("stopEsbuild stops only the service it is given, and a service loaded meanwhile starts after the stop", async () => {
  // Two plugins bundled at once, one of whose sources crashed the shared service: both attempts stopped "the"
  // service, the second one stopping the new one the first had started to bundle again (esbuild-wasm has one per
  // process), and the innocent plugin failed as "The service was stopped".
  const before = Deno.env.get("PLUME_ESBUILD");
  try {
    for (const which of ["native", "wasm"]) {
      Deno.env.set("PLUME_ESBUILD", which);
      const old = loadEsbuild();
      await old;
      const stopping = stopEsbuild(old);
      const current = loadEsbuild();
      assert(current !== old, which);
      await stopEsbuild(old);
      await stopping;
      const esbuild = await current;
      assertEquals((await esbuild.transform("let x = 1", {})).code, "let x = 1;\n", which);
      await stopEsbuild();
    }
  } finally {
    if (before === undefined) Deno.env.delete("PLUME_ESBUILD");
    else Deno.env.set("PLUME_ESBUILD", before);
  }
});

Deno.test("bundlePlugin refuses sources too large or nested too deep for the bundler", async () => {
  const deep = `export const n = ${"[".repeat(600)}${"]".repeat(600)};\n`;
  const big = `export const s = "${"x".repeat(MAX_PLUGIN_FILE_BYTES)}";\n`;
  const dir = await files({ "deep.ts": deep, "big.ts": big });
  const e1 = await assertRejects(() => bundle(dir, "deep.ts"));
  assertEquals(e1.message.endsWith("deep.ts: brackets nested 600 deep (at most 512)"), true, e1.message);
  const e2 = await assertRejects(() => bundle(dir, "big.ts"));
  assertEquals(e2.message.endsWith(`big.ts: larger than ${MAX_PLUGIN_FILE_BYTES} bytes`), true, e2.message);
  // A file whose size says 0 and that holds far more (procfs's: 256 GiB here) is read to the bound only.
  Deno.symlinkSync("/proc/self/pagemap", `${dir}/pagemap.ts`);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bounded = await Promise.race([
    assertRejects(() => bundle(dir, "pagemap.ts")),
    new Promise<undefined>((done) => timer = setTimeout(() => done(undefined), 10_000)),
  ]);
  clearTimeout(timer);
  assert(bounded !== undefined, "/proc/self/pagemap was still being read after 10 s");
  assertEquals(
    bounded.message.endsWith(`pagemap.ts: larger than ${MAX_PLUGIN_FILE_BYTES} bytes`),
    true,
    bounded.message,
  );
  assertEquals(nesting(`f(a[b(c)]);\n`), 3);
  // Brackets in strings, templates and regular expressions count too: an over-count is harmless, an under-count was not.
  assertEquals(nesting('const r = /"/; f(`${[[[1]]]}`);\n'), 5);
  await stopEsbuild();
});

Deno.test("bundlePlugin refuses expressions whose operator chains would make the bundler recurse too deep", async () => {
  // Chains that crashed esbuild (found by an attacking helper) at 200,000 to 450,000 links, at a tenth of that.
  const chains: Record<string, string> = {
    "not.ts": `export const z = ${"!".repeat(20_000)}0;\n`,
    "arrow.ts": `export const f = ${"x=>".repeat(20_000)}0;\n`,
    "assign.ts": `let a; export const z = ${"a=".repeat(20_000)}0;\n`,
    "neg.ts": `export const z = ${"- ".repeat(20_000)}0;\n`,
    "cond.ts": `const a = 1; export const z = ${'a?"x":'.repeat(10_000)}0;\n`,
    "template.ts": `export const z = \`\${${"!".repeat(20_000)}0}\`;\n`,
    // Brackets in each link (a reviewing helper's): they end no chain.
    "paren_arrow.ts": `export const f = ${"(x)=>".repeat(20_000)}0;\n`,
    "index_assign.ts": `const a = [0]; export const z = ${"a[0]=".repeat(20_000)}0;\n`,
  };
  const dir = await files(chains);
  for (const name of Object.keys(chains)) {
    const e = await assertRejects(() => bundle(dir, name));
    assert(/: \d+ operators in one expression \(at most 10000\)$/.test(e.message), e.message);
  }
  // What real code has: long statements broken by commas and semicolons; operators in strings are not counted.
  const fine = `const t = [${"1 + 2 - 3, ".repeat(5000)}];\nconst s = "${"-".repeat(50_000)}";\n` +
    `let v = 0;\n${"v += 1;\n".repeat(5000)}export const qemu_plugin_version = 7;\n`;
  assert(operatorRun(fine) < 10);
  assertEquals(operatorRun("a = b ? c : d; e = !f,"), 3);
  assertEquals(operatorRun(`a = "x\\"!!!"; b`), 1, "an escaped quote does not end the string");
  await stopEsbuild();
});
