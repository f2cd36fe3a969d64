/**
 * Regions: several hot blocks compiled into one JavaScript function.
 *
 * Dispatching from block to block through the CPU loop costs about 13 ns per
 * block (measured on the `memstr` guest program: 157 M blocks in 2.08 s),
 * more than a short block's own work. A region puts a hot block and the
 * translated blocks reachable from it by direct jumps, branches, calls and
 * returns into one function: `for (;;) switch (b) { case 0: … }`, where a
 * jump inside the region is `b = k; continue` and guest registers stay in
 * locals across the whole loop, so V8 can keep them in machine registers.
 * Only jumps out of the region return to the dispatcher.
 *
 * @module
 */

import type { Insn } from "../isa/insn.ts";
import { ARG_SETS, type Op, OP_INFO, OPS } from "../isa/ops_generated.ts";
import { Emitter, LEAVE, wrapPc } from "./emitter.ts";
import { needsRegisterFile } from "./plugin_actions.ts";
import type { Runtime } from "./runtime.ts";
import { type BlockFn, emitBlock, functionSource, type TranslationBlock } from "./translator.ts";

/** Dispatcher entries after which a block becomes the head of a region. */
export const REGION_THRESHOLD = 50;
/** How large a region may grow: blocks, guest instructions. */
export interface RegionLimits {
  blocks: number;
  insns: number;
}

/** Limits of a JavaScript region (they bound compile time and V8's function size limits). */
export const JS_REGION_LIMITS: RegionLimits = { blocks: 48, insns: 640 };
/**
 * Backward jumps a region makes before returning to the dispatcher, so
 * that the CPU loop regularly gets a chance to look at pending events.
 * Measured against 2^16: a host SIGINT reaches a guest spinning in a loop
 * after 41 ms instead of 175 ms (median of 7), crc32 over 32 MB takes
 * 0.55 s instead of 0.71 s and matmul 1.50 s instead of 1.73 s (medians of
 * 3; returning more often lets V8 optimize the region as a whole rather
 * than on-stack), sha256/gzip/threads unchanged; a short run (nbody, 0.15 s)
 * pays about 10 ms for one more region, formed at the loop head the budget
 * exits to.
 */
export const REGION_BUDGET = 1 << 12;

/** Jumps (`!jump` in `rv64gc.decode`): with a link register other than x0, calls. */
const JUMPS: ReadonlySet<Op> = new Set(OPS.filter((op) => OP_INFO[op].flow === "jump"));
/** Jumps to a computed address: those whose operands include a base register (`jalr`). */
const INDIRECT_JUMPS: ReadonlySet<Op> = new Set([...JUMPS].filter((op) => ARG_SETS[OP_INFO[op].args].includes("rs1")));

/**
 * Where a block's last instruction goes: the pcs it jumps or falls to
 * (a branch's target first), and whether it jumps to a computed address
 * (`jalr`) instead. Read from the operations' metadata (`OP_INFO.flow`),
 * so an instruction added to the table needs no case here.
 */
export function blockExits(tb: TranslationBlock): { targets: number[]; indirect: boolean } {
  const last = tb.insns[tb.insns.length - 1];
  const pc = tb.pcs[tb.pcs.length - 1];
  // An illegal instruction (null) ends the block with a trap.
  if (!last) return { targets: [], indirect: false };
  switch (OP_INFO[last.op].flow) {
    case "branch":
      return { targets: [wrapPc(pc + last.imm), tb.end], indirect: false };
    case "jump":
      return INDIRECT_JUMPS.has(last.op)
        ? { targets: [], indirect: true }
        : { targets: [wrapPc(pc + last.imm)], indirect: false };
    case "exit":
      return { targets: [], indirect: false };
    case undefined:
      return { targets: [tb.end], indirect: false };
  }
}

const isJump = (i: Insn | null | undefined): i is Insn => !!i && JUMPS.has(i.op);
/** A jump that links (rd not x0): a call, whose return site follows it; \`j\` and \`jr\` do not. */
const isCall = (i: Insn | null | undefined): i is Insn => isJump(i) && i.rd !== 0;

/** Static successors of a block: where it may continue, when known at translation time. */
export function successors(tb: TranslationBlock): number[] {
  const { targets } = blockExits(tb);
  // A call's return site is a likely successor too (reached by the callee's ret).
  const last = tb.insns[tb.insns.length - 1];
  return isCall(last) ? [...targets, tb.end] : targets;
}

/**
 * Chooses the blocks of the region headed by `head`: the translated blocks
 * on a cycle through it (its loop, including calls made from the loop and
 * their returns), found over static successors within the size limits. A
 * head that is on no cycle gets no region: without a loop, a region would
 * only save a few dispatches and cost a large compile.
 */
