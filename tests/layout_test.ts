/**
 * The layout the documents describe is the code's: ARCHITECTURE.md names
 * every module of `core/` and `build/`, every file or folder that
 * ARCHITECTURE.md and the README name in code spans exists, and no source
 * turns a `file:` URL into a path with `.pathname` (which keeps `%20`;
 * `fileUrlToPath` decodes it).
 */

import { join, relative } from "node:path";
import { assertEquals } from "./assert.ts";
import { ROOT } from "./harness.ts";

/** Every file under `dir` (relative to the root), `.git`, caches and the built guests aside. */
async function files(dir = ROOT): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory && ![".git", ".cache", "node_modules", "dist"].includes(e.name)) out.push(...await files(path));
    else if (e.isFile) out.push(relative(ROOT, path));
  }
  return out.sort();
}

const ALL = await files();

/** The code spans of a Markdown text. */
function codeSpans(text: string): string[] {
  return [...text.replace(/^```[\s\S]*?^```/gm, "").matchAll(/`([^`\n]+)`/g)].map((m) => m[1]);
}

/** Whether a span that names a file or folder exists: relative to the root, or as the end of a path (`wasm/region.ts`). */
function exists(span: string): boolean {
  const glob = span.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*");
  const pattern = new RegExp(`(^|/)${glob}${span.endsWith("/") ? "" : "$"}`);
  return ALL.some((f) => pattern.test(f));
}

/**
 * The modules ARCHITECTURE.md names, as paths: a span in the bullet of a folder of the module map
 * (`` - `core/jit/`: `region.ts` …``) is in that folder, or in a subfolder the bullet named before it; elsewhere a span names the modules whose path it ends
 * with, folders included (`wasm/region.ts`), and a bare file name only the one module of that name.
 */
function namedModules(doc: string, modules: readonly string[]): Set<string> {
  const named = new Set<string>();
  let folder = "";
  for (const para of doc.replace(/^```[\s\S]*?^```/gm, "").split(/\n(?=- |\n)/)) {
    folder = /^- `((?:core|build)\/[\w/]*)`[^:\n]*:/.exec(para)?.[1] ?? "";
    // A bullet may go on into subfolders (`wasm/`: …, `runtime/` (…)): later spans are in the folder or those.
    const within = [folder];
    for (const span of codeSpans(para)) {
      if (folder !== "" && span.endsWith("/")) within.push(folder + span);
      for (const dir of folder === "" ? [] : within) if (modules.includes(dir + span)) named.add(dir + span);
      const ending = modules.filter((m) => m === span || m.endsWith(`/${span}`));
      if (ending.length === 1 || span.includes("/")) { for (const m of ending) named.add(m); }
    }
  }
  return named;
}

Deno.test("ARCHITECTURE.md names every module of core/ and build/", async () => {
  const doc = await Deno.readTextFile(join(ROOT, "ARCHITECTURE.md"));
  const modules = ALL.filter((f) => /^(core|build)\//.test(f) && /\.(ts|sh|decode)$/.test(f))
    .filter((f) => !/(_test|_bench)\.ts$/.test(f) && !f.includes("/testdata/"));
  const named = namedModules(doc, modules);
  assertEquals(modules.filter((f) => !named.has(f)), []);
});

Deno.test("every file and folder ARCHITECTURE.md and the README name exists", async () => {
  const missing: string[] = [];
  for (const doc of ["ARCHITECTURE.md", "README.md"]) {
    for (const span of codeSpans(await Deno.readTextFile(join(ROOT, doc)))) {
      const path = /^(?:[\w.*-]+\/)*[\w*-]+(?:\.(?:ts|md|sh|decode|snap|S|c|elf|dis)|\/)$/.test(span);
      // Placeholders (`plugins/NAME.ts`) and QEMU's own sources (the README's table of ports) aside.
      const ours = !/NAME|^contrib\/|^tests\/tcg\//.test(span);
      if (path && ours && !exists(span)) missing.push(`${doc}: ${span}`);
    }
  }
  assertEquals(missing, []);
});

Deno.test("no source takes a path from a file: URL's pathname", async () => {
  const found: string[] = [];
  for (const f of ALL.filter((f) => f.endsWith(".ts") && !f.startsWith("tests/guest/"))) {
    const text = await Deno.readTextFile(join(ROOT, f));
    for (const m of text.matchAll(/import\.meta\.url\)\s*\.pathname/g)) found.push(`${f}: ${m[0]}`);
  }
  assertEquals(found, []);
});
