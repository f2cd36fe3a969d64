import { assert, assertEquals } from "../../../tests/assert.ts";
import { CTL, STATE } from "../channel.ts";
import { Sandbox } from "./spawn.ts";
import { hostChildren } from "../../linux/host_children.ts";

const exists = (path: string) => {
  try {
    return Deno.lstatSync(path).isSocket;
  } catch {
    return false;
  }
};

Deno.test("Sandbox.booted sees a boot the process has gone past: the code sent meanwhile is loaded already", async () => {
  const sandbox = new Sandbox({ name: "quick", grants: [], keep: [], memoryMb: 0 });
  try {
    const sent = sandbox.send({
      name: "quick",
      code: "exports.qemu_plugin_version = 7; exports.qemu_plugin_install = () => 0;",
      id: "1",
      argv: [],
      info: {
        target_name: "riscv64",
        version: { min: 7, cur: 7 },
        system_emulation: false,
        system: { smp_vcpus: 1, max_vcpus: 1 },
        pid: 1,
      },
      outs: false,
      program: { path: "/bin/true", start: 0, end: 0, entry: 0 },
      guestWrite: false,
    });
    // Nobody looks while the process boots, reads the code and evaluates it (a busy plume, a loaded machine).
    const ci = new Int32Array(sandbox.channel.ctl);
    for (let i = 0; i < 1500 && Atomics.load(ci, CTL.STATE) !== STATE.LOADED; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert(Atomics.load(ci, CTL.STATE) === STATE.LOADED, "the process loaded the code");
    await sandbox.booted(5000);
    await sent;
    assert((await sandbox.loaded(5000)).ok);
  } finally {
    sandbox.kill();
  }
});

Deno.test("Sandbox removes the socket file of a listener it stops before the peer came", async () => {
  const dir = await Deno.makeTempDir({ prefix: "plume-spawn-" });
  try {
    const path = `${dir}/peer.sock`;
    // Nothing is at the path: the process listens there before it boots, and waits.
    const sandbox = new Sandbox({ name: "listener", grants: [`unix=${path}`], keep: [], memoryMb: 0 });
    const ci = new Int32Array(sandbox.channel.ctl);
    for (let i = 0; i < 1500 && Atomics.load(ci, CTL.STATE) !== STATE.LISTENING; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert(Atomics.load(ci, CTL.STATE) === STATE.LISTENING, "the process listens");
    assert(exists(path), "the socket file is there");
    sandbox.kill();
    assert(!exists(path), "the socket file is removed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The CPUs a thread may run on, from `/proc` (as `taskset -cp` shows them): process `pid`'s main thread, or this one. */
function allowedCpus(pid?: number): number[] {
  const status = Deno.readTextFileSync(
    pid === undefined ? "/proc/thread-self/status" : `/proc/${pid}/task/${pid}/status`,
  );
  const list = /^Cpus_allowed_list:\s*(.*)$/m.exec(status)![1];
  return list.split(",").flatMap((range) => {
    const [a, b = a] = range.split("-").map(Number);
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
}

// plume's JavaScript runs on the process's main thread; a test's, on another: "plume's main thread" is this one here.
Deno.test("while a plugin process runs, plume's main thread keeps to one core and the process to the others, host programs all; once it is gone, plume's main thread has all its cores again", async () => {
  const before = allowedCpus();
  const sandbox = new Sandbox({ name: "cores", grants: [], keep: [], memoryMb: 0 });
  try {
    const mine = allowedCpus(), its = allowedCpus(sandbox.pid);
    if (before.length < 2) {
      assertEquals([mine, its], [before, before], "one core: nothing to split");
      return;
    }
    assertEquals(mine.length, 1);
    assert(before.includes(mine[0]));
    assertEquals(its, before.filter((cpu) => cpu !== mine[0]));
    // A host program the guest runs meanwhile gets every core back (it would inherit this thread's one).
    const host = new Deno.Command("sleep", { args: ["5"] }).spawn();
    try {
      hostChildren.started!(host.pid);
      assertEquals(allowedCpus(host.pid), before);
    } finally {
      host.kill();
      await host.status;
    }
    // A second process shares the plugins' cores; plume keeps its one core until both are gone.
    const second = new Sandbox({ name: "cores2", grants: [], keep: [], memoryMb: 0 });
    try {
      assertEquals(allowedCpus(second.pid), its);
    } finally {
      second.kill();
    }
    assertEquals(allowedCpus(), mine);
  } finally {
    sandbox.kill();
  }
  assertEquals(allowedCpus(), before);
  assertEquals(hostChildren.started, undefined);
});
