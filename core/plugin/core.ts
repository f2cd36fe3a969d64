/**
 * The plugin core on the emulator's side: the list of instances with their
 * subscribed events, the translation call that instruments each new block
 * (the registrations it returns are decoded by `registrations.ts`),
 * dispatch of vCPU events, the hooks translated code calls, and
 * uninstall/reset/unload.
 *
 * Error policy, stated once: anything a plugin does wrong (throws, stalls
 * past the watchdog, runs out of memory, sends malformed registrations)
 * surfaces here as a {@link PluginFailure}; the instance is unloaded with
 * one message naming it and the callback, its instrumentation is dropped
 * by flushing translations, and the guest goes on — unless plugin errors
 * were made fatal, then plume stops with {@link PluginFatalError}.
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import { VLENB } from "../cpu/vector_state.ts";
import type { VcpuHooks } from "../cpu/vcpu_hooks.ts";
import type { Guest } from "../emulator.ts";
import { type BlockInstrumentation, NO_ACTIONS, type PluginHooks } from "../jit/plugin_actions.ts";
import type { TranslationBlock } from "../jit/translator.ts";
import { effectiveAddress } from "../jit/runtime.ts";
import type { Log } from "../util/log.ts";
import { printable } from "../util/printable.ts";
import { ATTN, CTL, EV, LAYOUT, memRecordWords, OP, PAYLOAD, PluginFailure, REGS, REQ, TAG } from "./channel.ts";
import { replayFigures, statsLine } from "./plugin_stats.ts";
import type { CallReply, PluginInstance } from "./instance.ts";
import { os } from "./sandbox/os.ts";
import { ACCESS, type CallContext, NO_ACCESS, serveRequest, snapshotRegisters } from "./requests.ts";
import { decodeRegistrations, MAX_SYNC_CALLBACKS, mergeInlineAdds } from "./registrations.ts";

/**
 * Synchronous callbacks registered since the last flush after which the
 * next translation flushes first ({@link PluginCore.overBudget}). Never-true
 * conditional ones took about 4 KB of plume's memory each (a busybox shell
 * running nine applets under 16 per instruction: 1.0 GB of peak RSS, 574 MB
 * with a flush every 128K): 32K keep it near 130 MB more; a plugin with one per
 * instruction is flushed every 32K translated instructions (Python's
 * start-up translates 160K, lua5.4's 22K).
 */
const SYNC_CALLBACKS_BEFORE_FLUSH = 1 << 15;
/** Resets from translation callbacks at consecutive translations that end a plugin (`endResetLoops`). */
const RESETS_IN_A_ROW = 2;

/** A plugin error with `-plugin-errors fatal`: plume stops with this message. */
export class PluginFatalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PluginFatalError";
  }
}

const TWO32 = 4294967296;

/** Where a synchronous callback's id leads: the instance, its own number there, and the rights of its calls. */
interface SyncTarget {
  readonly inst: PluginInstance;
  readonly local: number;
  readonly mem: boolean;
  readonly writes: boolean;
  /** The calls' context, made once: only its vCPU changes from call to call. */
  readonly ctx: CallContext;
}

function syncTarget(inst: PluginInstance, local: number, mem: boolean, writes: boolean): SyncTarget {
  return { inst, local, mem, writes, ctx: { access: writes ? ACCESS.WRITE : ACCESS.READ, setPc: writes } };
}

/** Maps the `bytes` of the shared mapping at `address` a second time at `target`; false where it cannot be. */
function mapAgain(address: number, bytes: number, target: number): boolean {
  try {
    return os().alias(address, bytes, target);
  } catch {
    return false; // no FFI here
  }
}

/**
 * The emulator side of all plugin instances.
 *
 * @example
 * ```ts
 * import { PluginCore } from "./core.ts";
 * import { createGuest, type GuestConfig } from "../emulator.ts";
 * import type { Log } from "../util/log.ts";
 * declare const log: Log, cfg: GuestConfig;
 * const core = new PluginCore(log, false);
 * const guest = createGuest({ ...cfg, instrumentation: core.instrumentation(), vcpuHooks: core });
 * core.attach(guest);
 * ```
 */
