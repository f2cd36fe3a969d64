/**
 * The sandbox's two views of the global object come from one list
 * (`REACHABLE_GLOBALS`): what the bundler refuses to let a plugin name, and
 * what the plugin process removes before the plugin runs. These tests
 * check that the two cannot drift apart: every global of the runtime is
 * either kept or refused, and a confined global object holds exactly the
 * list.
 */

import { assert, assertEquals } from "../../tests/assert.ts";
import { forbiddenGlobals, GRANT_GLOBALS, REACHABLE_GLOBALS, UNNAMEABLE_GLOBALS } from "./plugin_globals.ts";

const identifier = /^[A-Za-z_$][\w$]*$/;

/** The own keys of a global object confined in a process of its own, keeping `keep` (confining empties the caller's). */
async function confinedKeys(keep: string[]): Promise<string> {
  const realm = new URL("./sandbox/realm.ts", import.meta.url).href;
  const script = `import { confineGlobals } from ${JSON.stringify(realm)};
const out = Deno.stdout, encoder = new TextEncoder();
confineGlobals(${JSON.stringify(keep)});
out.writeSync(encoder.encode(Reflect.ownKeys(globalThis).map(String).sort().join(",")));`;
  // The process then fails at the runtime's end of script (it needs the event methods confining removed): a
  // plugin process never gets there. What it printed before is the answer; a failure to confine prints nothing.
  const { stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", script],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(stdout);
}

Deno.test("a confined global object holds exactly the reachable globals, and what a grant keeps", async () => {
  assertEquals(await confinedKeys([]), [...REACHABLE_GLOBALS].sort().join(","));
  assertEquals(await confinedKeys(["Deno"]), [...REACHABLE_GLOBALS, "Deno"].sort().join(","));
});

Deno.test("what a confined plugin process still has is what the bundler lets a plugin name, and nothing else", async () => {
  const confined = new Set((await confinedKeys([])).split(","));
  const forbidden = new Set(forbiddenGlobals([]));
  for (const name of Object.getOwnPropertyNames(globalThis).filter((n) => identifier.test(n))) {
    if (UNNAMEABLE_GLOBALS.includes(name)) {
      assert(confined.has(name) && forbidden.has(name), `${name}: reachable at run time, but not nameable in source`);
    } else {
      assert(
        confined.has(name) !== forbidden.has(name),
        `${name}: ${confined.has(name) ? "kept and refused" : "removed but nameable"}`,
      );
    }
  }
  // Names the bundler refuses though this process lacks them: what a worker or Node.js would have.
  for (const name of ["process", "require", "self", "postMessage", "importScripts"]) assert(forbidden.has(name), name);
});

Deno.test("a grant makes its globals nameable again, and only those", () => {
  for (const [kind, names] of Object.entries(GRANT_GLOBALS)) {
    const forbidden = new Set(forbiddenGlobals(names));
    for (const name of names) assert(!forbidden.has(name), `${kind}: ${name} still refused`);
    assertEquals(
      [...forbidden].sort(),
      forbiddenGlobals([]).filter((n) => !names.includes(n)),
      `${kind} frees more than its globals`,
    );
  }
});
