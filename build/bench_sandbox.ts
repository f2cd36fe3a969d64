/**
 * The two ways a plugin could be isolated, measured side by side: a Deno
 * process of its own with the channel in a shared memfd (what plume uses),
 * and a Web Worker started from the main thread with the channel in
 * `SharedArrayBuffer`s. For each: start-up (spawn to the peer's first
 * signal), the synchronous round trip with both sides spinning, and
 * records per second through the event ring (`RingWriter`, as the vCPU
 * produces them). `docs/plugins.md` quotes its figures.
 *
 * Usage: `deno run -A build/bench_sandbox.ts [RUNS]` (default 5 starts each).
 *
 * @module
 */

import { type Channel, CTL, inProcessChannel, LAYOUT, mappedChannel, RingWriter } from "../core/plugin/channel.ts";
import { os } from "../core/plugin/sandbox/os.ts";
import { BENCH } from "./bench_sandbox_peer.ts";
import { fileUrlToPath } from "../core/util/file_url.ts";

const RUNS = Number(Deno.args[0] ?? 5);
const PEER = new URL("./bench_sandbox_peer.ts", import.meta.url);

interface Peer {
  channel: Channel;
  stop(): Promise<void>;
}

/** Waits (spinning, then sleeping) until the peer sets the state to `state`. */
function awaitState(channel: Channel, state: number): void {
  const ci = new Int32Array(channel.ctl);
  for (let i = 0; Atomics.load(ci, CTL.STATE) !== state; i++) {
    if (i > 1000) channel.waiter.wait(ci, CTL.STATE, Atomics.load(ci, CTL.STATE), 5);
  }
}

function startProcess(): Peer {
  const o = os();
  const fd = o.memfd("plume-bench", LAYOUT.size);
  const channel = mappedChannel(o.map(fd, LAYOUT.size), { wait: o.futexWait, wake: o.futexWake });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-config",
      "--allow-ffi",
      "--allow-read",
      fileUrlToPath(PEER),
      String(Deno.pid),
      String(fd),
    ],
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  return {
    channel,
    async stop() {
      Atomics.store(new Int32Array(channel.ctl), CTL.STATE, BENCH.STOP);
      await child.status;
      o.close(fd);
    },
  };
}

function startWorker(): Peer {
  const channel = inProcessChannel();
  const worker = new Worker(PEER, { type: "module" });
  const { waiter: _, ...buffers } = channel;
  worker.postMessage(buffers);
  return {
    channel,
    stop() {
      Atomics.store(new Int32Array(channel.ctl), CTL.STATE, BENCH.STOP);
      worker.terminate();
      return Promise.resolve();
    },
  };
}

/** Median of `xs`. */
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(kind: string, start: () => Peer): Promise<string[]> {
  const starts: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const peer = start();
    awaitState(peer.channel, BENCH.READY);
    starts.push(performance.now() - t0);
    await peer.stop();
  }
  const peer = start();
  awaitState(peer.channel, BENCH.READY);
  const ci = new Int32Array(peer.channel.ctl);
  // Round trips: the peer adds one to the argument; both sides spin.
  const rtts: number[] = [];
  for (let round = 0; round < 5; round++) {
    const n = 100_000, t0 = performance.now();
    for (let i = 0; i < n; i++) {
      ci[CTL.ARGS] = i;
      Atomics.store(ci, CTL.STATE, BENCH.CALL);
      while (Atomics.load(ci, CTL.STATE) !== BENCH.DONE) { /* spin */ }
      if (ci[CTL.ARGS + 1] !== i + 1) throw new Error("Bad answer");
    }
    rtts.push(((performance.now() - t0) * 1000) / n);
  }
  Atomics.store(ci, CTL.STATE, BENCH.READY);
  // Records: two-word block records, batched and published as the vCPU does.
  const ring = new RingWriter(peer.channel.ring, () => {}, () => {});
  const records = 20_000_000, t0 = performance.now();
  for (let i = 0; i < records; i++) ring.put2(i, 1);
  ring.publish();
  while (!ring.drained()) { /* spin */ }
  const rate = records / ((performance.now() - t0) / 1000);
  await peer.stop();
  return [
    kind,
    `${median(starts).toFixed(1)} ms`,
    `${median(rtts).toFixed(2)} µs`,
    `${(rate / 1e6).toFixed(0)} M/s`,
  ];
}

const rows = [
  ["isolation", "start-up (median)", "round trip (median)", "block records"],
  await measure("process (memfd + futex)", startProcess),
  await measure("Web Worker from the main thread", startWorker),
];
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c])).join("  "));
