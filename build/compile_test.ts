import { assert, assertEquals } from "../tests/assert.ts";
import { compileCommand, isRuntimeDownloadFailure, plumeRunFlags } from "./compile.ts";
import { tempDir } from "../tests/harness.ts";
import { fileUrlToPath } from "../core/util/file_url.ts";

const DENO_JSON = Deno.readTextFileSync(new URL("../deno.json", import.meta.url));

Deno.test("plumeRunFlags takes the executable's permissions from the plume task", () => {
  const flags = plumeRunFlags(DENO_JSON);
  assertEquals(flags, ["--quiet", "--allow-all"]);
});

Deno.test("compileCommand compiles main.ts with the task's flags, the run-time files and the output", () => {
  const cmd = compileCommand("dist/plume", DENO_JSON);
  assertEquals(cmd[0], "compile");
  assertEquals(cmd.slice(-3), ["--output", "dist/plume", "main.ts"]);
  for (const f of plumeRunFlags(DENO_JSON)) assert(cmd.includes(f), f);
  // The compiled binary bundles plugins with esbuild-wasm, imported by a computed name.
  const wasm = JSON.parse(DENO_JSON).imports["esbuild-wasm"];
  assert(wasm.startsWith("npm:esbuild-wasm@"), wasm);
  assertEquals(cmd[cmd.indexOf(wasm) - 1], "--include");
  for (const dir of ["plugins/", "core/plugin/"]) assertEquals(cmd[cmd.indexOf(dir) - 1], "--include");
  // main.ts reaches the command line through a computed specifier too (see own_bundle.ts).
  assertEquals(cmd[cmd.indexOf("core/app/command_line.ts") - 1], "--include");
});

Deno.test("isRuntimeDownloadFailure recognises deno compile's runtime download error only", () => {
  assert(isRuntimeDownloadFailure(
    "error: Writing deno compile executable\n    0: Setting up base binary.\n    1: error sending request for url " +
      "(…denort-x86_64-unknown-linux-gnu.zip): client error (Connect): dns error",
  ));
  assert(!isRuntimeDownloadFailure("error: Module not found main.ts"));
});

Deno.test("deno task build stops at the runtime download with a clear message, or builds", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "build/compile.ts", "--output", `${await tempDir("plume-build-")}/plume`],
    cwd: fileUrlToPath(new URL("..", import.meta.url)),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert(out.code === 0 || (out.code === 2 && stderr.includes("denort")), `exit ${out.code}: ${stderr}`);
});