export class PluginCore implements VcpuHooks {
  /** Instances in load order. */
  readonly instances: PluginInstance[] = [];
  /** What translated code calls. */
  readonly hooks: PluginHooks;
  private guest: Guest | undefined;
  /** vCPUs by index. */
  private readonly cpus: Cpu[] = [];
  /** When the first vCPU started (`performance.now()`), for `-d plugin_stats`. */
  private runStartedAt: number | undefined;
  /**
   * Synchronous callbacks by the id translated code calls them with: the
   * instance, the plugin's own id, whether it is a memory callback and
   * whether it may write guest state. Emptied at the first translation
   * after a flush of all translations (no code holding the old ids can
   * run any more).
   */
  private syncTargets: (SyncTarget | undefined)[] = [];
  /** True when all translations were flushed since the sync table was last emptied. */
  private flushedSinceReclaim = false;
  private readonly rings: (PluginInstance | undefined)[] = [];
  /**
   * The cores of the processes forked from the first one, shared by all of
   * them: the run's end stops the plugin processes of those still running.
   */
  private family = new Set<PluginCore>();
  /** True for the core of a forked process: its process's end runs its atexit callbacks. */
  private forked = false;
  /**
   * The copies of each plugin (by load-order index) that follow forked
   * processes now, shared by the whole family, and the plugins already told
   * that they reached {@link maxForks}.
   */
  private copies = { live: [] as number[], told: new Set<number>() };
  /** The plugins (load-order indexes) this forked process's core counts in {@link copies} until it stops. */
  private counted: number[] = [];

  /**
   * @param log where messages and plugin output go
   * @param fatal true with `-plugin-errors fatal`
   */
  constructor(private readonly log: Log, private readonly fatal: boolean) {
    const rings = this.rings;
    const arenas: Int32Array[] = [];
    this.hooks = {
      arenas,
      // The two hot paths: no closure, no allocation; a full ring waits inside put*.
      record: (ring, id, vcpu) => {
        const inst = rings[ring];
        if (inst === undefined) return;
        try {
          inst.ring.put2(id, vcpu);
        } catch (err) {
          this.failed(inst, err);
        }
      },
      memRecord: (ring, id, vcpu, baseLo, baseHi, imm, info, valueLo, valueHi) => {
        const inst = rings[ring];
        if (inst === undefined) return;
        try {
          const address = (baseHi * TWO32 + (baseLo >>> 0) + imm) | 0;
          if (memRecordWords(info) === 4) inst.ring.put4(TAG.MEM | id, info | (vcpu << 17), address, valueLo);
          else inst.ring.put5(TAG.MEM | id, info | (vcpu << 17), address, valueLo, valueHi);
        } catch (err) {
          this.failed(inst, err);
        }
      },
      sync: (c, id) => this.syncCall(c, id, false, 0, 0, 0, 0),
      syncMem: (c, id, baseLo, baseHi, imm, info, valueLo, valueHi) =>
        this.syncCall(c, id, true, effectiveAddress(baseLo, baseHi, imm), info, valueLo, valueHi),
      fault: (c, pc) => this.truncate(c, pc, true, undefined),
      shareBatch: (ring, store, window) => {
        const inst = rings[ring];
        if (inst === undefined) return false;
        const at = inst.channel.ringAddress, bytes = LAYOUT.text - LAYOUT.ring;
        // Where the ring cannot be mapped (no FFI here), batches are copied by JavaScript.
        const mapped = window !== undefined && at !== undefined && bytes <= window.bytes &&
          mapAgain(at, bytes, window.address);
        inst.ring.moveBatch(store, mapped ? (to, from, words) => window!.copy(to, from, words) : undefined);
        return true;
      },
      publishBatch: (ring) => {
        const inst = rings[ring];
        if (inst === undefined) return;
        try {
          inst.ring.publish();
        } catch (err) {
          this.failed(inst, err);
        }
      },
      shareArena: (arena, target, bytes) => {
        const inst = this.instances.find((i) => i.index === arena);
        const at = inst?.channel.arenaAddress;
        // Where it cannot be mapped (no FFI here), the arena stays JavaScript's only.
        return at !== undefined && inst!.arena.byteLength === bytes && mapAgain(at, bytes, target);
      },
    };
  }

