/**
 * The plugin core on the emulator's side: the list of instances with their
 * subscribed events, instrumentation of each translated block from the
 * plugins' registrations, dispatch of vCPU events, the hooks translated
 * code calls, and uninstall/reset/unload.
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
import type { VcpuHooks } from "../cpu/vcpu_hooks.ts";
import type { Guest } from "../emulator.ts";
import {
  type ArenaRef,
  type BlockInstrumentation,
  COND,
  type ExecAction,
  type MemAction,
  type PluginHooks,
} from "../jit/plugin_actions.ts";
import type { TranslationBlock } from "../jit/translator.ts";
import { effectiveAddress } from "../jit/runtime.ts";
import type { Log } from "../util/log.ts";
import { printable } from "../util/printable.ts";
import { ACT, ACT_WORDS, ATTN, CTL, DEATH, EV, OP, PAYLOAD, PluginFailure, TAG } from "./channel.ts";
import type { PluginInstance } from "./instance.ts";
import { ACCESS, type CallContext, NO_ACCESS, serveRequest } from "./requests.ts";

/** A plugin error with `-plugin-errors fatal`: plume stops with this message. */
export class PluginFatalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PluginFatalError";
  }
}

const TWO32 = 4294967296;

/**
 * Most registrations one instance may make on one instruction (its
 * execution and memory callbacks and inline operations), and on a block.
 * Ported QEMU plugins make one to three; each becomes code in the
 * translated block (beyond `MAX_INLINE_ACTIONS` a closure call), so
 * without a bound a plugin could make plume's translations as large as it
 * likes (1,000 never-firing synchronous callbacks per block took 984 MiB
 * and 25 s for `busybox echo`). Measured with never-firing synchronous
 * callbacks, `busybox echo hi`: 0.23 s and 72 MB without a plugin, 1.2 s
 * and 91 MB with one per instruction, 2.1 s and 131 MB with 8.
 */
export const MAX_REGISTRATIONS_PER_INSN = 16;
/**
 * Most registrations one instance may make in all between two flushes of
 * all translations (a plugin with two per instruction covers 512K
 * translated instructions; sqlite3 translates 50K, lua5.4 25K).
 */
export const MAX_REGISTRATIONS = 1 << 20;
/**
 * Most synchronous callbacks registered by all instances since the last
 * flush of all translations (each takes an entry in a table that a flush
 * empties).
 */
export const MAX_SYNC_CALLBACKS = 1 << 22;

/**
 * Instructions after which a block may stop early (a fault, a system call,
 * a trap): an inline add before a later instruction cannot move across
 * them.
 */
const MAY_STOP = new Set([
  ..."lb lh lw ld lbu lhu lwu sb sh sw sd flw fld fsw fsd ecall ebreak fence.i".split(" "),
  ..."csrrw csrrs csrrc csrrwi csrrsi csrrci".split(" "),
]);

function mayStop(op: string | undefined): boolean {
  return op === undefined || MAY_STOP.has(op) || op.startsWith("amo") || op.startsWith("lr.") || op.startsWith("sc.");
}

function sameRef(a: ArenaRef, b: ArenaRef): boolean {
  return a.arena === b.arena && a.index === b.index && a.stride === b.stride;
}

/**
 * Merges per-instruction inline adds on the same counter within stretches
 * of instructions that cannot stop the block, into one add at the start of
 * the stretch (the stretch ends with the instruction that may stop it, so
 * a fault there still counts exactly what ran, as the separate adds
 * would). Instructions with conditional or synchronous callbacks, which
 * may look at counters, are left alone. Per-instruction inline counting
 * then costs about one add per memory access instead of one per
 * instruction.
 */
export function mergeInlineAdds(instr: BlockInstrumentation, tb: Pick<TranslationBlock, "insns">): void {
  let start = 0;
  for (let k = 0; k < instr.insn.length; k++) {
    const list = instr.insn[k];
    if (list.some((a) => a.kind === "cond" || a.kind === "sync")) {
      start = k + 1;
      continue;
    }
    if (k > start) {
      const head = instr.insn[start];
      instr.insn[k] = list.filter((a) => {
        if (a.kind !== "inline" || a.op !== 0) return true;
        const acc = head.find((h) => h.kind === "inline" && h.op === 0 && sameRef(h.ref, a.ref));
        if (acc && acc.kind === "inline") acc.value += a.value;
        else head.push({ ...a });
        return false;
      });
    }
    if (mayStop(tb.insns[k]?.op)) start = k + 1;
  }
}

