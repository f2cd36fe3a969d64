import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { PluginLoadError } from "./bundle.ts";
import { absoluteGrants, builtinGrants, PLUGIN_API_CURRENT, PLUGIN_API_MIN, resolvePlugin } from "./loader.ts";
import { BUILTIN_DIR } from "./builtins.ts";

Deno.test("resolvePlugin tells built-ins from files", () => {
  assertEquals(resolvePlugin("insn"), { path: `${BUILTIN_DIR}insn.ts`, name: "insn" });
  assertEquals(resolvePlugin("/abs/p.ts"), { path: "/abs/p.ts", name: "/abs/p.ts" });
  assertEquals(resolvePlugin("p.js"), { path: `${Deno.cwd()}/p.js`, name: "p.js" });
  assertEquals(resolvePlugin("./insn"), { path: `${Deno.cwd()}/./insn`, name: "./insn" });
  assertThrows(() => resolvePlugin("nosuch"), PluginLoadError, "plugin 'nosuch': no such built-in plugin");
});

Deno.test("absoluteGrants makes grant paths absolute and leaves hosts and variables alone", () => {
  assertEquals(absoluteGrants([]), []);
  assertEquals(
    absoluteGrants(["write=/tmp/out.txt", "read=rel", "net=localhost:80", "env=HOME", "unix=s.sock", "guest=write"]),
    ["write=/tmp/out.txt", `read=${Deno.cwd()}/rel`, "net=localhost:80", "env=HOME", `unix=${Deno.cwd()}/s.sock`],
  );
});

Deno.test("builtinGrants grants a built-in write access to exactly the file its option names", () => {
  const spec = (file: string, ...args: string[]) => ({ file, args, allow: [] });
  assertEquals(builtinGrants(spec("drcov")), ["write=file.drcov.trace"]);
  assertEquals(builtinGrants(spec("drcov", "filename=cov.log")), ["write=cov.log"]);
  assertEquals(builtinGrants(spec("drcov", "filename=a", "filename=/tmp/b=c")), ["write=/tmp/b=c"]);
  assertEquals(builtinGrants(spec("drcov", "filename=nx/../cov.log")), ["write=nx/../cov.log"]);
  // Built-ins that write nothing, and plugin files (whatever their name), get nothing.
  assertEquals(builtinGrants(spec("insn", "filename=x")), []);
  assertEquals(builtinGrants(spec("./drcov", "filename=x")), []);
  assertEquals(builtinGrants(spec("drcov.ts", "filename=x")), []);
  // A grant on a directory would cover everything under it.
  // Deno reads `..` in a grant by the name alone: `nx/..` (nx does not exist) would grant the directory.
  for (
    const bad of ["filename=", "filename=.", "filename=/tmp", "filename=out/", "filename=nx/..", "filename=nx/../.."]
  ) {
    assertThrows(
      () => builtinGrants(spec("drcov", bad)),
      PluginLoadError,
      `plugin 'drcov': ${bad} does not name a file`,
    );
  }
});

Deno.test("builtinGrants grants callgrind's directory for a %p name, and uftrace's directory to read back", () => {
  const spec = (file: string, ...args: string[]) => ({ file, args, allow: [] });
  // One file per process: the pids are not known before, so the directory the files go to.
  assertEquals(builtinGrants(spec("callgrind")), ["write=."]);
  assertEquals(builtinGrants(spec("callgrind", "outfile=prof/cg.%p")), ["write=prof"]);
  assertEquals(builtinGrants(spec("callgrind", "outfile=/cg.%p")), ["write=/"]);
  assertEquals(builtinGrants(spec("callgrind", "outfile=cg.out")), ["write=cg.out"]);
  assertThrows(
    () => builtinGrants(spec("callgrind", "outfile=%p/cg")),
    PluginLoadError,
    "plugin 'callgrind': outfile=%p/cg has %p in a directory",
  );
  // Every process adds its tasks to the one directory, reading what the others wrote.
  assertEquals(builtinGrants(spec("uftrace", "dir=nx-trace-dir")), ["write=nx-trace-dir", "read=nx-trace-dir"]);
});

Deno.test("builtinGrants grants lockstep the socket its sockpath= names, after checking its options", () => {
  const spec = (file: string, ...args: string[]) => ({ file, args, allow: [] });
  assertEquals(builtinGrants(spec("lockstep", "sockpath=/tmp/ls.sock")), ["unix=/tmp/ls.sock"]);
  assertEquals(builtinGrants(spec("lockstep", "sockpath=a", "verbose=on", "sockpath=b")), ["unix=b"]);
  // No socket: the plugin says so, as QEMU's does.
  assertEquals(builtinGrants(spec("lockstep", "verbose=on")), []);
  // The socket is set up before the plugin reads its options: a listener would wait for its peer first.
  assertThrows(
    () => builtinGrants(spec("lockstep", "sockpath=s", "verbos=on")),
    PluginLoadError,
    "plugin 'lockstep': option parsing failed: verbos=on",
  );
  assertEquals(builtinGrants(spec("./lockstep.ts", "sockpath=s")), []);
});

Deno.test("the supported plugin API window is [2, 7]", () => {
  assertEquals([PLUGIN_API_MIN, PLUGIN_API_CURRENT], [2, 7]);
});