  /**
   * The most forked processes each plugin follows at once (`-plugin-forks`):
   * a copy is a host process, and a fork bomb would make one per guest
   * process. A process forked beyond it runs without that plugin, and the
   * first time this happens one line says so.
   */
  maxForks = 64;

  /** Adds an instance (in load order). */
  add(inst: PluginInstance): void {
    inst.onAttention = () => this.checkAttention();
    inst.keepsStats = this.log.on("plugin_stats");
    // Which registers the plugin's side lists: V's only in a run with V.
    inst.regs[REGS.VLENB] = this.vector ? VLENB : 0;
    this.instances.push(inst);
    this.rings[inst.index] = inst;
    this.hooks.arenas[inst.index] = inst.arena;
  }

  /** The instrumentation to hand to `createGuest`. */
  instrumentation(): {
    hooks: PluginHooks;
    instrument: (tb: TranslationBlock) => BlockInstrumentation | undefined;
    overBudget: () => boolean;
    watchesTranslation: () => boolean;
  } {
    return {
      hooks: this.hooks,
      instrument: (tb) => this.instrument(tb),
      overBudget: () => this.overBudget(),
      watchesTranslation: () => this.watchesTranslation(),
    };
  }

  /** Connects the core to the guest it instruments (for flushes, memory and symbols). */
  attach(guest: Guest): void {
    this.guest = guest;
    this.vector = guest.proc.extensions.has("v");
    for (const inst of this.instances) inst.regs[REGS.VLENB] = this.vector ? VLENB : 0;
  }

  /** Whether the guest has V (its registers are the plugins' to read): set by {@link attach}, kept by forks. */
  private vector = false;

  // ------------------------------------------------------------ fork

  /**
   * The guest forked (`fork`, `vfork`, a `clone` of a process): each
   * plugin's process copies itself, with its plugin's state as it is now
   * (everything streamed before is replayed first), for the child, whose
   * core this returns, its one vCPU `cpu`, as QEMU's user mode forks with
   * its plugins. The copies keep their load-order index, id, grants and
   * watchdog; the child's translations may be the parent's
   * ({@link inheritsTranslations}): synchronous callbacks keep their ids,
   * streamed blocks their numbers in the plugin's copy. A plugin that
   * cannot be copied is named in one line and the child runs without it.
   * The child's first event, when it first runs, is the return of system
   * call `num` (the one that made it) with 0, as in QEMU. Undefined when no
   * plugin is left to follow the child.
   */
  fork(cpu: Cpu, num: number): PluginCore | undefined {
    const copy = new PluginCore(this.log, this.fatal);
    copy.family = this.family;
    copy.forked = true;
    copy.copies = this.copies;
    copy.maxForks = this.maxForks;
    copy.vector = this.vector;
    let complete = true;
    for (const inst of this.instances) {
      if (!inst.alive) continue;
      if ((this.copies.live[inst.index] ?? 0) >= this.maxForks) {
        complete = false;
        if (!this.copies.told.has(inst.index)) {
          this.copies.told.add(inst.index);
          this.log.error(
            `plume: plugin '${printable(inst.name)}' (#${inst.index + 1}): it follows ${this.maxForks} forked ` +
              `processes already (-plugin-forks ${this.maxForks}); processes forked while that lasts run without it, ` +
              `the guest goes on\n`,
          );
        }
        continue;
      }
      // The child's pid (its one thread's id) goes to the copy, for `QemuInfo.pid`.
      const reply = this.guard(inst, () => this.callOn(inst, NO_ACCESS, OP.FORK, [cpu.tid]));
      if (reply === undefined || !inst.alive) {
        // A copy the plugin's process made before its call failed is one plume was never told of.
        inst.process.endStrays?.();
        complete = false;
        continue;
      }
      try {
        if (reply[1] === 0 || inst.process.forked === undefined) {
          throw new PluginFailure("fork: the plugin's process cannot copy itself here");
        }
        copy.add(inst.forkedCopy(inst.process.forked(reply[1], reply[2], reply[3])));
        this.copies.live[inst.index] = (this.copies.live[inst.index] ?? 0) + 1;
        copy.counted.push(inst.index);
      } catch (err) {
        if (!(err instanceof PluginFailure)) throw err;
        // Refused: the copy the reply should have named, if one was made, is not plume's to follow.
        inst.process.endStrays?.();
        complete = false;
        const message = `plugin '${printable(inst.name)}' (#${inst.index + 1}): ${printable(err.message)}`;
        if (this.fatal) throw new PluginFatalError(message);
        this.log.error(`plume: ${message}; the forked process runs without it, the guest goes on\n`);
      }
    }
    if (copy.instances.length === 0) return undefined;
    copy.inheritsTranslations = complete;
    copy.syncTargets = this.syncTargets.map((t) =>
      t && copy.rings[t.inst.index] && syncTarget(copy.rings[t.inst.index]!, t.local, t.mem, t.writes)
    );
    copy.flushedSinceReclaim = this.flushedSinceReclaim;
    copy.cpus[cpu.vcpuIndex] = cpu;
    copy.starting = [...copy.instances];
    copy.forkReturn = { cpu, num };
    this.family.add(copy);
    return copy;
  }

