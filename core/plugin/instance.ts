/**
 * The emulator's end of one plugin instance's channel: synchronous calls
 * (spin, then `Atomics.wait`, serving the plugin's requests meanwhile),
 * the event ring's producer, the text ring's drain, and the watchdog that
 * declares a plugin dead when it stops making progress.
 *
 * @module
 */

import {
  type ChannelBuffers,
  CTL,
  EV,
  newChannelBuffers,
  OP,
  REPLY,
  RING,
  RingWriter,
  STATE,
  textDrain,
} from "./channel.ts";
import { deathMessage } from "./runtime/dispatcher.ts";
import type { Sandbox } from "./sandbox.ts";

/** Spins on shared memory before sleeping: a synchronous round trip then costs about 0.5 µs. */
const SPIN = 4000;
/** Longest single sleep while waiting, so output is drained and the watchdog checked regularly. */
const SLICE_MS = 20;

/** A plugin stopped answering or died: the message names what it was doing. */
export class PluginFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PluginFailure";
  }
}

/** Names of calls, for messages. */
const CALL_NAMES: Record<number, string> = {
  [OP.INSTALL]: "qemu_plugin_install",
  [OP.TB_TRANS]: "tb trans callback",
  [OP.EXEC]: "exec callback",
  [OP.MEM]: "mem callback",
  [OP.VCPU_INIT]: "vcpu init callback",
  [OP.VCPU_EXIT]: "vcpu exit callback",
  [OP.SYSCALL]: "syscall callback",
  [OP.SYSCALL_RET]: "syscall return callback",
  [OP.DISCON]: "discon callback",
  [OP.FLUSH]: "flush callback",
  [OP.ATEXIT]: "atexit callback",
  [OP.COMPLETE]: "uninstall/reset completion callback",
  [OP.DRAIN]: "streamed callbacks",
};

/** One loaded plugin instance, as the emulator sees it. */
export class PluginInstance {
  /** Shared buffers. */
  readonly bufs: ChannelBuffers = newChannelBuffers();
  /** Control block words. */
  readonly ci: Int32Array = new Int32Array(this.bufs.ctl);
  /** Event ring producer. */
  readonly ring: RingWriter;
  /** The arena as int32 words (what inline operations write). */
  readonly arena: Int32Array = new Int32Array(this.bufs.arena);
  /** False once unloaded or uninstalled. */
  alive = true;
  /** True once an uninstall or reset request led to a flush; completion is due. */
  completionDue = false;
  /** The sandbox running the plugin. */
  sandbox: Sandbox | undefined;

  /**
   * @param index load-order index (also its arena and ring number)
   * @param name what messages call it (`insn`, `./my.ts`)
   * @param id its random 64-bit id
   * @param watchdogMs how long it may go without progress
   * @param writeText where its `qemu_plugin_outs` text goes
   */
  constructor(
    readonly index: number,
    readonly name: string,
    readonly id: bigint,
    readonly watchdogMs: number,
    private readonly writeText: (bytes: Uint8Array) => void,
  ) {
    this.ring = new RingWriter(this.bufs.ring, () => this.wake(), (tail) => this.waitRing(tail));
  }

  /** Events the plugin subscribed to ({@link EV} bits). */
  events(): number {
    return Atomics.load(this.ci, CTL.EVENTS);
  }

  /** True when the plugin subscribed to `bit`. */
  wants(bit: number): boolean {
    return this.alive && (Atomics.load(this.ci, CTL.EVENTS) & bit) !== 0;
  }

  /**
   * Called when the plugin asked for attention (uninstall, reset): set by
   * the core. Looked at whenever records are published, so that a request
   * made from a streamed callback is noticed within a batch of records.
   */
  onAttention: () => void = () => {};

  /** Wakes the plugin thread if it sleeps (after each published batch of records). */
  wake(): void {
    Atomics.add(this.ci, CTL.DOORBELL, 1);
    if (Atomics.load(this.ci, CTL.SLEEPING)) Atomics.notify(this.ci, CTL.DOORBELL);
    if (Atomics.load(this.ci, CTL.ATTENTION)) this.onAttention();
  }

