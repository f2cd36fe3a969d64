/**
 * The shared memory between the emulator and one plugin instance, used by
 * both sides (this module runs in plume and in the plugin's process): a
 * control block for synchronous calls, an ordered event ring for streamed
 * events, a text ring for `qemu_plugin_outs`, and the scoreboard arena.
 *
 * While the guest runs, the emulator's thread is inside the synchronous CPU
 * loop and cannot receive messages, so everything at run time goes through
 * shared memory and `Atomics`. The plugin runs in another process: the
 * channel is one shared mapping ({@link mappedChannel}) and sleeping waits
 * are futexes ({@link Waiter}); tests use `SharedArrayBuffer`s in one
 * process ({@link inProcessChannel}).
 *
 * Everything the plugin's side wrote is untrusted: the emulator bounds
 * every value it reads before using it, and a value out of bounds is a
 * {@link PluginFailure}.
 *
 * @module
 */

/** A plugin stopped answering, died, or broke the channel's rules: the message names what it was doing. */
export class PluginFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PluginFailure";
  }
}

/** Int32 slots of the control block. */
export const CTL = {
  /** Call state, one of {@link STATE}. */
  STATE: 0,
  /** Nonzero while the plugin thread sleeps on {@link CTL.DOORBELL}. */
  SLEEPING: 1,
  /** Bumped by the emulator to wake the plugin thread (new call or new records). */
  DOORBELL: 2,
  /** Events the plugin subscribed to ({@link EV} bits), written by the plugin. */
  EVENTS: 3,
  /** Requests from the plugin the emulator must act on ({@link ATTN} bits). */
  ATTENTION: 4,
  /** Discontinuity types the plugin's discon callbacks want. */
  DISCON_TYPES: 5,
  /** Number of vCPUs created so far, written by the emulator. */
  NUM_VCPUS: 6,
  /** Call operation ({@link OP}) or request code ({@link REQ}). */
  OP: 7,
  /** Nonzero while the emulator sleeps on {@link CTL.STATE} (the plugin wakes it only then). */
  EMULATOR_WAITING: 8,
  /** First argument word; arguments and replies follow (replies may run on into the payload). */
  ARGS: 9,
} as const;

/** Size of the control block in bytes: header, argument words and a byte payload. */
export const CTL_BYTES = 1 << 20;
/** Int32 index where the variable payload starts (after the fixed argument words). */
export const PAYLOAD = 64;
/**
 * Int32 index of the failure message of a dead plugin: an area of its own
 * (the last 16 KiB but {@link STATS}), so that a call's payload written
 * while the plugin dies cannot overwrite the message. Payloads end before it.
 */
export const DEATH = (CTL_BYTES >> 2) - 4096;
/**
 * Int32 index of the replay statistics the plugin's side keeps for
 * `-d plugin_stats` (Float64 words, {@link STAT}): the last 64 bytes.
 * Written by the plugin's process, so only ever shown, never trusted.
 */
export const STATS = (CTL_BYTES >> 2) - 16;

/** The Float64 words at {@link STATS}. */
export const STAT = {
  /** Milliseconds the plugin's thread spent replaying records. */
  BUSY_MS: 0,
  /** Block runs replayed: one per block record, n per `REPEAT` record of n. */
  BLOCKS: 1,
  /** Memory records replayed. */
  MEMS: 2,
  /** Other records (conditional, truncation, vCPU events; not `REPEAT`s, counted as block runs). */
  OTHERS: 3,
  /** Streamed callbacks those records ran. */
  CALLBACKS: 4,
} as const;

/** End (in bytes) of the area a string or byte payload starting at int32 index `at` may use. */
function areaEnd(at: number): number {
  return at < DEATH ? DEATH * 4 : STATS * 4;
}

/** States of {@link CTL.STATE}. */
export const STATE = {
  IDLE: 0,
  /** The emulator posted a call; the plugin thread is to handle it. */
  CALL: 1,
  /** The plugin, inside a call, asks the emulator something (registers, memory…). */
  REQUEST: 2,
  /** The emulator answered the request. */
  RESPONSE: 3,
  /** The plugin finished the call; the reply is in the argument words. */
  DONE: 4,
  /** The plugin failed; the message is at {@link DEATH}. No call will be answered again. */
  DEAD: 5,
  /** The plugin's process mapped the channel and confined itself; it waits for its code. */
  BOOTED: 6,
  /** The plugin's code was evaluated; the report ({@link LoadReport}) is in the payload. */
  LOADED: 7,
  /**
   * The plugin's process, before it boots, listens on a granted unix socket
   * and waits for its peer (no plugin code has run yet): plume removes the
   * socket's file if it stops the process then.
   */
  LISTENING: 8,
} as const;