  /** Instances of a forked process whose copies may not serve their channels yet (looked at before any call). */
  private starting: PluginInstance[] = [];
  /** The system call that made a forked process: its return is the child's first event, with 0. */
  private forkReturn: { cpu: Cpu; num: number } | undefined;

  /** Waits for the copies made for this forked process to serve their channels (a copy that does not fails). */
  private copiesReady(): void {
    const starting = this.starting;
    this.starting = [];
    for (const inst of starting) this.guard(inst, () => inst.process.ready?.(inst.watchdogMs));
  }

  /**
   * True when the forked process this core is for may start with its
   * parent's translations: every plugin of the parent followed it, so that
   * their instrumentation means the same in the child.
   */
  inheritsTranslations = false;

  /**
   * The process this core is for ended: atexit callbacks when it exited,
   * none when a signal killed it or a host program took its place with
   * `execve` (QEMU's plugins end with the image `execve` replaces).
   */
  private processEnded(): void {
    const proc = this.guest?.proc;
    if (!this.forked || proc === undefined || (proc.exitStatus === null && proc.hostProgram === undefined)) return;
    this.family.delete(this);
    if (proc.exitStatus !== null && proc.killedBy === 0) this.atexit(proc.exitStatus);
    else this.shutdown();
  }

  /**
   * Between slices and while the guest waits (`VcpuHooks.housekeeping`):
   * plume looks for copies of plugins' processes it did not ask for (at
   * most every 100 ms: `PluginProcess.strays`), ends them, and unloads a
   * plugin that made any, in every process that runs it.
   */
  housekeeping(): void {
    for (const inst of this.instances) {
      const strays = inst.process.strays?.() ?? 0;
      if (inst.alive && strays > 0) {
        this.unload(inst, `its process made copies of itself that plume did not ask for (${strays} ended)`);
      }
    }
  }

  // ------------------------------------------------------------ failures

  /** Handles what a call into `inst` threw: a plugin failure unloads it; anything else is a bug of plume. */
  private failed(inst: PluginInstance, err: unknown): void {
    if (!(err instanceof PluginFailure)) throw err;
    this.unload(inst, err.message);
  }

  /** Runs `body` for `inst`; a failure unloads the instance (or stops plume when fatal). */
  private guard<T>(inst: PluginInstance, body: () => T): T | undefined {
    try {
      return body();
    } catch (err) {
      if (!(err instanceof PluginFailure)) throw err;
      this.unload(inst, err.message);
      return undefined;
    }
  }

  /** Unloads a failed instance with a message naming it and what it was doing. */
  unload(inst: PluginInstance, why: string): void {
    if (!inst.alive) return;
    inst.drainText();
    // The reason carries the plugin's own text: escaped, it cannot forge a line of plume's.
    const message = `plugin '${printable(inst.name)}' (#${inst.index + 1}): ${printable(why)}`;
    this.retire(inst);
    if (this.fatal) throw new PluginFatalError(message);
    this.log.error(`plume: ${message}; plugin unloaded, the guest goes on\n`);
  }

  /** Removes an instance: no callback of it runs again; its instrumentation is flushed. */
  private retire(inst: PluginInstance): void {
    inst.alive = false;
    this.rings[inst.index] = undefined;
    inst.process.kill();
    this.flushTranslations();
  }

  private flushTranslations(): void {
    // The cache tells the plugins (onFlush, wired in createGuest).
    this.guest?.cache.flush();
  }

