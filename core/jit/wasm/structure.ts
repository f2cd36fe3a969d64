/**
 * The shape of a region function's control flow in WebAssembly's
 * structured form: which `loop` and `block` scopes enclose the code of
 * each guest block, so that every jump inside the region is one `br` to
 * an enclosing label (a `loop` label continues at its head, a `block`
 * label at the code after its `end`).
 *
 * The region's blocks keep their order (the head first); a jump to a
 * block at or before the jumping one needs a `loop` starting at the
 * target and enclosing the jump, a jump to a later block a `block` ending
 * right before the target and enclosing the jump. Scopes must nest; where
 * two overlap, the one that may grow does (a `block` can start earlier, a
 * `loop` can end later) until none overlap.
 *
 * Why: with every jump through one `br_table` at the top of one loop, every
 * guest register is live at that loop head, and TurboFan's code for a hot
 * loop was mostly moves to and from the stack (seen in the machine code of
 * own sha256's regions). Measured in host instructions (valgrind, `-jit-wasm
 * always`, whole runs): crc32 of 8 MiB 1.92 → 1.74 G; sieve and sha256
 * moved within the runs' noise (±7%), sha256's main region being one that
 * does not nest.
 *
 * @module
 */

/** A `loop` (continued at block `first`) or a `block` (left to block `last + 1`) around blocks `first..last`. */
export interface Scope {
  readonly kind: "loop" | "block";
  first: number;
  last: number;
  /**
   * A loop's other entries: blocks inside it that jumps from before it
   * reach (through its head, with the entry's number set).
   */
  entries?: number[];
}

/** The scopes of a structured region function. */
export interface Structure {
  /** Every scope, in the order they open (outer first where two open before the same block). */
  readonly scopes: readonly Scope[];
  /** The `loop` whose label continues at block k. */
  readonly loopAt: ReadonlyMap<number, Scope>;
  /** The `block` whose label continues at block k. */
  readonly blockTo: ReadonlyMap<number, Scope>;
  /** The loop that block k is another entry of (entered through the loop's head). */
  readonly entryOf: ReadonlyMap<number, Scope>;
}

/** Whether `a` opens before `b` (`a` encloses `b` where both are around the same blocks). */
function opensBefore(a: Scope, b: Scope): boolean {
  if (a.first !== b.first) return a.first < b.first;
  if (a.last !== b.last) return a.last > b.last;
  return a.kind === "block" && b.kind === "loop";
}

/**
 * The structure for jumps `edges` ([from, to] block indexes) between the
 * region's blocks.
 *
 * A jump from before a loop into its middle (a loop with two entries, as
 * compilers make of a loop with two ways in) goes to the loop's head
 * instead, with the entry's number in a local, and the loop starts with a
 * `br_table` on it: that loop pays for one indirect branch per iteration,
 * and the rest of the region stays structured. Where even that does not
 * make the scopes nest, there is no structure (undefined), and the region
 * compiler enters every block through one `br_table` in an outer loop.
 *
 * @example A loop of blocks 1..2 inside a region of three
 * ```ts
 * import { structure } from "./structure.ts";
 * import { deepStrictEqual } from "node:assert";
 * const s = structure([[0, 1], [1, 2], [2, 1]])!;
 * deepStrictEqual(s.scopes.map((x) => [x.kind, x.first, x.last]), [["block", 0, 0], ["loop", 1, 2], ["block", 1, 1]]);
 * ```
 */
export function structure(edges: Iterable<readonly [number, number]>): Structure | undefined {
  const all = [...edges];
  /** Blocks that are other entries of the loop headed by a block (by the head). */
  const entries = new Map<number, Set<number>>();
  for (;;) {
    const entryOf = new Map<number, number>();
    for (const [head, set] of entries) for (const k of set) entryOf.set(k, head);
    const loopAt = new Map<number, Scope>(), blockTo = new Map<number, Scope>();
    for (const [from, edgeTo] of all) {
      // A jump from before a loop to another of its entries goes to the loop's head.
      const head = entryOf.get(edgeTo);
      const to = head !== undefined && from < head ? head : edgeTo;
      if (to <= from) {
        const loop = loopAt.get(to);
        if (loop) loop.last = Math.max(loop.last, from);
        else loopAt.set(to, { kind: "loop", first: to, last: from });
      } else {
        const block = blockTo.get(to);
        if (block) block.first = Math.min(block.first, from);
        else blockTo.set(to, { kind: "block", first: from, last: to - 1 });
      }
    }
    for (const [head, set] of entries) {
      const loop = loopAt.get(head)!;
      loop.entries = [...set];
      // An entry's block starts with the loop: the `br_table` at the loop's top is inside it.
      for (const k of set) {
        const block = blockTo.get(k);
        if (block) block.first = head;
        else blockTo.set(k, { kind: "block", first: head, last: k - 1 });
      }
    }
    const scopes = [...loopAt.values(), ...blockTo.values()];
    const conflict = nest(scopes);
    if (conflict) {
      // `conflict` is a block from before a loop to inside it.
      const [block, loop] = conflict;
      const head = loop.first, k = block.last + 1;
      let set = entries.get(head);
      if (!set) entries.set(head, set = new Set());
      // Made an entry already, yet still a conflict (the block grew around another scope), or an
      // entry of two loops: give up.
      if ([...entries.values()].some((other) => other.has(k))) return undefined;
      set.add(k);
      continue;
    }
    // A loop entered in its middle that is itself entered in the middle of an outer loop would need
    // two entry numbers at once: give up.
    if ([...entries.keys()].some((head) => entryOf.has(head))) return undefined;
    scopes.sort((a, b) => (opensBefore(a, b) ? -1 : opensBefore(b, a) ? 1 : 0));
    const entryScopes = new Map([...entryOf].map(([k, head]) => [k, loopAt.get(head)!]));
    return { scopes, loopAt, blockTo, entryOf: entryScopes };
  }
}

/**
 * Grows overlapping scopes until every two nest or are apart; starts only
 * decrease and ends only increase, so this ends. Returns a `block` and a
 * `loop` that cannot be made to nest (the block starts before the loop
 * and ends inside it), or undefined once all nest.
 */
function nest(scopes: Scope[]): [Scope, Scope] | undefined {
  for (let changed = true; changed;) {
    changed = false;
    for (const a of scopes) {
      for (const b of scopes) {
        // `a` starts first and ends inside `b`, which goes on after it.
        if (!(a.first < b.first && b.first <= a.last && a.last < b.last)) continue;
        if (b.kind === "block") b.first = a.first;
        else if (a.kind === "loop") a.last = b.last;
        else return [a, b];
        changed = true;
      }
    }
  }
  return undefined;
}
