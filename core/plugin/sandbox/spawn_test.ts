import { assert } from "../../../tests/assert.ts";
import { CTL, STATE } from "../channel.ts";
import { Sandbox } from "./spawn.ts";

const exists = (path: string) => {
  try {
    return Deno.lstatSync(path).isSocket;
  } catch {
    return false;
  }
};

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