  // ------------------------------------------------------------ uninstall and reset

  /** Notices uninstall/reset requests: their instrumentation is flushed now, completion waits for a block boundary. */
  private checkAttention(): void {
    let flush = false;
    for (const inst of this.instances) {
      if (!inst.alive || inst.completionDue) continue;
      if (Atomics.load(inst.ci, CTL.ATTENTION) & (ATTN.UNINSTALL | ATTN.RESET)) {
        inst.completionDue = true;
        flush = true;
      }
    }
    // Safe even inside a block: the running code finishes, nothing of it runs again.
    if (flush) this.flushTranslations();
  }

  /**
   * At a block boundary (no translated code of the flushed generation runs
   * any more): runs due completion callbacks; an uninstalled instance is
   * then gone.
   */
  private completeLifecycle(): void {
    this.checkAttention();
    for (const inst of this.instances) {
      if (!inst.alive || !inst.completionDue) continue;
      const attn = Atomics.load(inst.ci, CTL.ATTENTION);
      inst.completionDue = false;
      Atomics.store(inst.ci, CTL.ATTENTION, 0);
      this.guard(inst, () => this.callOn(inst, NO_ACCESS, OP.COMPLETE, []));
      // A reset asked for while a reset completes is dropped, as the plugin's runtime drops qemu_plugin_reset there
      // (an uninstall stays): written into the word directly, it flushed every translation at every completion, out
      // of endResetLoops's reach (each request a completion's), and no block ever ran instrumented.
      if (attn & ATTN.RESET) Atomics.and(inst.ci, CTL.ATTENTION, ~ATTN.RESET);
      inst.drainText();
      if (inst.alive && (attn & ATTN.UNINSTALL)) {
        inst.alive = false;
        this.rings[inst.index] = undefined;
        inst.process.kill();
      }
    }
  }

  // ------------------------------------------------------------ calls

  /** Makes a call to `inst` with the rights `ctx`, serving its requests; drains its output afterwards. */
  private callOn(inst: PluginInstance, ctx: CallContext, op: number, args: number[], payload?: () => void) {
    if (this.starting.length !== 0) this.copiesReady();
    // Callbacks that may read registers read them from the snapshot, once the plugin has shown it reads any (its
    // first read is a request): no second round trip.
    const cpu = ctx.access >= ACCESS.READ ? ctx.cpu : undefined;
    if (cpu && inst.readsRegisters) snapshotRegisters(inst.regs, cpu);
    try {
      return inst.call(op, args, payload, (code) => {
        const guest = this.guest
          ? { mem: this.guest.proc.mem, symbols: this.guest.symbols, vector: this.vector }
          : undefined;
        const served = serveRequest(inst.channel.ctl, code, ctx, guest);
        if (cpu && served && code === REQ.READ_REG && !inst.readsRegisters) {
          inst.readsRegisters = true;
          snapshotRegisters(inst.regs, cpu);
        }
        // A register the callback wrote reads back as written.
        if (cpu && inst.readsRegisters && code === REQ.WRITE_REG) snapshotRegisters(inst.regs, cpu);
        return served;
      });
    } finally {
      if (cpu) Atomics.store(inst.regs, REGS.VALID, 0);
      inst.drainText();
    }
  }

  /**
   * The rights of a vCPU event's callbacks (vCPU init and exit, system
   * calls, discontinuities): reading guest state, and writing it with the
   * `guest=write` grant.
   */
  private static vcpuEvent(cpu: Cpu, inst: PluginInstance): CallContext {
    return { access: inst.guestWrite ? ACCESS.WRITE : ACCESS.READ, cpu, setPc: false };
  }

  // ------------------------------------------------------------ translation

  /**
   * Whether a new block must go through {@link instrument}: an instance
   * subscribes to translations, or an uninstall, a reset or the reclaim
   * after a flush waits for a translation to be done. Otherwise
   * translating reaches no plugin, and the block is decoded and run by the
   * WebAssembly interpreter alone, as without plugins (a plugin of system
   * calls or discontinuities only): `python3.13 -c pass` with `-L` under
   * the built-in `syscall` plugin took 1.67 s against 1.22 s without it;
   * 1.41 s so (2026-12-07, medians of 3). A plugin that subscribes later
   * sees the blocks translated from then on, as in QEMU.
   */
  watchesTranslation(): boolean {
    if (this.flushedSinceReclaim) return true;
    for (const inst of this.instances) {
      if (!inst.alive) continue;
      if (inst.completionDue || inst.wants(EV.TB_TRANS)) return true;
      if (Atomics.load(inst.ci, CTL.ATTENTION) & (ATTN.UNINSTALL | ATTN.RESET)) return true;
    }
    return false;
  }

