/**
 * The emulator's end of one plugin instance's channel: synchronous calls
 * (spin, then sleep on a futex, serving the plugin's requests meanwhile),
 * the event ring's producer, the text ring's drain, and the watchdog that
 * declares a plugin dead when a call or a wait for ring space takes too
 * long in all.
 *
 * @module
 */

import {
  type Channel,
  CTL,
  OP,
  PluginFailure,
  REPLY,
  RING,
  RingWriter,
  STATE,
  TextReader,
  type Waiter,
} from "./channel.ts";

/** Spins on shared memory before looking at the clock: a synchronous round trip then costs under a microsecond. */
const SPIN = 4000;
/**
 * How long a call spins in all before it sleeps (ms): long enough for a
 * translation callback to answer (tens of microseconds), so that the
 * answer does not wait for a futex wake-up as well.
 */
const CALL_SPIN_MS = 0.5;
/** Longest single sleep while waiting, so output is drained, the process watched and the watchdog checked. */
const SLICE_MS = 20;

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
  [OP.FORK]: "fork",
};

/** The process running a plugin, as an instance needs it (a `Sandbox`, or a test's stand-in). */
export interface PluginProcess {
  /** The channel's memory in this process. */
  readonly channel: Channel;
  /** True once the process ended. */
  gone(): boolean;
  /** The message a plugin that died left in its control block (its own text). */
  deathMessage(): string;
  /** Why the process ended, in plume's words. */
  deathReason(): string;
  /** Ends the process. */
  kill(): void;
  /**
   * The copy of this process the plugin made for a forked guest, checked
   * (absent where processes are not copied: test stand-ins).
   */
  forked?(pid: number, channelFd: number, stderrFd: number): PluginProcess;
  /**
   * Ends the copies of this process that plume was not told of, refused,
   * or never asked for (absent where processes are not copied); returns
   * how many it ended.
   */
  endStrays?(): number;
  /**
   * How many copies of this plugin's processes that plume did not ask for
   * it has ended, in all (absent where processes are not copied); looks
   * for new ones first, at most every 100 ms. With `forking` (a fork call
   * of this process is under way) one unknown copy is the one its reply
   * will name.
   */
  strays?(forking?: boolean): number;
  /**
   * Waits, at most `ms` since the copy was found, until a copy made for a
   * forked guest serves its channel (absent for other processes).
   *
   * @throws {PluginFailure} when it does not in time, or died
   */
  ready?(ms: number): void;
}

/** A call's reply: the first four argument words as the plugin left them, read once. */
export type CallReply = readonly [number, number, number, number];

/** One loaded plugin instance, as the emulator sees it. */
export class PluginInstance {
  /** Control block words. */
  readonly ci: Int32Array;
  /** Event ring producer. */
  readonly ring: RingWriter;
  /** The arena as int32 words (what inline operations write). */
  readonly arena: Int32Array;
  /** The register snapshot the emulator writes before calls that may read guest state. */
  readonly regs: Int32Array;
  /** The channel's memory. */
  readonly channel: Channel;
  /** False once unloaded or uninstalled. */
  alive = true;
  /** True once an uninstall or reset request led to a flush; completion is due. */
  completionDue = false;
  /** Consecutive translations in which this plugin's translation callback asked for a reset (see `PluginCore`). */
  resetsInARow = 0;
  /**
   * True when the user granted `-plugin-allow guest=write`: the plugin may
   * change registers, memory, the pc and system calls. Without it, it only
   * observes: a plugin that steered the guest would act with the user's
   * permissions through it.
   */
  guestWrite = false;
  /**
   * True once the plugin has asked the emulator for a register: from then
   * on a call whose callbacks may read registers starts with a snapshot of
   * them, so that reads need no request. A plugin that never reads one
   * (most: counting, tracing the pc) is spared the copy at every call.
   */
  readsRegisters = false;
  /** Registrations made since the last flush of all translations (bounded by the core). */
  registrations = 0;
  /** True with `-d plugin_stats`: synchronous calls are counted and timed (a clock read each). */
  keepsStats = false;
  /** What the guest spent waiting for this plugin (ms), and the synchronous calls and requests in them counted. */
  readonly waited = { ringMs: 0, calls: 0, callMs: 0, requests: 0 };
  private readonly text: TextReader;
  private readonly waiter: Waiter;
  /** A failure found where it could not be thrown (draining output): thrown by the next call or check. */
  private failure: PluginFailure | undefined;