/** What the plugin's process reports once the plugin's code was evaluated (JSON in the payload). */
export type LoadReport =
  | {
    ok: true;
    /** `qemu_plugin_version` when it is a number, else undefined. */
    version?: number;
    /** `typeof qemu_plugin_version` (or `NaN`, `Infinity`), so that a bad one can be named without trusting its value. */
    versionType: string;
    /** True when `qemu_plugin_install` is an exported function. */
    hasInstall: boolean;
  }
  | { ok: false; error: string };

/** Calls from the emulator to the plugin. */
export const OP = {
  INSTALL: 1,
  TB_TRANS: 2,
  EXEC: 3,
  MEM: 4,
  VCPU_INIT: 5,
  VCPU_EXIT: 6,
  SYSCALL: 7,
  SYSCALL_RET: 8,
  DISCON: 9,
  FLUSH: 10,
  ATEXIT: 11,
  COMPLETE: 12,
  DRAIN: 13,
  /** The guest forked: the plugin's process copies itself for the child (reply: pid, channel fd, stderr fd). */
  FORK: 14,
} as const;

/** Requests from the plugin to the emulator, made during a call. */
export const REQ = {
  READ_REG: 1,
  WRITE_REG: 2,
  READ_MEM: 3,
  WRITE_MEM: 4,
  SYMBOL: 5,
  DISAS: 6,
} as const;

/** Subscribed-event bits of {@link CTL.EVENTS}. */
export const EV = {
  VCPU_INIT: 1 << 0,
  VCPU_EXIT: 1 << 1,
  TB_TRANS: 1 << 2,
  SYSCALL: 1 << 3,
  SYSCALL_RET: 1 << 4,
  SYSCALL_FILTER: 1 << 5,
  DISCON: 1 << 6,
  FLUSH: 1 << 7,
  ATEXIT: 1 << 8,
} as const;

/** Bits of {@link CTL.ATTENTION}. */
export const ATTN = {
  /** `qemu_plugin_uninstall` was called: flush, then run its completion callback. */
  UNINSTALL: 1,
  /** `qemu_plugin_reset` was called. */
  RESET: 2,
} as const;

/** Reply status in `ARGS[0]` after a call. */
export const REPLY = { OK: 0, ERROR: 1 } as const;

/**
 * Kinds of instrumentation in a translation reply, one record of int32
 * words each: `[kind, where, …]`, `where` being the instruction index or
 * -1 for the block.
 */
export const ACT = {
  /** `[INLINE, where, op, index, stride, lo, hi]` */
  INLINE: 1,
  /** `[RECORD, -1, blockId]`: one block-execution record per execution. */
  RECORD: 2,
  /** `[COND_RECORD, where, cond, index, stride, lo, hi, slotId]` */
  COND_RECORD: 3,
  /** `[SYNC, where, syncId, writesRegs]` */
  SYNC: 4,
  /** `[COND_SYNC, where, cond, index, stride, lo, hi, syncId, writesRegs]` */
  COND_SYNC: 5,
  /** `[MEM_INLINE, where, rw, op, index, stride, lo, hi]` */
  MEM_INLINE: 6,
  /** `[MEM_RECORD, where, rw, memSlotId]` */
  MEM_RECORD: 7,
  /** `[MEM_SYNC, where, rw, syncId, writesRegs]` */
  MEM_SYNC: 8,
} as const;

/** Words per action kind, for decoding and validation. */
export const ACT_WORDS: Readonly<Record<number, number>> = {
  [ACT.INLINE]: 7,
  [ACT.RECORD]: 3,
  [ACT.COND_RECORD]: 8,
  [ACT.SYNC]: 4,
  [ACT.COND_SYNC]: 9,
  [ACT.MEM_INLINE]: 8,
  [ACT.MEM_RECORD]: 4,
  [ACT.MEM_SYNC]: 5,
};