  /** Instruments a new block: each subscribed instance, in load order, registers its actions. */
  instrument(tb: TranslationBlock): BlockInstrumentation | undefined {
    // A translation happens between blocks: lifecycle completions are safe now, and after a flush
    // no code holding old synchronous callback ids can run again.
    this.completeLifecycle();
    // What completion callbacks asked for is theirs, not this translation's (endResetLoops counts the latter).
    this.checkAttention();
    const dueBefore = this.instances.filter((inst) => inst.completionDue);
    if (this.flushedSinceReclaim) {
      this.flushedSinceReclaim = false;
      this.syncTargets = [];
    }
    let instr: BlockInstrumentation | undefined;
    for (const inst of this.instances) {
      if (!inst.wants(EV.TB_TRANS)) continue;
      instr ??= { block: [], insn: tb.insns.map(() => NO_ACTIONS), mem: tb.insns.map(() => NO_ACTIONS) };
      const target = instr;
      this.guard(inst, () => {
        const n = tb.insns.length;
        const ctx: CallContext = { access: ACCESS.NONE, tb, setPc: false };
        const ci = this.callOn(inst, ctx, OP.TB_TRANS, [tb.pc | 0, n], () => {
          for (let k = 0; k < n; k++) {
            inst.ci[PAYLOAD + 3 * k] = tb.pcs[k] | 0;
            inst.ci[PAYLOAD + 3 * k + 1] = tb.raws[k] | 0;
            inst.ci[PAYLOAD + 3 * k + 2] = tb.insns[k]?.size ?? ((tb.raws[k] & 3) === 3 ? 4 : 2);
          }
        });
        decodeRegistrations(inst, ci, n, target, (local, mem, writes) => {
          if (this.syncTargets.length >= MAX_SYNC_CALLBACKS) {
            throw new PluginFailure(
              `tb trans callback: more than ${MAX_SYNC_CALLBACKS} synchronous callbacks since the last flush (limit)`,
            );
          }
          this.syncTargets.push(syncTarget(inst, local, mem, writes));
          return this.syncTargets.length - 1;
        });
      });
    }
    this.checkAttention();
    this.endResetLoops(tb, dueBefore);
    if (!instr) return undefined;
    mergeInlineAdds(instr, tb);
    const empty = instr.block.length === 0 && instr.insn.every((l) => l.length === 0) &&
      instr.mem.every((l) => l.length === 0);
    return empty ? undefined : instr;
  }

  /**
   * A reset asked for by a translation callback flushes every translation,
   * the block being translated with it, which is then translated again. A
   * plugin that resets at that translation too would never let the block run
   * instrumented, nor any other plugin's instrumentation of it, each call
   * answered at once (out of the watchdog's reach): the second reset in a
   * row ends it. (One in a while is QEMU's own use of a reset.) Only requests
   * the translation callbacks made count: not one a completion callback made
   * just before them (`dueBefore`), such as an uninstall after a reset.
   */
  private endResetLoops(tb: TranslationBlock, dueBefore: readonly PluginInstance[]): void {
    for (const inst of this.instances) {
      if (!inst.alive) continue;
      if (!inst.completionDue || dueBefore.includes(inst)) {
        inst.resetsInARow = 0;
        continue;
      }
      if (++inst.resetsInARow < RESETS_IN_A_ROW) continue;
      this.unload(
        inst,
        `tb trans callback: qemu_plugin_reset at ${RESETS_IN_A_ROW} translations of the block at 0x${
          (tb.pc >>> 0).toString(16)
        } in a row (a reset flushes the block being translated: it would never run)`,
      );
    }
  }

  // ------------------------------------------------------------ execution hooks

