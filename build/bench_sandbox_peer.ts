/**
 * The far end of `bench_sandbox.ts`: answers round trips and consumes
 * records on a channel, as a plugin's side does, either as a process of
 * its own (the channel a memfd plume's benchmark created) or as a Web
 * Worker (the channel `SharedArrayBuffer`s posted to it).
 *
 * @module
 */

import {
  type Channel,
  CTL,
  EVENT_RING_WORDS,
  IN_PROCESS_WAITER,
  LAYOUT,
  mappedChannel,
  RING,
  RING_HEADER,
} from "../core/plugin/channel.ts";
import { os } from "../core/plugin/sandbox/os.ts";

/** Call states of the benchmark's protocol. */
export const BENCH = { READY: 1, CALL: 2, DONE: 3, STOP: 4 } as const;

/** Serves the channel until told to stop: answers calls, consumes records (summing them, so none is skipped). */
function serve(channel: Channel): void {
  const ci = new Int32Array(channel.ctl), rw = new Int32Array(channel.ring);
  Atomics.store(ci, CTL.STATE, BENCH.READY);
  channel.waiter.wake(ci, CTL.STATE);
  let tail = 0, sum = 0;
  for (;;) {
    const s = Atomics.load(ci, CTL.STATE);
    if (s === BENCH.STOP) break;
    if (s === BENCH.CALL) {
      ci[CTL.ARGS + 1] = ci[CTL.ARGS] + 1;
      Atomics.store(ci, CTL.STATE, BENCH.DONE);
      continue;
    }
    const head = Atomics.load(rw, RING.HEAD);
    if (head !== tail) {
      for (; tail !== head; tail = (tail + 1) | 0) sum = (sum + rw[RING_HEADER + (tail & (EVENT_RING_WORDS - 1))]) | 0;
      Atomics.store(rw, RING.TAIL, tail);
    }
  }
  ci[CTL.ARGS + 2] = sum;
}

const inWorker = "WorkerGlobalScope" in globalThis;
if (import.meta.main && !inWorker) {
  // As a process: the arguments name plume's pid and the memfd.
  const [parent, fd] = Deno.args.map(Number);
  const o = os();
  const mapped = o.open(`/proc/${parent}/fd/${fd}`, true);
  const channel = mappedChannel(o.map(mapped, LAYOUT.size), { wait: o.futexWait, wake: o.futexWake });
  serve(channel);
} else if (inWorker) {
  // As a Web Worker: the channel's buffers arrive in the first message.
  const scope = globalThis as unknown as { onmessage: (e: MessageEvent) => void };
  scope.onmessage = (e) => serve({ ...e.data, waiter: IN_PROCESS_WAITER });
}