/**
 * The emulator side of all plugin instances.
 *
 * @example
 * ```ts ignore
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
  /**
   * Synchronous callbacks by the id translated code calls them with: the
   * instance, the plugin's own id, whether it is a memory callback and
   * whether it may write guest state. Emptied at the first translation
   * after a flush of all translations (no code holding the old ids can
   * run any more).
   */
  private syncTargets: { inst: PluginInstance; local: number; mem: boolean; writes: boolean }[] = [];
  /** True when all translations were flushed since the sync table was last emptied. */
  private flushedSinceReclaim = false;
  private readonly rings: (PluginInstance | undefined)[] = [];

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
          inst.ring.put5(
            TAG.MEM | id,
            info | (vcpu << 17),
            (baseHi * TWO32 + (baseLo >>> 0) + imm) | 0,
            valueLo,
            valueHi,
          );
        } catch (err) {
          this.failed(inst, err);
        }
      },
      sync: (c, id) => this.syncCall(c, id, false, 0, 0, 0, 0),
      syncMem: (c, id, baseLo, baseHi, imm, info, valueLo, valueHi) =>
        this.syncCall(c, id, true, effectiveAddress(baseLo, baseHi, imm), info, valueLo, valueHi),
      fault: (c, pc) => this.truncate(c, pc, true, undefined),
    };
  }

  /** Adds an instance (in load order). */
  add(inst: PluginInstance): void {
    inst.onAttention = () => this.checkAttention();
    this.instances.push(inst);
    this.rings[inst.index] = inst;
    this.hooks.arenas[inst.index] = inst.arena;
  }

  /** The instrumentation to hand to `createGuest`. */
  instrumentation(): { hooks: PluginHooks; instrument: (tb: TranslationBlock) => BlockInstrumentation | undefined } {
    return { hooks: this.hooks, instrument: (tb) => this.instrument(tb) };
  }

  /** Connects the core to the guest it instruments (for flushes, memory and symbols). */
  attach(guest: Guest): void {
    this.guest = guest;
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
    const guest = this.guest ? { mem: this.guest.proc.mem, symbols: this.guest.symbols } : undefined;
    const ci = inst.call(op, args, payload, (code) => serveRequest(inst.channel.ctl, code, ctx, guest));
    inst.drainText();
    return ci;
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

  /** Instruments a new block: each subscribed instance, in load order, registers its actions. */
  instrument(tb: TranslationBlock): BlockInstrumentation | undefined {
    // A translation happens between blocks: lifecycle completions are safe now, and after a flush
    // no code holding old synchronous callback ids can run again.
    this.completeLifecycle();
    if (this.flushedSinceReclaim) {
      this.flushedSinceReclaim = false;
      this.syncTargets = [];
    }
    let instr: BlockInstrumentation | undefined;
    for (const inst of this.instances) {
      if (!inst.wants(EV.TB_TRANS)) continue;
      instr ??= { block: [], insn: tb.insns.map(() => []), mem: tb.insns.map(() => []) };
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
        this.decodeActions(inst, ci, n, target);
      });
    }
    this.checkAttention();
    if (!instr) return undefined;
    mergeInlineAdds(instr, tb);
    const empty = instr.block.length === 0 && instr.insn.every((l) => l.length === 0) &&
      instr.mem.every((l) => l.length === 0);
    return empty ? undefined : instr;
  }

  /** Turns an instance's registration words into actions, checking every field. */
  private decodeActions(inst: PluginInstance, reply: Int32Array, n: number, out: BlockInstrumentation): void {
    const count = reply[1], ci = inst.ci;
    const bad = (what: string) => new PluginFailure(`tb trans callback: malformed registration (${what})`);
    if (count < 0 || PAYLOAD + count > DEATH) throw bad(`${count} words`);
    // A copy: the words are checked and used as they are now.
    const w = ci.slice(PAYLOAD, PAYLOAD + count);
    const k = inst.index;
    const arenaWords = inst.arena.length;
    const ref = (at: number): ArenaRef => {
      const index = w[at], stride = w[at + 1];
      if (index < 0 || index >= arenaWords || stride < 0 || stride > 1 << 14) throw bad(`entry ${index}/${stride}`);
      return { arena: k, index, stride };
    };
    const u64 = (at: number) => (BigInt(w[at + 1] >>> 0) << 32n) | BigInt(w[at] >>> 0);
    const sync = (local: number, mem: boolean, writes: boolean): number => {
      if (local < 0) throw bad(`sync id ${local}`);
      if (this.syncTargets.length >= MAX_SYNC_CALLBACKS) {
        throw new PluginFailure(
          `tb trans callback: more than ${MAX_SYNC_CALLBACKS} synchronous callbacks since the last flush (limit)`,
        );
      }
      this.syncTargets.push({ inst, local, mem, writes });
      return this.syncTargets.length - 1;
    };
    const blockFront: ExecAction[] = [];
    const blockRest: ExecAction[] = [];
    const perInsn = new Int32Array(n + 1);
    for (let i = 0; i < count;) {
      const kind = w[i], size = ACT_WORDS[kind];
      if (!size || i + size > count) throw bad(`kind ${kind}`);
      const where = w[i + 1];
      if (where < -1 || where >= n || (kind >= ACT.MEM_INLINE && where < 0)) throw bad(`instruction ${where}`);
      if (++inst.registrations > MAX_REGISTRATIONS) {
        throw new PluginFailure(
          `tb trans callback: more than ${MAX_REGISTRATIONS} registrations since the last flush (limit)`,
        );
      }
      if (++perInsn[where + 1] > MAX_REGISTRATIONS_PER_INSN) {
        throw new PluginFailure(
          `tb trans callback: more than ${MAX_REGISTRATIONS_PER_INSN} registrations on ${
            where < 0 ? "one block" : "one instruction"
          } (limit)`,
        );
      }
      const execList = where < 0 ? blockRest : out.insn[where];
      switch (kind) {
        case ACT.INLINE: {
          const op = w[i + 2];
          if (op !== 0 && op !== 1) throw bad(`op ${op}`);
          execList.push({ kind: "inline", op, ref: ref(i + 3), value: u64(i + 5) });
          break;
        }
        case ACT.RECORD:
          if (w[i + 2] < 0 || w[i + 2] >= 1 << 29) throw bad(`block ${w[i + 2]}`);
          blockFront.push({ kind: "record", ring: k, id: TAG.BLOCK | w[i + 2] });
          break;
        case ACT.COND_RECORD:
        case ACT.COND_SYNC: {
          const cond = w[i + 2];
          if (cond < 0 || cond > 7) throw bad(`condition ${cond}`);
          // As QEMU: a NEVER callback costs nothing, an ALWAYS one is unconditional.
          if (cond === COND.NEVER) break;
          const writes = kind === ACT.COND_SYNC && w[i + 8] !== 0 && inst.guestWrite;
          const then: ExecAction = kind === ACT.COND_RECORD
            ? { kind: "record", ring: k, id: TAG.COND | (w[i + 7] & ((1 << 29) - 1)) }
            : { kind: "sync", id: sync(w[i + 7], false, writes) };
          execList.push(cond === COND.ALWAYS ? then : { kind: "cond", cond, ref: ref(i + 3), value: u64(i + 5), then });
          break;
        }
        case ACT.SYNC: {
          const writes = w[i + 3] !== 0 && inst.guestWrite;
          execList.push({ kind: "sync", id: sync(w[i + 2], false, writes) });
          break;
        }
        case ACT.MEM_INLINE:
        case ACT.MEM_RECORD:
        case ACT.MEM_SYNC: {
          const rw = w[i + 2];
          if (rw < 1 || rw > 3) throw bad(`memory filter ${rw}`);
          let action: MemAction;
          if (kind === ACT.MEM_INLINE) {
            const op = w[i + 3];
            if (op !== 0 && op !== 1) throw bad(`op ${op}`);
            action = { rw, kind: "inline", op, ref: ref(i + 4), value: u64(i + 6) };
          } else if (kind === ACT.MEM_RECORD) {
            action = { rw, kind: "record", ring: k, id: w[i + 3] & ((1 << 29) - 1) };
          } else {
            const writes = w[i + 4] !== 0 && inst.guestWrite;
            action = { rw, kind: "sync", id: sync(w[i + 3], true, writes) };
          }
          out.mem[where].push(action);
          break;
        }
      }
      i += size;
    }
    // The block record goes first: the plugin must know the block before its other records.
    out.block.push(...blockFront, ...blockRest);
  }

  // ------------------------------------------------------------ execution hooks

  private syncCall(c: Cpu, id: number, mem: boolean, addr: number, info: number, lo: number, hi: number): boolean {
    const target = this.syncTargets[id];
    if (target === undefined || !target.inst.alive) return false;
    const { inst, local, writes } = target;
    const pc = c.pc;
    const ctx: CallContext = { access: writes ? ACCESS.WRITE : ACCESS.READ, cpu: c, setPc: writes };
    const ci = this.guard(inst, () => {
      const ci = mem
        ? this.callOn(inst, ctx, OP.MEM, [local, c.vcpuIndex, addr | 0, info, lo, hi])
        : this.callOn(inst, ctx, OP.EXEC, [local, c.vcpuIndex, pc | 0]);
      if (ci[1] !== 0 && !ctx.setPc) {
        throw new PluginFailure(
          `${mem ? "mem" : "exec"} callback: the plugin changed the pc from a callback without QEMU_PLUGIN_CB_RW_REGS`,
        );
      }
      return ci;
    });
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
    this.completeLifecycle();
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
    this.shutdown();
  }

  /** Stops every sandbox, keeping their last output. */
  shutdown(): void {
    for (const inst of this.instances) {
      inst.drainText();
      inst.alive = false;
      this.rings[inst.index] = undefined;
      inst.process.kill();
    }
  }
}