  private syncCall(c: Cpu, id: number, mem: boolean, addr: number, info: number, lo: number, hi: number): boolean {
    const target = this.syncTargets[id];
    if (target === undefined || !target.inst.alive) return false;
    const { inst, local, ctx } = target;
    const pc = c.pc;
    ctx.cpu = c;
    // As `guard`, written out: this runs at every synchronous callback, and allocates nothing it need not.
    let ci: CallReply | undefined;
    try {
      ci = mem
        ? this.callOn(inst, ctx, OP.MEM, [local, c.vcpuIndex, addr | 0, info, lo, hi])
        : this.callOn(inst, ctx, OP.EXEC, [local, c.vcpuIndex, pc | 0]);
      if (ci[1] !== 0 && !ctx.setPc) {
        throw new PluginFailure(
          `${mem ? "mem" : "exec"} callback: the plugin changed the pc from a callback without QEMU_PLUGIN_CB_RW_REGS`,
        );
      }
    } catch (err) {
      if (!(err instanceof PluginFailure)) throw err;
      this.unload(inst, err.message);
      ci = undefined;
    }
    this.checkAttention();
    if (!ci || ci[1] === 0) return false;
    c.pc = ci[2] >>> 0;
    // The rest of the block does not run: other plugins' streamed replays stop here too.
    this.truncate(c, pc, mem, inst);
    return true;
  }

  /** Tells streaming instances (but `except`) that the block running on `c` stopped at `pc`. */
  private truncate(c: Cpu, pc: number, inclusive: boolean, except: PluginInstance | undefined): void {
    for (const inst of this.instances) {
      if (inst === except || this.rings[inst.index] === undefined) continue;
      this.guard(inst, () => inst.ring.put3(TAG.TRUNC | (inclusive ? 1 : 0), c.vcpuIndex, pc | 0));
    }
  }

  // ------------------------------------------------------------ vCPU events

  /** Publishes every ring and moves plugin output to the log (at system calls and exit). */
  private sync(): void {
    for (const inst of this.instances) {
      if (!inst.alive) continue;
      this.guard(inst, () => {
        inst.ring.publish();
        inst.checkAlive();
      });
      inst.drainText();
    }
  }

  vcpuInit(cpu: Cpu): void {
    // A forked process's vCPU was announced in its parent, as in QEMU, whose child goes on with it
    // from the system call that made it.
    if (this.cpus[cpu.vcpuIndex] === cpu) {
      const from = this.forkReturn;
      this.forkReturn = undefined;
      if (from?.cpu === cpu) this.syscallRet(cpu, from.num, 0n);
      return;
    }
    this.completeLifecycle();
    this.runStartedAt ??= performance.now();
    this.cpus[cpu.vcpuIndex] = cpu;
    let relayout = false;
    for (const inst of this.instances) {
      Atomics.store(inst.ci, CTL.NUM_VCPUS, this.cpus.length);
      if (!inst.alive) continue;
      const ci = this.guard(
        inst,
        () => this.callOn(inst, PluginCore.vcpuEvent(cpu, inst), OP.VCPU_INIT, [cpu.vcpuIndex]),
      );
      if (ci && ci[1] === 1) relayout = true;
    }
    // Scoreboards moved to make room for the new vCPU: inline operations must be recompiled.
    if (relayout) this.flushTranslations();
  }

  vcpuExit(cpu: Cpu): void {
    for (const inst of this.instances) {
      if (inst.wants(EV.VCPU_EXIT)) {
        this.guard(inst, () => this.callOn(inst, PluginCore.vcpuEvent(cpu, inst), OP.VCPU_EXIT, [cpu.vcpuIndex]));
      }
    }
    // A process's end takes its vCPUs away: a forked one's plugins report then.
    this.processEnded();
  }