export { ID_MASK, memRecordWords, TAG } from "../jit/record_format.ts";

/**
 * Int32 slots of a ring header. The producer's and the consumer's words
 * sit in different cache lines, so that neither side's polling slows the
 * other's writes.
 */
export const RING = {
  /** Write position (words, wrapping int32), published by the producer. */
  HEAD: 0,
  /** Nonzero while the producer waits for space. */
  PRODUCER_WAITING: 1,
  /** Read position, published by the consumer. */
  TAIL: 16,
  /**
   * Nonzero while the consumer runs streamed callbacks (event ring only; read
   * by the emulator only to word a watchdog message). A line of its own.
   */
  REPLAYING: 32,
} as const;

/** Int32 words of a ring header before its data (two cache lines and a spare). */
export const RING_HEADER = 48;

/**
 * Event ring capacity in int32 words (a power of two). 4 MiB holds about
 * two million block records: deep enough that the guest rarely waits for a
 * slow plugin, small enough to stay in the caches' neighbourhood.
 */
export const EVENT_RING_WORDS = 1 << 20;

/** Text ring capacity in bytes (a power of two). */
export const TEXT_RING_BYTES = 1 << 20;

/**
 * Scoreboard arena size in bytes. The buffer is reserved, not touched: the
 * operating system commits only the pages a plugin's scoreboards use.
 */
const ARENA_BYTES = 64 << 20;

/**
 * The register snapshot (int32 word indices): the emulator writes the
 * vCPU's registers here before a call whose callbacks may read guest state,
 * sets `VALID`, and clears it when the call returns, so that a register
 * read is a load in the plugin's process instead of a second round trip.
 * The emulator only writes it: what the plugin does to it changes nothing
 * but its own reads. Register pairs are low word first.
 */
export const REGS = {
  /** 1 while a call with a snapshot runs. */
  VALID: 0,
  /** x0–x31, as pairs. */
  X: 8,
  /** The pc, as a pair. */
  PC: 72,
  /** f0–f31, as pairs (bit patterns). */
  F: 74,
  FFLAGS: 138,
  FRM: 139,
  FCSR: 140,
  /** With V: v0–v31, 16 bytes each (128 words). */
  V: 144,
  /** With V: the vector CSRs of {@link VECTOR_CSR_NAMES}, as pairs, in that order. */
  VCSRS: 272,
  /**
   * `vlenb` when the run has V, else 0: written by the emulator when the
   * instance is added and never cleared, so that the plugin's side knows
   * which registers there are before any call with a snapshot.
   */
  VLENB: 286,
} as const;

/**
 * Register numbers of the plugin API (what a register handle names, and
 * requests carry): x0–x31 are 0–31, the pc 32, f0–f31 33–64, then fflags,
 * frm and fcsr; with V, v0–v31 and the vector CSRs follow, as QEMU 10's
 * gdbstub adds them (its `org.gnu.gdb.riscv.vector` feature, v0–v31 of
 * VLEN bits, and the vector CSRs of its `org.gnu.gdb.riscv.csr` feature,
 * XLEN bits each, in CSR number order).
 */
export const REG = { PC: 32, F0: 33, FFLAGS: 65, FRM: 66, FCSR: 67, V0: 68, VCSR0: 100 } as const;

/** The vector CSRs plugins see, in CSR number order, and their numbers. */
export const VECTOR_CSRS: readonly (readonly [string, number])[] = [
  ["vstart", 0x008],
  ["vxsat", 0x009],
  ["vxrm", 0x00a],
  ["vcsr", 0x00f],
  ["vl", 0xc20],
  ["vtype", 0xc21],
  ["vlenb", 0xc22],
];

/** {@link VECTOR_CSRS}' names. */
export const VECTOR_CSR_NAMES: readonly string[] = VECTOR_CSRS.map(([n]) => n);

/** The last register number: vlenb's with V, fcsr's without. */
export function lastRegister(vector: boolean): number {
  return vector ? REG.VCSR0 + VECTOR_CSRS.length - 1 : REG.FCSR;
}
/** Size of the register snapshot in bytes. */
export const REGS_BYTES = 4096;

