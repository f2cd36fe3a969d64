/**
 * The layering of `core/`, as ARCHITECTURE.md describes it, checked on
 * Deno's own module graph (`deno info --json`, type-only imports
 * included): no import cycle between modules, and no module reaching up
 * into a layer above its own or across to a folder of its own layer.
 */

import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { assertEquals } from "./assert.ts";
import { ROOT, tempDir } from "./harness.ts";

/**
 * The layers, bottom first, as ARCHITECTURE.md names them: a folder of
 * `core/` (or a module outside one) imports only from its own layer and
 * those below it, and the folders of one layer do not import each other.
 */
const LAYERS: readonly (readonly string[])[] = [
  ["core/util"],
  ["core/cpu"],
  ["core/fpu", "core/mem", "core/isa"],
  ["core/elf"],
  ["core/jit", "core/linux"],
  ["core/exec"],
  ["core/emulator.ts", "core/cli"],
  ["core/plugin", "core/gdb"],
  ["core/app"],
  ["main.ts"],
];

/** Where `path` (relative to the root) sits: its folder of `core/`, or the module itself outside one. */
function unit(path: string): string {
  return /^core\/[^/]+\//.exec(path)?.[0].slice(0, -1) ?? path;
}

/** Every module of `core/` and `main.ts` (tests, benchmarks and test helpers aside), as file URLs. */
async function coreModules(): Promise<string[]> {
  const out: string[] = [pathToFileURL(join(ROOT, "main.ts")).href];
  const walk = async (dir: string): Promise<void> => {
    for await (const e of Deno.readDir(dir)) {
      const path = join(dir, e.name);
      if (e.isDirectory) await walk(path);
      else if (/\.ts$/.test(e.name) && !/(_test|_bench|_testing)\.ts$|^_asm_testing/.test(e.name)) {
        out.push(pathToFileURL(path).href);
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

const short = (url: string) => url.slice(pathToFileURL(`${ROOT}/`).href.length);

Deno.test("core/ has no import cycle and no module imports from a layer above its own or a folder beside it", async () => {
  const graph = await importGraph(await coreModules());
  assertEquals(cycles(graph).map((c) => c.map(short)), []);
  const layer = new Map(LAYERS.flatMap((units, k) => units.map((u) => [u, k] as const)));
  const wrong: string[] = [];
  for (const [from, deps] of graph) {
    const a = unit(short(from));
    for (const to of deps) {
      const b = unit(short(to));
      const [la, lb] = [layer.get(a), layer.get(b)];
      if (la === undefined || lb === undefined) wrong.push(`${short(from)} or ${short(to)}: in no layer`);
      else if (a !== b && lb >= la) wrong.push(`${short(from)} -> ${short(to)}`);
    }
  }
  assertEquals(wrong, []);
});
