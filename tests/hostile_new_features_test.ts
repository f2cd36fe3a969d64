/**
 * Hostile cases against features that widen plume's surface: grants a
 * built-in plugin takes from its own options, plugins following forks, the
 * gdb stub and guest sockets. Each test is a hole found by a review, kept
 * so that it stays closed.
 */

import { join } from "node:path";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { GUEST_BIN, runPlume, tempDir } from "./harness.ts";
import { builtinGrants } from "../core/plugin/loader.ts";
import { PluginLoadError } from "../core/plugin/bundle.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const HELLO = join(GUEST_BIN, "hello_asm");

/** Every path under `dir` with a file's text, sorted: what a run must leave untouched. */
function snapshot(dir: string, at = ""): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(join(dir, at))) {
    const p = join(at, e.name);
    if (e.isDirectory) out.push(`${p}/`, ...snapshot(dir, p));
    else out.push(`${p}: ${Deno.readTextFileSync(join(dir, p))}`);
  }
  return out.sort();
}

Deno.test("uftrace's dir= is refused for a directory that merely has an entry named info (.git has one)", async () => {
  const cwd = await tempDir("plume-hostile-uftrace-");
  // A git repository's directory: an `info` directory among others, which uftrace's grant and removal would take.
  const repo = join(cwd, "repo.git");
  Deno.mkdirSync(join(repo, "info"), { recursive: true });
  Deno.mkdirSync(join(repo, "objects"));
  Deno.writeTextFileSync(join(repo, "info", "exclude"), "precious\n");
  Deno.writeTextFileSync(join(repo, "HEAD"), "ref: refs/heads/main\n");
  // A directory with a file named info that uftrace did not write.
  const notes = join(cwd, "notes");
  Deno.mkdirSync(notes);
  Deno.writeTextFileSync(join(notes, "info"), "my notes\n");
  Deno.writeTextFileSync(join(notes, "todo"), "more notes\n");
  const before = snapshot(cwd);
  for (const dir of ["repo.git", "notes"]) {
    const r = await runPlume([HELLO], { cwd, flags: ["-plugin", `uftrace,dir=${dir}`] });
    assertEquals(r.status, 1, text(r.stderr));
    assert(
      /^plume: plugin 'uftrace': dir=\S+ is a directory neither empty nor written by uftrace/.test(text(r.stderr)),
    );
    assertEquals(text(r.stderr).split("\n").length, 2, text(r.stderr));
  }
  assertEquals(snapshot(cwd), before);
});

Deno.test("uftrace's dir=: its own earlier directory with a subdirectory added is refused, not removed", async () => {
  const cwd = await tempDir("plume-hostile-uftrace-");
  assertEquals((await runPlume([HELLO], { cwd, flags: ["-plugin", "uftrace"] })).status, 7);
  Deno.mkdirSync(join(cwd, "uftrace.data", "keep"));
  Deno.writeTextFileSync(join(cwd, "uftrace.data", "keep", "file"), "mine\n");
  const r = await runPlume([HELLO], { cwd, flags: ["-plugin", "uftrace"] });
  assertEquals(
    [r.status, text(r.stderr)],
    [
      1,
      "plume: plugin 'uftrace': dir=uftrace.data is a directory not written by uftrace alone ('keep' is not a file)\n",
    ],
  );
  assertEquals(Deno.readTextFileSync(join(cwd, "uftrace.data", "keep", "file")), "mine\n");
  // Its own directory, files only, is still made anew.
  Deno.removeSync(join(cwd, "uftrace.data", "keep"), { recursive: true });
  assertEquals((await runPlume([HELLO], { cwd, flags: ["-plugin", "uftrace"] })).status, 7);
});

Deno.test("a built-in's file grant is never a directory to be: a name ending in . or .. is refused", () => {
  // Deno reads `nx/.` as `nx`: the grant would cover everything under nx once something makes it.
  for (const arg of ["filename=nx/.", "filename=nx/a/..", "filename=./nx/.", "filename=.."]) {
    assertThrows(
      () => builtinGrants({ file: "drcov", args: [arg], allow: [] }),
      PluginLoadError,
      `plugin 'drcov': ${arg} does not name a file`,
    );
  }
  assertEquals(builtinGrants({ file: "drcov", args: ["filename=nx/.cov"], allow: [] }), ["write=nx/.cov"]);
});