  syscall(cpu: Cpu, num: number, args: readonly bigint[]): bigint | undefined {
    this.completeLifecycle();
    this.sync();
    let filtered: bigint | undefined;
    for (const inst of this.instances) {
      const filters = filtered === undefined && inst.guestWrite && inst.wants(EV.SYSCALL_FILTER);
      if (!inst.wants(EV.SYSCALL) && !filters) continue;
      const words = [cpu.vcpuIndex, num | 0, Math.floor(num / TWO32) | 0];
      for (let i = 0; i < 8; i++) {
        const v = BigInt.asUintN(64, args[i] ?? 0n);
        words.push(Number(BigInt.asIntN(32, v)), Number(BigInt.asIntN(32, v >> 32n)));
      }
      words.push(filters ? 1 : 0);
      const ci = this.guard(inst, () => {
        const ci = this.callOn(inst, PluginCore.vcpuEvent(cpu, inst), OP.SYSCALL, words);
        if (ci[1] !== 0 && !(filters && inst.guestWrite)) {
          throw new PluginFailure(
            "syscall callback: the plugin filtered a system call without -plugin-allow guest=write",
          );
        }
        return ci;
      });
      if (ci && ci[1] !== 0) {
        filtered = BigInt.asIntN(64, (BigInt(ci[3] >>> 0) << 32n) | BigInt(ci[2] >>> 0));
      }
    }
    this.checkAttention();
    return filtered;
  }

  syscallRet(cpu: Cpu, num: number, ret: bigint): void {
    for (const inst of this.instances) {
      if (!inst.wants(EV.SYSCALL_RET)) continue;
      const v = BigInt.asUintN(64, ret);
      this.guard(inst, () =>
        this.callOn(inst, PluginCore.vcpuEvent(cpu, inst), OP.SYSCALL_RET, [
          cpu.vcpuIndex,
          num | 0,
          Math.floor(num / TWO32) | 0,
          Number(BigInt.asIntN(32, v)),
          Number(BigInt.asIntN(32, v >> 32n)),
        ]));
    }
    this.checkAttention();
  }

  discon(cpu: Cpu, type: number, fromPc: number, toPc: number): void {
    for (const inst of this.instances) {
      if (!inst.wants(EV.DISCON) || (Atomics.load(inst.ci, CTL.DISCON_TYPES) & type) === 0) continue;
      this.guard(
        inst,
        () =>
          this.callOn(inst, PluginCore.vcpuEvent(cpu, inst), OP.DISCON, [cpu.vcpuIndex, type, fromPc | 0, toPc | 0]),
      );
    }
  }

  /**
   * Whether the synchronous callbacks registered since the last flush are
   * so many that the next translation should flush every translation
   * first (`TbCache.overBudget`), as the translation budget does: each costs
   * plume code in its block and an entry in a table, and a plugin
   * registering never-true conditional ones, within every other bound, made
   * plume itself hold 1.1 GB per instance (3.9 GB with four).
   */
  overBudget(): boolean {
    return !this.flushedSinceReclaim && this.syncTargets.length >= SYNC_CALLBACKS_BEFORE_FLUSH;
  }

  flush(): void {
    this.flushedSinceReclaim = true;
    for (const inst of this.instances) inst.registrations = 0;
    for (const inst of this.instances) {
      if (inst.wants(EV.FLUSH)) this.guard(inst, () => this.callOn(inst, NO_ACCESS, OP.FLUSH, []));
    }
  }

  atexit(_status: number): void {
    this.completeLifecycle();
    for (const inst of this.instances) {
      if (!inst.alive) continue;
      // Every streamed event is delivered before atexit: the call drains the ring first.
      this.guard(inst, () => this.callOn(inst, NO_ACCESS, OP.ATEXIT, []));
    }
    if (this.log.on("plugin_stats")) this.printStats();
    this.shutdown();
  }

  /** `-d plugin_stats`: a line per plugin still loaded. */
  private printStats(): void {
    const runMs = this.runStartedAt === undefined ? 0 : performance.now() - this.runStartedAt;
    for (const inst of this.instances) {
      if (!inst.alive) continue;
      const { ringMs, callMs, calls, requests } = inst.waited;
      const line = statsLine(printable(inst.name), {
        ...replayFigures(inst.channel.ctl),
        ringMs,
        callMs,
        calls,
        requests,
        runMs,
      });
      this.log.write(line);
    }
  }

  /**
   * Stops every sandbox, keeping their last output; the first process's
   * core also those of forked processes still running (the run is over).
   */
  shutdown(): void {
    if (!this.forked) {
      for (const copy of this.family) copy.shutdown();
      this.family.clear();
    }
    for (const index of this.counted) this.copies.live[index]--;
    this.counted = [];
    for (const inst of this.instances) {
      inst.drainText();
      inst.alive = false;
      this.rings[inst.index] = undefined;
      inst.process.kill();
    }
  }
}
