/**
 * What a plugin cost the run, as `-d plugin_stats` prints it at exit, one
 * line per plugin: the records its side replayed and in how long (the
 * consumer's time per streamed callback), what the guest spent waiting for
 * it (a full ring, synchronous calls), and how much of the replay ran while
 * the guest ran (the overlap: what streaming a callback instead of calling
 * it is for).
 *
 * The replay's figures are written by the plugin's process (`STATS` in the
 * control block), so they are only shown, each bounded, never used.
 *
 * @module
 */

import { STAT, STATS } from "./channel.ts";

/** The figures of one plugin's line. */
export interface PluginStats {
  /** Block, memory and other records replayed, and the streamed callbacks they ran. */
  blocks: number;
  mems: number;
  others: number;
  callbacks: number;
  /** Milliseconds the plugin's thread spent replaying. */
  busyMs: number;
  /** Milliseconds the guest waited for ring space, and in synchronous calls (how many, and the requests in them). */
  ringMs: number;
  callMs: number;
  calls: number;
  requests: number;
  /** Milliseconds the guest ran, from its first vCPU to its exit. */
  runMs: number;
}

/** The replay's figures as the plugin's side wrote them into control block `ctl`: NaN for one out of bounds. */
export function replayFigures(
  ctl: ArrayBufferLike,
): Pick<PluginStats, "blocks" | "mems" | "others" | "callbacks" | "busyMs"> {
  const words = new Float64Array(ctl, STATS * 4, 5);
  // Read once each: the plugin's process may write meanwhile.
  const bounded = (v: number) => Number.isFinite(v) && v >= 0 && v < 2 ** 53 ? v : NaN;
  return {
    blocks: bounded(words[STAT.BLOCKS]),
    mems: bounded(words[STAT.MEMS]),
    others: bounded(words[STAT.OTHERS]),
    callbacks: bounded(words[STAT.CALLBACKS]),
    busyMs: bounded(words[STAT.BUSY_MS]),
  };
}

/**
 * The line for plugin `name` (already made printable).
 *
 * @example
 * ```ts
 * import { statsLine } from "./plugin_stats.ts";
 * import { strictEqual } from "node:assert";
 * const line = statsLine("bb", {
 *   blocks: 1000, mems: 0, others: 2, callbacks: 1000, busyMs: 0.5, ringMs: 0.1, callMs: 2, calls: 40, requests: 3,
 *   runMs: 10,
 * });
 * strictEqual(line.includes("1002 records (1000 block, 0 memory, 2 other)"), true);
 * strictEqual(line.includes("500 ns a callback"), true);
 * strictEqual(line.includes("2.0 ms in 40 synchronous calls (3 requests)"), true);
 * strictEqual(line.includes("80% of the replay ran beside the guest"), true);
 * ```
 */
export function statsLine(name: string, s: PluginStats): string {
  const ms = (v: number) => Number.isNaN(v) ? "?" : `${v.toFixed(1)} ms`;
  const n = (v: number) => Number.isNaN(v) ? "?" : String(v);
  const records = s.blocks + s.mems + s.others;
  const perCallback = s.callbacks > 0 ? `${(s.busyMs * 1e6 / s.callbacks).toFixed(0)} ns a callback` : "no callback";
  // The replay the guest did not wait for (ring space) ran beside it.
  const beside = s.busyMs > 0 ? Math.max(0, Math.min(1, 1 - s.ringMs / s.busyMs)) : NaN;
  const overlap = Number.isNaN(beside) ? "" : `; ${(beside * 100).toFixed(0)}% of the replay ran beside the guest`;
  return `plume: plugin '${name}': ${n(records)} records (${n(s.blocks)} block, ${n(s.mems)} memory, ` +
    `${n(s.others)} other) replayed in ${ms(s.busyMs)}, ${n(s.callbacks)} streamed callbacks (${perCallback}); ` +
    `the guest ran ${ms(s.runMs)}, waited ${ms(s.ringMs)} for ring space and ${ms(s.callMs)} in ${s.calls} ` +
    `synchronous calls (${s.requests} requests)${overlap}\n`;
}