  /** Moves the plugin's pending output to the log. */
  drainText(): void {
    const bytes = textDrain(this.bufs.text);
    if (bytes) this.writeText(bytes);
  }

  /** Throws when the plugin died since the last look (a streamed callback failed, out of memory). */
  checkAlive(): void {
    if (Atomics.load(this.ci, CTL.STATE) === STATE.DEAD) throw this.dead("streamed callbacks");
  }

  /** The failure of a dead plugin: its own message names the callback (`what` is only a fallback). */
  private dead(what: string): PluginFailure {
    const message = deathMessage(this.bufs.ctl);
    return new PluginFailure(message.includes(":") ? message : `${what}: ${message}`);
  }

  /** Waits until the tail moves from `tail` (the ring is full): throws when the plugin died or stalls. */
  private waitRing(tail: number): void {
    const w = this.ring.w;
    let deadline = 0;
    for (let i = 0;; i++) {
      if (Atomics.load(w, RING.TAIL) !== tail) return;
      if (Atomics.load(this.ci, CTL.STATE) === STATE.DEAD) throw this.dead("streamed callbacks");
      if (i < SPIN) continue;
      this.drainText();
      const now = performance.now();
      if (deadline === 0) deadline = now + this.watchdogMs;
      else if (now > deadline) {
        throw new PluginFailure(`streamed callbacks: no progress for ${this.watchdogMs / 1000} s (watchdog)`);
      }
      Atomics.store(w, RING.PRODUCER_WAITING, 1);
      Atomics.wait(w, RING.TAIL, tail, SLICE_MS);
      Atomics.store(w, RING.PRODUCER_WAITING, 0);
    }
  }

  /**
   * Makes a synchronous call: `args` go to the argument words after the
   * status word, `payload` may fill the payload. While waiting, requests
   * of the plugin are answered by `serve` (which writes the response and
   * returns false when it refuses the request). Returns the control block,
   * whose argument words hold the reply.
   *
   * @throws {PluginFailure} when the plugin died, failed or stalled past the watchdog
   */
  call(op: number, args: readonly number[], payload?: () => void, serve?: (code: number) => boolean): Int32Array {
    const ci = this.ci;
    if (Atomics.load(ci, CTL.STATE) === STATE.DEAD) throw this.dead(CALL_NAMES[op]);
    ci[CTL.OP] = op;
    for (let i = 0; i < args.length; i++) ci[CTL.ARGS + 1 + i] = args[i];
    payload?.();
    this.ring.publish();
    // The plugin may have died since the check above (a streamed callback
    // failed): then the state is DEAD and must stay so.
    if (Atomics.compareExchange(ci, CTL.STATE, STATE.IDLE, STATE.CALL) === STATE.DEAD) throw this.dead(CALL_NAMES[op]);
    this.wake();
    let deadline = 0;
    for (let i = 0;; i++) {
      const s = Atomics.load(ci, CTL.STATE);
      if (s === STATE.DONE) break;
      if (s === STATE.REQUEST) {
        const code = ci[CTL.OP];
        let ok = false;
        try {
          ok = serve ? serve(code) : false;
        } catch {
          ok = false;
        }
        ci[CTL.ARGS] = ok ? REPLY.OK : REPLY.ERROR;
        Atomics.store(ci, CTL.STATE, STATE.RESPONSE);
        Atomics.notify(ci, CTL.STATE);
        deadline = 0;
        i = 0;
        continue;
      }
      if (s === STATE.DEAD) throw this.dead(CALL_NAMES[op]);
      if (i < SPIN) continue;
      this.drainText();
      const now = performance.now();
      if (deadline === 0) deadline = now + this.watchdogMs;
      else if (now > deadline) {
        throw new PluginFailure(`${CALL_NAMES[op]}: no answer for ${this.watchdogMs / 1000} s (watchdog)`);
      }
      Atomics.wait(ci, CTL.STATE, s, SLICE_MS);
    }
    Atomics.store(ci, CTL.STATE, STATE.IDLE);
    return ci;
  }
}

export { EV };
