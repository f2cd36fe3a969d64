/**
 * Private state of the plugin side, shared by the API implementation
 * (`api.ts`, `block_slots.ts`) and the event loop (`dispatcher.ts`,
 * `calls.ts`, `replay.ts`, `failure.ts`), as QEMU's `plugins/plugin.h` is
 * shared by its `api.c` and `core.c`. One process hosts one plugin
 * instance, so this state is that instance's. The replay's position in
 * the event ring is not here: it stays in `replay.ts`, whose hot path
 * keeps it module-local.
 *
 * @module
 */

import { CTL, IN_PROCESS_WAITER, PAYLOAD, REGS_BYTES, REPLY, REQ, STATE, type Waiter } from "../channel.ts";

/** A plugin callback, as registered. */
// deno-lint-ignore no-explicit-any
export type AnyFn = (...args: any[]) => any;

/** Kinds of replay slots. */
export const SLOT = {
  /** `NO_REGS` callback: replayed from the block record. */
  STREAM: 0,
  /** `NO_REGS` conditional callback: runs when its record arrives. */
  COND: 1,
  /** `R_REGS`/`RW_REGS` callback: runs in a synchronous call. */
  SYNC: 2,
} as const;

/** The execution callbacks of one translated block, in the order they run. */
export interface BlockReplay {
  /** Guest address of each instruction. */
  pcs: number[];
  /** Callback of each slot: block slots first, then each instruction's. */
  fns: AnyFn[];
  /** User data of each slot. */
  uds: unknown[];
  /** Kind of each slot ({@link SLOT}). */
  kinds: number[];
  /** Access flags of each slot (0 none, 1 read, 2 read-write registers). */
  regs: number[];
  /** Slot index where instruction k's slots start; `insnStart[n]` is the end. */
  insnStart: number[];
  /** True when the block has streamed slots (it gets a block record). */
  streams: boolean;
  /**
   * Runs of consecutive streamed slots with the same callback:
   * `[start, end)` slot ranges, with the user data they share, or
   * {@link VARIES} when it differs among them (it is then read from `uds`).
   * Replaying a run is a loop calling one function, which V8 inlines (0.7
   * ns a call against 2–3 ns through the slot arrays).
   */
  runStart: number[];
  runEnd: number[];
  runFn: AnyFn[];
  runUd: unknown[];
  /**
   * When the block's streamed slots are one run with one user data (bb's
   * callback, insn's): its callback, user data and length, here on the
   * block, so that a block record that replays the whole block reads one
   * object instead of five arrays (bb: 14 ns a record, most of it waiting
   * for those loads).
   */
  soloFn: AnyFn | undefined;
  soloUd: unknown;
  soloN: number;
  /** Number of slots (`fns.length`). */
  slots: number;
}

/** The user data of a run whose slots have different ones ({@link BlockReplay}); no plugin can hold it. */
export const VARIES: unknown = Object.freeze({});

/** A memory callback registration. */
export interface MemSlot {
  block: number;
  insn: number;
  fn: AnyFn;
  ud: unknown;
  regs: number;
  /**
   * The block's replay and where its instruction's slots end
   * (`insnStart[insn + 1]`), set when the translation ends: a memory
   * record reads them here rather than through the block table.
   */
  replay: BlockReplay | undefined;
  upTo: number;
}

/** A synchronous callback: a block slot, or (with `mem`) a memory callback. */
export interface SyncSlot {
  block: number;
  slot: number;
  mem?: MemSlot;
}

/** The error a plugin gets for a misuse of the API (wrong id, stale handle, wrong context). */
export class PluginApiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PluginApiError";
  }
}

/**
 * Whether `v` is an object, before a check of the runtime's own
 * exceptions by a private field (`#field in v`). The plugin may catch them
 * and see their classes: `instanceof` would call a `Symbol.hasInstance` it
 * defined (the classes are frozen too) or accept an object it made with
 * their prototype; a Proxy's `getPrototypeOf` trap could throw in its
 * place. A private field is in the object the runtime made and in no copy,
 * Proxy or forgery, and looking for one runs none of the plugin's code.
 */
export function isOurs(v: unknown): v is object {
  return typeof v === "object" && v !== null;
}

/**
 * Thrown through a callback by `qemu_plugin_set_pc`: the callback does not
 * return. The plugin's code may catch it: it is frozen (no other pc), and
 * told by a private field, not by `instanceof` (why: {@link isOurs}).
 */
export class SetPcSignal {
  readonly #signal = true;
  constructor(readonly pc: number) {
    Object.freeze(this);
  }
  /** Whether `v` is a signal `qemu_plugin_set_pc` threw. */
  static is(v: unknown): v is SetPcSignal {
    return isOurs(v) && #signal in v;
  }
}
Object.freeze(SetPcSignal.prototype), Object.freeze(SetPcSignal);

/**
 * What the plugin's process does when the guest forks (given by the
 * sandbox's host, which holds the system calls): makes the child's
 * channel holding `copy` (the control block, the scoreboards handed out)
 * and copies the process, which then serves that channel. Returns the
 * copy's pid and the copy's descriptors of its channel and standard error
 * here, pid 0 in the copy.
 */