  /**
   * @param index load-order index (also its arena and ring number)
   * @param name what messages call it (`insn`, `./my.ts`)
   * @param id its random 64-bit id
   * @param watchdogMs how long a call, or a wait for ring space, may take in all
   * @param writeText where its `qemu_plugin_outs` text goes
   * @param process the process running it
   */
  constructor(
    readonly index: number,
    readonly name: string,
    readonly id: bigint,
    readonly watchdogMs: number,
    private readonly writeText: (bytes: Uint8Array) => void,
    readonly process: PluginProcess,
  ) {
    this.channel = process.channel;
    this.waiter = this.channel.waiter;
    this.ci = new Int32Array(this.channel.ctl);
    this.arena = new Int32Array(this.channel.arena);
    this.regs = new Int32Array(this.channel.regs);
    this.text = new TextReader(this.channel.text, this.waiter);
    this.ring = new RingWriter(this.channel.ring, () => this.wake(), (tail, since) => this.waitRing(tail, since));
  }

  /**
   * The instance of the same plugin in a forked guest process, run by
   * `process` (the copy the plugin's process made of itself): the same
   * load-order index, name, id (the plugin's copy holds it), watchdog,
   * grants and output.
   */
  forkedCopy(process: PluginProcess): PluginInstance {
    const copy = new PluginInstance(this.index, this.name, this.id, this.watchdogMs, this.writeText, process);
    copy.guestWrite = this.guestWrite;
    copy.readsRegisters = this.readsRegisters;
    copy.registrations = this.registrations;
    return copy;
  }

