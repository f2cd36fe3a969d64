/**
 * Block registrations on the emulator's side: the words a plugin's
 * translation callback wrote, checked field by field and turned into the
 * actions translated code runs (`jit/plugin_actions.ts`), within the
 * bounds below; and the merge of inline adds that makes per-instruction
 * counting cheap.
 *
 * @module
 */

import {
  actionsToAddTo,
  type ArenaRef,
  type BlockInstrumentation,
  COND,
  type ExecAction,
  isInlineAdd,
  type MemAction,
  NO_ACTIONS,
  sameRef,
} from "../jit/plugin_actions.ts";
import type { TranslationBlock } from "../jit/translator.ts";
import { type Op, OP_INFO } from "../isa/ops_generated.ts";
import { VECTOR_EXTENSIONS } from "../isa/extensions.ts";
import { ACT, ACT_WORDS, DEATH, PAYLOAD, PluginFailure, TAG } from "./channel.ts";
import type { CallReply, PluginInstance } from "./instance.ts";

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
const MAX_REGISTRATIONS_PER_INSN = 16;
/**
 * Most registrations one instance may make in all between two flushes of
 * all translations (a plugin with two per instruction covers 512K
 * translated instructions; sqlite3 translates 50K, lua5.4 25K).
 */
const MAX_REGISTRATIONS = 1 << 20;
/**
 * Most synchronous callbacks registered by all instances since the last
 * flush of all translations (each takes an entry in a table that a flush
 * empties).
 */
export const MAX_SYNC_CALLBACKS = 1 << 22;

/**
 * True for an instruction after which a block may stop early, so that an
 * inline add before a later instruction cannot move across it: a memory
 * access (a fault), `ecall`/`ebreak`/`fence.i`, a CSR access (an illegal
 * CSR traps), an FP operation with a rounding mode (a reserved dynamic
 * mode traps), any vector instruction (a vector load or store faults, and
 * any is illegal under vill or a vtype its register groups do not fit),
 * and an illegal instruction. From the instruction table's properties
 * (`core/isa/rv64gc.decode`).
 */
function mayStop(op: Op | undefined): boolean {
  if (op === undefined) return true;
  const info = OP_INFO[op];
  return info.mem !== undefined || info.flow !== undefined || info.rm || info.args === "csr" || info.args === "csri" ||
    VECTOR_EXTENSIONS.has(info.ext ?? "");
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
    if (k > start && list.some(isInlineAdd)) {
      const head = actionsToAddTo(instr.insn, start);
      const rest = list.filter((a) => {
        if (!isInlineAdd(a)) return true;
        const acc = head.find((h) => isInlineAdd(h) && sameRef(h.ref, a.ref));
        if (acc && acc.kind === "inline") acc.value += a.value;
        else head.push({ ...a });
        return false;
      });
      instr.insn[k] = rest.length > 0 ? rest : NO_ACTIONS;
    }
    if (mayStop(tb.insns[k]?.op)) start = k + 1;
  }
}

/**
 * Turns the registration words instance `inst` wrote in its control block
 * (`reply[1]` of them, after its translation callback) into actions on a
 * block of `n` instructions, checking every field and bound. `addSync`
 * registers a synchronous callback (the plugin's own id `local`) and gives
 * the id translated code calls it with.
 *
 * @throws {PluginFailure} for a malformed registration or one past a limit
 */
export function decodeRegistrations(
  inst: PluginInstance,
  reply: CallReply,
  n: number,
  out: BlockInstrumentation,
  addSync: (local: number, mem: boolean, writes: boolean) => number,
): void {
  const count = reply[1], ci = inst.ci;
  const bad = (what: string) => new PluginFailure(`tb trans callback: malformed registration (${what})`);
  if (count < 0 || PAYLOAD + count > DEATH) throw bad(`${count} words`);
  // A copy: the words are checked and used as they are now.
  const w = ci.slice(PAYLOAD, PAYLOAD + count);
  const k = inst.index;
  const arenaWords = inst.arena.length;
  const ref = (at: number): ArenaRef => {
    const index = w[at], stride = w[at + 1];
    // Both words of vCPU 0's entry in the arena: the WebAssembly tier checks an entry whole.
    if (index < 0 || index > arenaWords - 2 || stride < 0 || stride > 1 << 14) throw bad(`entry ${index}/${stride}`);
    return { arena: k, index, stride };
  };
  const u64 = (at: number) => (BigInt(w[at + 1] >>> 0) << 32n) | BigInt(w[at] >>> 0);
  const sync = (local: number, mem: boolean, writes: boolean): number => {
    if (local < 0) throw bad(`sync id ${local}`);
    return addSync(local, mem, writes);
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
    // Made when an execution action comes: an instruction without one keeps the shared empty list.
    const execList = () => where < 0 ? blockRest : actionsToAddTo(out.insn, where);
    switch (kind) {
      case ACT.INLINE: {
        const op = w[i + 2];
        if (op !== 0 && op !== 1) throw bad(`op ${op}`);
        execList().push({ kind: "inline", op, ref: ref(i + 3), value: u64(i + 5) });
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
        execList().push(cond === COND.ALWAYS ? then : { kind: "cond", cond, ref: ref(i + 3), value: u64(i + 5), then });
        break;
      }
      case ACT.SYNC: {
        const writes = w[i + 3] !== 0 && inst.guestWrite;
        execList().push({ kind: "sync", id: sync(w[i + 2], false, writes) });
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
        actionsToAddTo(out.mem, where).push(action);
        break;
      }
    }
    i += size;
  }
  // The block record goes first: the plugin must know the block before its other records.
  out.block.push(...blockFront, ...blockRest);
}