/**
 * Sleeping on a word of the channel until another thread or process
 * changes it, and waking such sleepers.
 */
export interface Waiter {
  /** Sleeps while `view[index] === expected`, at most `ms` milliseconds (it may wake earlier). */
  wait(view: Int32Array, index: number, expected: number, ms: number): void;
  /** Wakes whoever sleeps on `view[index]`. */
  wake(view: Int32Array, index: number): void;
}

/** Waiting within one process, on `SharedArrayBuffer`s. */
export const IN_PROCESS_WAITER: Waiter = {
  wait: (view, index, expected, ms) => void Atomics.wait(view, index, expected, ms),
  wake: (view, index) => void Atomics.notify(view, index),
};

/** The memory of one plugin instance's channel. */
export interface Channel {
  /** Control block ({@link CTL_BYTES}). */
  ctl: ArrayBufferLike;
  /** Event ring: header and {@link EVENT_RING_WORDS} words. */
  ring: ArrayBufferLike;
  /** Text ring: int32 header and {@link TEXT_RING_BYTES} bytes. */
  text: ArrayBufferLike;
  /** Scoreboard arena ({@link ARENA_BYTES}). */
  arena: ArrayBufferLike;
  /** Register snapshot ({@link REGS}, {@link REGS_BYTES}). */
  regs: ArrayBufferLike;
  /** How to sleep on and wake its words. */
  waiter: Waiter;
  /** Address of {@link arena} in this process, when it is a shared mapping (see `PluginHooks.shareArena`). */
  arenaAddress?: number;
  /** Address of {@link ring} in this process, when it is a shared mapping (see `PluginHooks.shareBatch`). */
  ringAddress?: number;
}

/** Where each part of a channel lies in one shared mapping, in bytes (page-aligned). */
export const LAYOUT = (() => {
  const page = (n: number) => Math.ceil(n / 65536) * 65536;
  const ctl = 0, ring = ctl + page(CTL_BYTES);
  const text = ring + page((RING_HEADER + EVENT_RING_WORDS) * 4);
  const arena = text + page(RING_HEADER * 4 + TEXT_RING_BYTES);
  const regs = arena + page(ARENA_BYTES);
  return { ctl, ring, text, arena, regs, size: regs + REGS_BYTES };
})();

/** A channel in `SharedArrayBuffer`s, for both sides in one process (tests). */
export function inProcessChannel(): Channel {
  return {
    ctl: new SharedArrayBuffer(CTL_BYTES),
    ring: new SharedArrayBuffer((RING_HEADER + EVENT_RING_WORDS) * 4),
    text: new SharedArrayBuffer(RING_HEADER * 4 + TEXT_RING_BYTES),
    arena: new SharedArrayBuffer(ARENA_BYTES),
    regs: new SharedArrayBuffer(REGS_BYTES),
    waiter: IN_PROCESS_WAITER,
  };
}

/** What {@link mappedChannel} needs of a shared mapping of {@link LAYOUT}`.size` bytes. */
export interface ChannelMapping {
  /** Address of the mapping's first byte in this process. */
  address: number;
  /** A part of the mapping as an `ArrayBuffer`. */
  region(offset: number, length: number): ArrayBuffer;
}

/**
 * A channel in a shared mapping (the same bytes in plume and in the plugin's
 * process), sleeping with futexes on the words' addresses.
 *
 * @param futex futex wait and wake on an address in this process
 */