export type Forker = (copy: { ctl: Uint8Array; arena: Uint8Array }) => {
  pid: number;
  channelFd: number;
  stderrFd: number;
};

/**
 * A connected unix stream socket the user granted (`-plugin-allow
 * unix=PATH`), made by the sandbox's host before the plugin's code ran:
 * blocking reads and writes of whole buffers, for a plugin whose protocol
 * waits for its peer.
 */
export interface StreamSocket {
  /** How it was made: nobody listened on the path, so this process did and accepted one peer; or it connected to one. */
  readonly how: "listened" | "connected";
  /** Writes all of `bytes`; returns how many were written (fewer: the peer is gone), or -errno (-EINVAL: not a plain Uint8Array). */
  write(bytes: Uint8Array): number;
  /** Reads until `bytes` is full or the peer closes; returns how many were read, or -errno (as for `write`). */
  read(bytes: Uint8Array): number;
  /** Closes it (later reads and writes return -EBADF). */
  close(): void;
}

/** Thrown in the copy of a forked plugin process out of the fork call: its event loop goes on with its own channel. */
export class ForkedChild {
  readonly #forked = true;
  /** Whether `v` is one the runtime threw (a private field, as {@link SetPcSignal.is}). */
  static is(v: unknown): v is ForkedChild {
    return isOurs(v) && #forked in v;
  }
}
Object.freeze(ForkedChild.prototype), Object.freeze(ForkedChild);

/** What the callback being run may do with guest state. */
export const ACCESS = { NONE: 0, READ: 1, WRITE: 2 } as const;

/** Everything the plugin side knows about its instance. */
export const instance = {
  /** The instance's id, as handed to `qemu_plugin_install`. */
  id: 0n,
  /** Plugin name for messages. */
  name: "",
  /** Control block. */
  ctl: undefined as unknown as ArrayBufferLike,
  /** Control block as int32 words. */
  ci: undefined as unknown as Int32Array,
  /** Event ring as int32 words (its records are consumed by `replay.ts` alone). */
  ring: undefined as unknown as Int32Array,
  /** Text ring for `qemu_plugin_outs`. */
  text: undefined as unknown as ArrayBufferLike,
  /** How to sleep on the channel's words and wake the emulator. */
  waiter: IN_PROCESS_WAITER as Waiter,
  /** True when plugin output is shown (`-d plugin`). */
  outs: false,
  /** Scoreboard arena (int32 words). */
  arena: undefined as unknown as Int32Array,
  /** The register snapshot of the call running, when its callbacks may read guest state (`REGS`). */
  regs: new Int32Array(REGS_BYTES >> 2) as Int32Array<ArrayBufferLike>,
  /** vCPUs each scoreboard has room for. */
  capacity: 8,
  /** Bytes of the arena handed out (at the current capacity). */
  arenaUsed: 0,
  /** Scoreboard element sizes and offsets (bytes, at the current capacity), by scoreboard number. */
  boards: [] as { offset: number; size: number; freed: boolean }[],
  /** Path, start, end and entry of the guest program. */
  program: { path: "", start: 0, end: 0, entry: 0 },
  /** Replays by block id. */
  blocks: [] as (BlockReplay | undefined)[],
  /** Block ids below this one belong to translations dropped by a reset. */
  validFrom: 0,
  /**
   * True once a block had streamed slots (execution callbacks replayed from
   * block records): until then a memory record has no instruction callbacks
   * to run before it (`replay.ts`).
   */
  streamedSlots: false,
  /** Conditional slots by id: `[block, slot]`. */
  condSlots: [] as number[],
  /** Memory callbacks by id. */
  memSlots: [] as MemSlot[],
  /** Synchronous slots by id. */
  syncSlots: [] as SyncSlot[],
  /** True from install until the plugin is uninstalled. */
  installing: false,
  /** Set once `qemu_plugin_uninstall` or `qemu_plugin_reset` was called, until completion. */
  pending: undefined as undefined | { uninstall: boolean; cb: AnyFn; ud: unknown },
  /** True while a reset's completion callback runs: a reset asked for then is ignored, as QEMU's is. */
  completingReset: false,
  /** Guest-state access allowed in the running callback. */
  access: ACCESS.NONE as number,
  /** True while inside a synchronous call whose vCPU is known (requests may be made). */
  inCall: false,
  /** True while an execution or memory callback runs synchronously (`qemu_plugin_set_pc` allowed). */
  setPcOk: false,
  /** The plugin's exports (its `qemu_plugin_install` is read when the install call comes). */
  plugin: {} as { qemu_plugin_install?: AnyFn },
  /** Plugin arguments. */
  argv: [] as string[],
  /** `qemu_info_t` for install. */
  info: undefined as unknown,
  /** vCPU of the running callback. */
  vcpu: 0,
  /** True when the user granted `guest=write`: writes, pc changes and syscall filters are allowed. */
  guestWrite: false,

  /** Generation of the translation in progress (tb/insn handles of other generations are stale). */
  transGen: 0,
  /** True while a translation callback runs. */
  inTrans: false,
  /** Registrations of the translation in progress, as reply words (reused across translations). */
  acts: new Int32Array(4096),
  /** Words used in {@link acts}. */
  nActs: 0,
  /** How this process copies itself for a forked guest (undefined where it cannot). */
  fork: undefined as Forker | undefined,
  /** plume's working directory, against which relative granted paths are read. */
  cwd: "/",
  /** The unix sockets granted, by absolute path, or why one could not be made. */
  sockets: new Map<string, StreamSocket | string>(),
};

