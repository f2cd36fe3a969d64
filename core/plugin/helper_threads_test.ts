/**
 * plume's V8 helper threads yield to its main thread: checked in a process
 * of its own (this runner's threads are left alone), from the threads'
 * nice values in `/proc`.
 */

import { assert, assertEquals } from "../../tests/assert.ts";

/** Each thread of this process: its id, name and nice value (field 19 of its `stat`, after the name's parenthesis). */
const PROBE = `
import { HELPER_NICE, lowerHelperThreads } from ${JSON.stringify(new URL("./helper_threads.ts", import.meta.url).href)};
const nices = () => [...Deno.readDirSync("/proc/self/task")].map((t) => {
  const stat = Deno.readTextFileSync("/proc/self/task/" + t.name + "/stat");
  return [t.name, stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16])];
});
const before = nices();
const lowered = lowerHelperThreads();
console.log(JSON.stringify({ before, after: nices(), lowered, nice: HELPER_NICE, pid: Deno.pid }));
`;

Deno.test("lowerHelperThreads lowers V8's helper threads HELPER_NICE below the main thread and leaves the others", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", PROBE],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert(out.success, "the probe failed");
  const { before, after, lowered, nice, pid } = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    before: [string, string, number][];
    after: [string, string, number][];
    lowered: number;
    nice: number;
    pid: number;
  };
  const helpers = after.filter(([, name]) => name.startsWith("V8 "));
  assert(helpers.length > 0, `no V8 helper thread among ${after.map(([, n]) => n)}`);
  const was = new Map(before.map(([tid, , n]) => [tid, n]));
  const target = Math.min(19, was.get(String(pid))! + nice);
  assertEquals(lowered, helpers.filter(([tid]) => was.get(tid)! < target).length);
  // Threads that started between the two looks (none is a V8 helper: V8 starts those with the process) are not compared.
  for (const [tid, name, n] of after.filter(([tid]) => was.has(tid))) {
    assertEquals(n, name.startsWith("V8 ") ? Math.max(target, was.get(tid)!) : was.get(tid), `${name} (${tid})`);
  }
});