export function mappedChannel(
  mapping: ChannelMapping,
  futex: { wait(address: number, expected: number, ms: number): void; wake(address: number): void },
): Channel {
  const parts = {
    ctl: mapping.region(LAYOUT.ctl, CTL_BYTES),
    ring: mapping.region(LAYOUT.ring, (RING_HEADER + EVENT_RING_WORDS) * 4),
    text: mapping.region(LAYOUT.text, RING_HEADER * 4 + TEXT_RING_BYTES),
    arena: mapping.region(LAYOUT.arena, ARENA_BYTES),
    regs: mapping.region(LAYOUT.regs, REGS_BYTES),
  };
  const base = new Map<ArrayBufferLike, number>([
    [parts.ctl, mapping.address + LAYOUT.ctl],
    [parts.ring, mapping.address + LAYOUT.ring],
    [parts.text, mapping.address + LAYOUT.text],
    [parts.arena, mapping.address + LAYOUT.arena],
    [parts.regs, mapping.address + LAYOUT.regs],
  ]);
  const at = (view: Int32Array, index: number) => {
    const b = base.get(view.buffer);
    if (b === undefined) throw new RangeError("Not a view of this channel");
    return b + view.byteOffset + index * 4;
  };
  return {
    ...parts,
    arenaAddress: mapping.address + LAYOUT.arena,
    ringAddress: mapping.address + LAYOUT.ring,
    waiter: {
      wait: (view, index, expected, ms) => futex.wait(at(view, index), expected, ms),
      wake: (view, index) => futex.wake(at(view, index)),
    },
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Writes a string as UTF-8 into the control block's payload at int32 index
 * `at`: a length word, then the bytes. Returns the int32 index after it.
 */
export function putString(ctl: ArrayBufferLike, at: number, s: string): number {
  const words = new Int32Array(ctl);
  const bytes = new Uint8Array(ctl, (at + 1) * 4, areaEnd(at) - (at + 1) * 4);
  const { written } = encoder.encodeInto(s, bytes);
  words[at] = written ?? 0;
  return at + 1 + (((written ?? 0) + 3) >> 2);
}

/**
 * Reads a string written by {@link putString}, of at most `maxBytes` bytes
 * (its length word is read once: the writer may be the other side); returns
 * it and the index after it.
 */
export function getString(ctl: ArrayBufferLike, at: number, maxBytes = CTL_BYTES): [string, number] {
  const words = new Int32Array(ctl);
  const len = words[at];
  if (len < 0 || len > maxBytes || (at + 1) * 4 + len > CTL_BYTES) {
    throw new RangeError(`Bad string length ${len} in control block`);
  }
  const s = decoder.decode(new Uint8Array(ctl, (at + 1) * 4, len).slice());
  return [s, at + 1 + ((len + 3) >> 2)];
}

/** Copies bytes into the payload at int32 index `at` (length word first); returns the index after. */
export function putBytes(ctl: ArrayBufferLike, at: number, data: Uint8Array): number {
  const words = new Int32Array(ctl);
  if ((at + 1) * 4 + data.length > areaEnd(at)) throw new RangeError(`Payload of ${data.length} bytes is too large`);
  words[at] = data.length;
  new Uint8Array(ctl, (at + 1) * 4, data.length).set(data);
  return at + 1 + ((data.length + 3) >> 2);
}

/** Reads bytes written by {@link putBytes} (a copy). */
export function getBytes(ctl: ArrayBufferLike, at: number): Uint8Array {
  const len = new Int32Array(ctl)[at];
  if (len < 0 || (at + 1) * 4 + len > CTL_BYTES) throw new RangeError(`Bad byte length ${len} in control block`);
  return new Uint8Array(ctl, (at + 1) * 4, len).slice();
}

export { BATCH_STORE_WORDS, BATCH_WORDS } from "../jit/record_format.ts";
import { BATCH_STORE_WORDS, BATCH_WORDS } from "../jit/record_format.ts";

/**
 * Copies `words` words of a batch, from its word `from`, to the ring's
 * word `to` (an index in {@link RingWriter.w}, header included).
 */
export type BatchCopy = (to: number, from: number, words: number) => void;

/**
 * The producing end of an event ring (the emulator's side): records are
 * gathered in a private batch and copied into the ring when the batch is
 * full or on {@link publish}. When the ring has no room the producer calls
 * `waitSpace`, which blocks until the consumer made room (or throws).
 *
 * The batch is {@link BATCH_STORE_WORDS} words: the number of words
 * gathered, then the words. {@link moveBatch} moves it into memory that
 * WebAssembly regions write their records into directly.
 */
export class RingWriter {
  /** The ring's words (header first). */
  readonly w: Int32Array;
  /** Published head. */
  head = 0;
  /** Word 0: the number of words gathered; then the batch. */
  private store: Int32Array<ArrayBufferLike> = new Int32Array(BATCH_STORE_WORDS);
  private batch: Int32Array<ArrayBufferLike> = this.store.subarray(1);
  /** How batches reach the ring when {@link moveBatch} gave a way faster than {@link copyWords}. */
  private copy: BatchCopy | undefined;

  /**
   * @param ring the ring buffer
   * @param wake called after publishing, to wake a sleeping consumer
   * @param waitSpace called when the ring is full, with the tail seen and when this publish began to wait
   *   (`performance.now()`); returns when the tail moved from the tail seen
   */
  constructor(
    ring: ArrayBufferLike,
    private readonly wake: () => void,
    private readonly waitSpace: (tailSeen: number, since: number) => void,
  ) {
    this.w = new Int32Array(ring);
  }

  /**
   * Moves the batch store (with what it gathered) into `store`
   * ({@link BATCH_STORE_WORDS} words), where code that is not this writer's
   * may append records: it writes them after the count and adds their
   * words to it, publishing first when they would not fit. `copy`, when
   * given, copies the new store's batches into the ring from now on.
   */
  moveBatch(store: Int32Array, copy?: BatchCopy): void {
    if (store.length !== BATCH_STORE_WORDS) throw new RangeError(`a batch store is ${BATCH_STORE_WORDS} words`);
    store.set(this.store.subarray(0, 1 + this.store[0]));
    this.store = store;
    this.batch = store.subarray(1);
    this.copy = copy;
  }

  /**
   * Where in the batch a record of `words` words goes, publishing first
   * when it would not fit; the caller writes it there and adds its words
   * to the count (`store[0]`). Small enough for V8 to inline into the
   * `put*` below, which are the hot path of the JavaScript tier's records.
   */
  private room(words: number): number {
    const n = this.store[0];
    if (n <= BATCH_WORDS - words) return n;
    this.publish();
    return 0;
  }

  /** Appends a two-word record. */
  put2(a: number, b: number): void {
    const n = this.room(2), batch = this.batch;
    batch[n] = a;
    batch[n + 1] = b;
    this.store[0] = n + 2;
  }

  /** Appends a three-word record. */
  put3(a: number, b: number, c: number): void {
    const n = this.room(3), batch = this.batch;
    batch[n] = a;
    batch[n + 1] = b;
    batch[n + 2] = c;
    this.store[0] = n + 3;
  }

  /** Appends a four-word record. */
  put4(a: number, b: number, c: number, d: number): void {
    const n = this.room(4), batch = this.batch;
    batch[n] = a;
    batch[n + 1] = b;
    batch[n + 2] = c;
    batch[n + 3] = d;
    this.store[0] = n + 4;
  }

  /** Appends a five-word record. */
  put5(a: number, b: number, c: number, d: number, e: number): void {
    const n = this.room(5), batch = this.batch;
    batch[n] = a;
    batch[n + 1] = b;
    batch[n + 2] = c;
    batch[n + 3] = d;
    batch[n + 4] = e;
    this.store[0] = n + 5;
  }

  /** Copies the batch into the ring, makes it visible to the consumer and wakes it. */
  publish(): void {
    const n = this.store[0];
    if (n > 0) {
      const w = this.w, h = this.head;
      let since = 0;
      for (let t = Atomics.load(w, RING.TAIL);; t = Atomics.load(w, RING.TAIL)) {
        // The consumer's position comes from the plugin's side: it must lie within the published records.
        const used = (h - t) | 0;
        if (used < 0 || used > EVENT_RING_WORDS) {
          throw new PluginFailure(`event ring: consumer position ${t} is outside the published records`);
        }
        if (EVENT_RING_WORDS - used >= n) break;
        // Waits for the tail to move from the value just seen (not from a later one: the consumer
        // may catch up in between, and then the tail never moves again).
        if (since === 0) since = performance.now();
        this.waitSpace(t, since);
      }
      const at = h & (EVENT_RING_WORDS - 1), first = Math.min(n, EVENT_RING_WORDS - at), copy = this.copy;
      if (copy !== undefined) {
        copy(RING_HEADER + at, 0, first);
        if (first < n) copy(RING_HEADER, first, n - first);
      } else {
        copyWords(w, RING_HEADER + at, this.batch, 0, first);
        if (first < n) copyWords(w, RING_HEADER, this.batch, first, n - first);
      }
      this.head = (h + n) | 0;
      this.store[0] = 0;
      Atomics.store(w, RING.HEAD, this.head);
    }
    this.wake();
  }

  /** True when every record was published and consumed. */
  drained(): boolean {
    return this.store[0] === 0 && Atomics.load(this.w, RING.TAIL) === Atomics.load(this.w, RING.HEAD);
  }
}

/**
 * Copies `n` words from `src` at `from` to `dst` at `at`, in a loop:
 * `TypedArray.prototype.set` copies out of a `SharedArrayBuffer` (the
 * WebAssembly tier's batch stores) with relaxed atomic accesses, at 8 µs
 * for a full batch of 32 KiB against 5 µs for this loop. WebAssembly's
 * `memory.copy` is faster still where the ring is mapped into the plugin
 * memory beside the batch store ({@link RingWriter.moveBatch}'s `copy`):
 * under `mem,callback=on` on sha256 of 20 MB this loop took 1.5 s of the
 * guest's 3.0 profiled seconds, `memory.copy` 0.35 s.
 */
function copyWords(dst: Int32Array, at: number, src: Int32Array, from: number, n: number): void {
  for (let k = 0; k < n; k++) dst[at + k] = src[from + k];
}

/** Reads one word of a ring at a (wrapping) position. */
export function ringWord(w: Int32Array, pos: number): number {
  return w[RING_HEADER + (pos & (EVENT_RING_WORDS - 1))];
}

/**
 * Appends UTF-8 text to a text ring (plugin side). Blocks while the ring is
 * full: the emulator drains it whenever it waits for the plugin, at system
 * calls and at exit.
 */
export function textWrite(text: ArrayBufferLike, waiter: Waiter, s: string): void {
  const hdr = new Int32Array(text, 0, RING_HEADER);
  const data = new Uint8Array(text, RING_HEADER * 4, TEXT_RING_BYTES);
  const bytes = encoder.encode(s);
  let off = 0;
  while (off < bytes.length) {
    const head = Atomics.load(hdr, RING.HEAD), tail = Atomics.load(hdr, RING.TAIL);
    const free = TEXT_RING_BYTES - ((head - tail) | 0);
    if (free <= 0) {
      Atomics.store(hdr, RING.PRODUCER_WAITING, 1);
      waiter.wait(hdr, RING.TAIL, tail, 50);
      Atomics.store(hdr, RING.PRODUCER_WAITING, 0);
      continue;
    }
    const n = Math.min(free, bytes.length - off);
    for (let i = 0; i < n; i++) data[(head + i) & (TEXT_RING_BYTES - 1)] = bytes[off + i];
    off += n;
    Atomics.store(hdr, RING.HEAD, (head + n) | 0);
  }
}

/**
 * The emulator's end of a text ring. Its read position is its own: only
 * the write position comes from the plugin, and it is bounded before use.
 */
export class TextReader {
  private readonly hdr: Int32Array;
  private readonly data: Uint8Array;
  private tail: number;

  constructor(text: ArrayBufferLike, private readonly waiter: Waiter) {
    this.hdr = new Int32Array(text, 0, RING_HEADER);
    this.data = new Uint8Array(text, RING_HEADER * 4, TEXT_RING_BYTES);
    this.tail = Atomics.load(this.hdr, RING.TAIL);
  }

  /**
   * Takes every byte written since the last call; undefined when there is none.
   *
   * @throws {PluginFailure} when the write position is not within a ring's length of the read position
   */
  drain(): Uint8Array | undefined {
    const hdr = this.hdr, tail = this.tail;
    const head = Atomics.load(hdr, RING.HEAD);
    const n = (head - tail) | 0;
    if (n === 0) return undefined;
    if (n < 0 || n > TEXT_RING_BYTES) {
      throw new PluginFailure(`text ring: write position ${head} is outside the ring (read position ${tail})`);
    }
    const at = tail & (TEXT_RING_BYTES - 1), first = Math.min(n, TEXT_RING_BYTES - at);
    const out = new Uint8Array(n);
    out.set(this.data.subarray(at, at + first));
    if (first < n) out.set(this.data.subarray(0, n - first), first);
    this.tail = head;
    Atomics.store(hdr, RING.TAIL, head);
    if (Atomics.load(hdr, RING.PRODUCER_WAITING)) this.waiter.wake(hdr, RING.TAIL);
    return out;
  }
}