/**
 * The access of the running synchronous memory callback, for
 * `qemu_plugin_mem_get_value`: `[info, value low word, value high word]`,
 * info -1 outside them. (A streamed one's access is its record in the ring:
 * `replay.ts`.)
 */
export const MEMV: Int32Array = new Int32Array([-1, 0, 0]);

/** Callback lists per event: copy-on-write arrays, so a callback may change them while they are walked. */
export const CB = {
  vcpuInit: [] as [AnyFn, unknown][],
  vcpuExit: [] as [AnyFn, unknown][],
  vcpuIdle: [] as [AnyFn, unknown][],
  vcpuResume: [] as [AnyFn, unknown][],
  tbTrans: [] as [AnyFn, unknown][],
  syscall: [] as [AnyFn, unknown][],
  syscallRet: [] as [AnyFn, unknown][],
  syscallFilter: [] as [AnyFn, unknown][],
  discon: [] as [AnyFn, unknown, number][],
  flush: [] as [AnyFn, unknown][],
  atexit: [] as [AnyFn, unknown][],
};

/** Appends registration words for the translation in progress, growing the reused buffer when needed. */
export function pushAct(...words: number[]): void {
  if (instance.nActs + words.length > instance.acts.length) {
    const bigger = new Int32Array(instance.acts.length * 2 + words.length);
    bigger.set(instance.acts);
    instance.acts = bigger;
  }
  for (const w of words) instance.acts[instance.nActs++] = w;
}

/** Throws {@link PluginApiError} unless `id` is this instance's id. */
export function checkId(id: unknown, fn: string): void {
  if (id !== instance.id) {
    throw new PluginApiError(`${fn}: invalid plugin id ${String(id)} (not this plugin's id)`);
  }
}

/** Throws unless `cb` is a function. */
export function checkFn(cb: unknown, fn: string): asserts cb is AnyFn {
  if (typeof cb !== "function") throw new PluginApiError(`${fn}: callback is not a function (${typeof cb})`);
}

/**
 * Asks the emulator something from inside a synchronous call: writes the
 * request, waits for the answer. `args` go to the argument words.
 */
export function request(code: number, args: number[], payload?: (at: number) => void): void {
  if (!instance.inCall) throw new PluginApiError("Guest state is only reachable from synchronous callbacks");
  const ci = instance.ci;
  ci[CTL.OP] = code;
  // Argument words start after the status word, as in calls.
  for (let i = 0; i < args.length; i++) ci[CTL.ARGS + 1 + i] = args[i];
  payload?.(PAYLOAD);
  Atomics.store(ci, CTL.STATE, STATE.REQUEST);
  if (Atomics.load(ci, CTL.EMULATOR_WAITING)) instance.waiter.wake(ci, CTL.STATE);
  let spins = 0;
  while (Atomics.load(ci, CTL.STATE) === STATE.REQUEST) {
    if (++spins < 2000) continue;
    // The emulator wakes this thread after its answer only when it is marked asleep.
    Atomics.store(ci, CTL.SLEEPING, 1);
    if (Atomics.load(ci, CTL.STATE) === STATE.REQUEST) instance.waiter.wait(ci, CTL.STATE, STATE.REQUEST, 100);
    Atomics.store(ci, CTL.SLEEPING, 0);
  }
  if (ci[CTL.ARGS] !== REPLY.OK) {
    const names = Object.entries(REQ).find(([, v]) => v === code)?.[0] ?? code;
    throw new PluginApiError(`Request ${names} failed`);
  }
}

/** Publishes the subscribed events and discontinuity types to the emulator. */
export function publishEvents(): void {
  let ev = 0, discon = 0;
  const on = (list: unknown[], bit: number) => (list.length > 0 ? bit : 0);
  ev |= on(CB.vcpuInit, 1) | on(CB.vcpuExit, 2) | on(CB.tbTrans, 4) | on(CB.syscall, 8) | on(CB.syscallRet, 16);
  ev |= on(CB.syscallFilter, 32) | on(CB.discon, 64) | on(CB.flush, 128) | on(CB.atexit, 256);
  for (const d of CB.discon) discon |= d[2];
  // The emulator sends vCPU init to every instance (scoreboards grow then), and atexit too.
  Atomics.store(instance.ci, CTL.EVENTS, ev);
  Atomics.store(instance.ci, CTL.DISCON_TYPES, discon);
}
