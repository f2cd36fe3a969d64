/**
 * The layering of `core/`, as ARCHITECTURE.md describes it, checked on
 * Deno's own module graph (`deno info --json`, type-only imports
 * included): no import cycle between modules, and no folder reaching up
 * into one above it.
 */

import { join } from "node:path";
import { assertEquals } from "./assert.ts";
import { ROOT, tempDir } from "./harness.ts";

/** Folders of `core/` that may not import from the folders listed: each sits below them. */
const BELOW: Readonly<Record<string, readonly string[]>> = {
  util: ["cli", "cpu", "elf", "exec", "fpu", "isa", "jit", "linux", "mem", "plugin", "gdb"],
  cpu: ["cli", "elf", "exec", "jit", "linux", "plugin", "gdb"],
  fpu: ["cli", "elf", "exec", "jit", "linux", "plugin", "gdb"],
  mem: ["cli", "elf", "exec", "jit", "linux", "plugin", "gdb"],
  isa: ["cli", "elf", "exec", "jit", "linux", "plugin", "gdb"],
  elf: ["cli", "exec", "jit", "linux", "plugin", "gdb"],
  jit: ["cli", "exec", "linux", "plugin", "gdb"],
  linux: ["cli", "exec", "jit", "plugin", "gdb"],
  exec: ["cli", "plugin", "gdb"],
  plugin: ["gdb"],
  gdb: ["cli", "plugin"],
};

/** Every module of `core/` and `main.ts` (tests, benchmarks and test helpers aside), as file URLs. */
async function coreModules(): Promise<string[]> {
  const out: string[] = [new URL(`file://${join(ROOT, "main.ts")}`).href];
  const walk = async (dir: string): Promise<void> => {
    for await (const e of Deno.readDir(dir)) {
      const path = join(dir, e.name);
      if (e.isDirectory) await walk(path);
      else if (/\.ts$/.test(e.name) && !/(_test|_bench|_testing)\.ts$|^_asm_testing/.test(e.name)) {
        out.push(new URL(`file://${path}`).href);
      }
    }
  };
  await walk(join(ROOT, "core"));
  return out.sort();
}

/** The import graph of `modules` (code and type imports), restricted to them. */
async function importGraph(modules: string[]): Promise<Map<string, string[]>> {
  const dir = await tempDir("plume-layers-");
  const root = join(dir, "all.ts");
  await Deno.writeTextFile(root, modules.map((m) => `import ${JSON.stringify(m)};\n`).join(""));
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", `--config=${join(ROOT, "deno.json")}`, root],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(code, 0, new TextDecoder().decode(stderr));
  const info = JSON.parse(new TextDecoder().decode(stdout)) as {
    modules: { specifier: string; dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[] }[];
  };
  const known = new Set(modules);
  const graph = new Map<string, string[]>();
  for (const m of info.modules) {
    if (!known.has(m.specifier)) continue;
    const deps = (m.dependencies ?? []).flatMap((d) => [d.code?.specifier, d.type?.specifier]);
    graph.set(m.specifier, [...new Set(deps.filter((s): s is string => s !== undefined && known.has(s)))]);
  }
  return graph;
}

/** Strongly connected components of more than one module (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [];
  const onStack = new Set<string>(), found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) visit(w), low.set(v, Math.min(low.get(v)!, low.get(w)!));
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    for (let w = ""; w !== v;) w = stack.pop()!, onStack.delete(w), component.push(w);
    if (component.length > 1) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const short = (url: string) => url.slice(new URL(`file://${ROOT}/`).href.length);

Deno.test("core/ has no import cycle and no folder imports from a folder above it", async () => {
  const graph = await importGraph(await coreModules());
  assertEquals(cycles(graph).map((c) => c.map(short)), []);
  const upward: string[] = [];
  for (const [from, deps] of graph) {
    const folder = /^core\/([^/]+)\//.exec(short(from))?.[1];
    for (const to of deps) {
      const target = /^core\/([^/]+)\//.exec(short(to))?.[1];
      if (folder && target && BELOW[folder]?.includes(target)) upward.push(`${short(from)} -> ${short(to)}`);
    }
  }
  assertEquals(upward, []);
});