  /** Events the plugin subscribed to (`EV` bits of `channel.ts`). */
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
    // The doorbell rings only for a thread that is asleep or going to sleep: a spinning one, which reads this cache
    // line all the time, sees the new state or records. It marks itself asleep before it looks at them a last time,
    // and this runs after they were published (both sequentially consistent): either it sees them, or this sees the
    // mark, and then the doorbell it sleeps on differs from the value it read before.
    if (Atomics.load(this.ci, CTL.SLEEPING)) {
      Atomics.add(this.ci, CTL.DOORBELL, 1);
      this.waiter.wake(this.ci, CTL.DOORBELL);
    }
    // Not while a call is being made: attention may flush, and a flush calls the plugins (this one too).
    if (!this.calling && Atomics.load(this.ci, CTL.ATTENTION)) this.onAttention();
  }

  /** True while {@link call} runs (attention waits until the core looks after the call). */
  private calling = false;

  /** Moves the plugin's pending output to the log. Never throws: a broken text ring fails the next call. */
  drainText(): void {
    try {
      const bytes = this.text.drain();
      if (bytes) this.writeText(bytes);
    } catch (err) {
      if (!(err instanceof PluginFailure)) throw err;
      this.failure ??= err;
    }
  }

  /** Throws when the plugin died since the last look (a streamed callback failed, out of memory). */
  checkAlive(): void {
    if (this.failure) throw this.failure;
    if (Atomics.load(this.ci, CTL.STATE) === STATE.DEAD || this.process.gone()) throw this.dead("streamed callbacks");
  }

  /**
   * The failure of a dead plugin: the message its runtime left names the
   * callback that failed; a process that ended is named by what plume was
   * doing (`what`) and why it ended.
   */
  private dead(what: string): PluginFailure {
    if (Atomics.load(this.ci, CTL.STATE) === STATE.DEAD) return new PluginFailure(this.process.deathMessage());
    return new PluginFailure(`${what}: ${this.process.deathReason()}`);
  }

  /** Sleeps on `ci[index]` while it holds `value`, marking the emulator as waiting so that the plugin wakes it. */
  private sleep(index: number, value: number): void {
    Atomics.store(this.ci, CTL.EMULATOR_WAITING, 1);
    if (Atomics.load(this.ci, index) === value) this.waiter.wait(this.ci, index, value, SLICE_MS);
    Atomics.store(this.ci, CTL.EMULATOR_WAITING, 0);
  }

  /**
   * Waits until the tail moves from `tail` (the ring is full): throws when
   * the plugin died, or when this publish has waited longer than the
   * watchdog in all (`since`: when it began to wait) — a plugin that frees
   * a few words now and then does not keep the guest waiting forever.
   */
  private waitRing(tail: number, since: number): void {
    const began = performance.now();
    try {
      this.waitRingInner(tail, since);
    } finally {
      this.waited.ringMs += performance.now() - began;
    }
  }

  private waitRingInner(tail: number, since: number): void {
    const w = this.ring.w;
    // At every wait, not only after a quiet spin: a plugin that moves its position back and forth without
    // freeing room ends each wait at once, and on a machine where its process never loses its core the spin
    // would never be quiet.
    this.checkRingWatchdog(since);
    for (let i = 0;; i++) {
      if (Atomics.load(w, RING.TAIL) !== tail) return;
      if (Atomics.load(this.ci, CTL.STATE) === STATE.DEAD) throw this.dead("streamed callbacks");
      if (i < SPIN) continue;
      if (this.process.gone()) throw this.dead("streamed callbacks");
      this.drainText();
      this.checkRingWatchdog(since);
      this.process.strays?.(); // a full ring may take the watchdog's time too (see callInner)
      Atomics.store(w, RING.PRODUCER_WAITING, 1);
      if (Atomics.load(w, RING.TAIL) === tail) this.waiter.wait(w, RING.TAIL, tail, SLICE_MS);
      Atomics.store(w, RING.PRODUCER_WAITING, 0);
      i = 0;
    }
  }

  /** Throws when a publish that began to wait for ring space at `since` has waited longer than the watchdog. */
  private checkRingWatchdog(since: number): void {
    if (performance.now() - since <= this.watchdogMs) return;
    throw new PluginFailure(
      `streamed callbacks: the guest waited ${this.watchdogMs / 1000} s for the plugin to make room (watchdog)`,
    );
  }

  /** Throws when call `op`, begun at `started`, has taken longer than the watchdog in all. */
  private checkWatchdog(op: number, started: number): void {
    if (performance.now() - started <= this.watchdogMs) return;
    // The plugin replays every streamed record before it answers: say which of the two kept it.
    const replaying = Atomics.load(this.ring.w, RING.TAIL) !== this.ring.head ||
      Atomics.load(this.ring.w, RING.REPLAYING) !== 0;
    throw new PluginFailure(
      `${CALL_NAMES[op]}: no answer for ${this.watchdogMs / 1000} s (watchdog${
        replaying ? "; the plugin was still replaying streamed callbacks" : ""
      })`,
    );
  }

  /**
   * Makes a synchronous call: `args` go to the argument words after the
   * status word, `payload` may fill the payload. While waiting, requests
   * of the plugin are answered by `serve` (which writes the response and
   * returns false when it refuses the request). Returns a copy of the
   * reply words: `[status, r1, r2, r3]` (a payload stays in the control
   * block).
   *
   * The watchdog counts the call's whole time, requests included: a plugin
   * that keeps asking cannot keep the guest waiting past it.
   *
   * @throws {PluginFailure} when the plugin died, broke the protocol or ran past the watchdog
   */
  call(op: number, args: readonly number[], payload?: () => void, serve?: (code: number) => boolean): CallReply {
    this.calling = true;
    try {
      return this.callInner(op, args, payload, serve);
    } finally {
      this.calling = false;
    }
  }

  private callInner(
    op: number,
    args: readonly number[],
    payload?: () => void,
    serve?: (code: number) => boolean,
  ): CallReply {
    const ci = this.ci;
    if (this.failure) throw this.failure;
    if (Atomics.load(ci, CTL.STATE) === STATE.DEAD) throw this.dead(CALL_NAMES[op]);
    ci[CTL.OP] = op;
    for (let i = 0; i < args.length; i++) ci[CTL.ARGS + 1 + i] = args[i];
    payload?.();
    this.ring.publish();
    const before = Atomics.compareExchange(ci, CTL.STATE, STATE.IDLE, STATE.CALL);
    if (before === STATE.DEAD) throw this.dead(CALL_NAMES[op]);
    if (before !== STATE.IDLE) {
      throw new PluginFailure(`${CALL_NAMES[op]}: the channel is in state ${before}, not idle`);
    }
    this.wake();
    // The clock is read once the answer is not there at once (an op call each time: 60 ns, a twentieth of a
    // synchronous callback); the spin before it takes microseconds.
    let started = this.keepsStats ? performance.now() : 0;
    for (let i = 0;; i++) {
      const s = Atomics.load(ci, CTL.STATE);
      if (s === STATE.DONE) break;
      if (s === STATE.REQUEST) {
        // Requests are progress, but they do not stop the clock: a plugin that keeps asking ends too.
        if (started === 0) started = performance.now();
        this.checkWatchdog(op, started);
        // The request's code was written by the plugin: `serve` checks it against what this call allows.
        const code = ci[CTL.OP];
        this.waited.requests++;
        if (!serve) throw new PluginFailure(`${CALL_NAMES[op]}: the plugin made a request where none may be made`);
        let ok = false;
        try {
          ok = serve(code);
        } catch (err) {
          // Anything else is a bug of plume's, not the plugin's: it is not hidden from the user.
          if (err instanceof PluginFailure) throw new PluginFailure(`${CALL_NAMES[op]}: ${err.message}`);
          throw err;
        }
        ci[CTL.ARGS] = ok ? REPLY.OK : REPLY.ERROR;
        Atomics.store(ci, CTL.STATE, STATE.RESPONSE);
        if (Atomics.load(ci, CTL.SLEEPING)) this.waiter.wake(ci, CTL.STATE);
        i = 0;
        continue;
      }
      if (s === STATE.DEAD) throw this.dead(CALL_NAMES[op]);
      if (s !== STATE.CALL && s !== STATE.RESPONSE) {
        throw new PluginFailure(`${CALL_NAMES[op]}: the plugin set its channel to state ${s} during a call`);
      }
      if (i < SPIN) continue;
      if (started === 0) started = performance.now();
      if (performance.now() - started < CALL_SPIN_MS) {
        i = 0;
        continue;
      }
      if (this.process.gone()) throw this.dead(CALL_NAMES[op]);
      this.drainText();
      this.checkWatchdog(op, started);
      // Copies of plugins' processes plume did not ask for are looked for while it waits too (a call may take the
      // watchdog's time); during a fork call, one unknown copy is the one the reply will name.
      this.process.strays?.(op === OP.FORK);
      this.sleep(CTL.STATE, s);
      i = 0;
    }
    // The reply is read once, here: what plume checks must be what it uses, whatever the plugin writes later.
    // A plain array: a small typed array costs Deno an allocation outside V8's heap (0.35 µs against 0.01 µs, measured).
    const reply: CallReply = [ci[CTL.ARGS], ci[CTL.ARGS + 1], ci[CTL.ARGS + 2], ci[CTL.ARGS + 3]];
    Atomics.store(ci, CTL.STATE, STATE.IDLE);
    if (this.keepsStats) this.waited.calls++, this.waited.callMs += performance.now() - started;
    return reply;
  }
}