export function formRegion(
  head: TranslationBlock,
  lookup: (pc: number) => TranslationBlock | undefined,
  limits: RegionLimits = JS_REGION_LIMITS,
): TranslationBlock[] {
  // Forward: every translated block reachable from the head.
  const reach = [head];
  const index = new Map([[head.pc, 0]]);
  const preds: number[][] = [[]];
  for (let i = 0; i < reach.length; i++) {
    for (const pc of successors(reach[i])) {
      let k = index.get(pc);
      if (k === undefined) {
        const tb = lookup(pc);
        if (!tb || !tb.valid || needsRegisterFile(tb.instr) || reach.length >= 4 * limits.blocks) continue;
        k = reach.push(tb) - 1;
        index.set(pc, k);
        preds.push([]);
      }
      preds[k].push(i);
    }
  }
  // A function's return (an indirect jump through ra or t0) leads back to a return site, the block after a call:
  // the region's indirect jumps check those first. So a leaf function called from a loop is on the loop's cycle.
  const sites = reach.flatMap((tb, k) => {
    const last = tb.insns[tb.insns.length - 1];
    const call = isCall(last);
    const site = call ? index.get(tb.end) : undefined;
    return site === undefined || site === k ? [] : [site];
  });
  reach.forEach((tb, k) => {
    const last = tb.insns[tb.insns.length - 1];
    if (last && INDIRECT_JUMPS.has(last.op) && last.rd === 0 && (last.rs1 === 1 || last.rs1 === 5)) {
      for (const site of sites) preds[site].push(k);
    }
  });
  // Backward: those that lead back to the head.
  const onCycle = new Set<number>();
  const work = [...preds[0]];
  while (work.length > 0) {
    const k = work.pop()!;
    if (onCycle.has(k)) continue;
    onCycle.add(k);
    work.push(...preds[k]);
  }
  if (!onCycle.has(0)) return [head];
  const region: TranslationBlock[] = [];
  let insns = 0;
  for (let k = 0; k < reach.length && region.length < limits.blocks; k++) {
    if (!onCycle.has(k) || insns + reach[k].insns.length > limits.insns) continue;
    region.push(reach[k]);
    insns += reach[k].insns.length;
  }
  return region;
}

/**
 * Return sites of a region: its blocks that follow a call (a `jal` or
 * `jalr`) in the region, where an indirect jump (a function return) most
 * likely lands. Both tiers check them before leaving on an indirect jump.
 */
export function returnSites(region: readonly TranslationBlock[]): TranslationBlock[] {
  return region.filter((tb) => region.some((t) => t.end === tb.pc && isCall(t.insns[t.insns.length - 1])));
}

/**
 * Compiles a region (its first block is the entry) into one function.
 *
 * `counted`: the region runs in counted slices (recorded and replayed runs,
 * `runSlice` in `exec/cpu_loop.ts`), where a slice ends after exactly as many blocks in
 * every tier, so that a replay under other plugins switches threads and
 * takes signals at the same instructions. The region then takes its
 * budget from the vCPU's `blocksLeft`: each jump from one of its
 * blocks to another is a block done, and when none is left it returns the
 * next pc instead, as a lone block would; it leaves the rest there. Without
 * `counted`, only backward jumps count, against {@link REGION_BUDGET}.
 */
export function compileRegion(
  region: readonly TranslationBlock[],
  rt: Runtime,
  counted = false,
): BlockFn {
  const index = new Map(region.map((tb, k) => [tb.pc, k]));
  // Return sites: where an indirect jump (a function return) most likely lands.
  const sites = returnSites(region);
  const e = new Emitter(true);
  e.hooks = rt.P;
  e.vectorExecutor = rt.vectorExecutor;
  let current = 0;
  e.goto = (e, pc) => {
    const k = index.get(pc);
    if (k === undefined) return e.line(`nx = ${pc}; ${LEAVE}`);
    if (counted) e.line(`if (bud <= 0) { nx = ${pc}; ${LEAVE} } bud--;`);
    else if (k <= current) e.line(`if (--bud < 0) { nx = ${pc}; ${LEAVE} }`);
    e.line(`b = ${k}; continue;`);
  };
  e.gotoDynamic = (e, pcExpr) => {
    e.line(`nx = ${pcExpr};`);
    if (sites.length > 0) {
      e.line(counted ? `if (bud > 0) switch (nx) {` : `if (--bud >= 0) switch (nx) {`);
      for (const tb of sites) e.line(`case ${tb.pc}: ${counted ? "bud--; " : ""}b = ${index.get(tb.pc)}; continue;`);
      e.line(`}`);
    }
    e.line(LEAVE);
  };
  e.line("for (;;) switch (b) {");
  region.forEach((tb, k) => {
    current = k;
    e.line(`case ${k}: {`);
    e.ended = false;
    emitBlock(e, tb);
    e.line("}");
  });
  e.line("}");
  const name = `region_${region[0].pc.toString(16)}`;
  const source = counted
    ? functionSource(e, name, "let b = 0, bud = c.blocksLeft[0];\n", "c.blocksLeft[0] = bud;\n")
    : functionSource(e, name, `let b = 0, bud = ${REGION_BUDGET};\n`);
  return rt.compile(e.uses, source, e.data);
}
