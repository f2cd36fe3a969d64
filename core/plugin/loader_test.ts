import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { PluginLoadError } from "./bundle.ts";
import { absoluteGrants, PLUGIN_API_CURRENT, PLUGIN_API_MIN, resolvePlugin } from "./loader.ts";
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
  assertEquals(absoluteGrants(["write=/tmp/out.txt", "read=rel", "net=localhost:80", "env=HOME", "guest=write"]), [
    "write=/tmp/out.txt",
    `read=${Deno.cwd()}/rel`,
    "net=localhost:80",
    "env=HOME",
  ]);
});

Deno.test("the supported plugin API window is [2, 7]", () => {
  assertEquals([PLUGIN_API_MIN, PLUGIN_API_CURRENT], [2, 7]);
});
