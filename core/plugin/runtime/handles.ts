/**
 * The plugin side's handles and the translation they belong to: the
 * objects behind the API's opaque `Tb`, `Insn`, `Scoreboard`,
 * `PluginU64` and `RegisterHandle` (`api.ts` checks every handle a plugin
 * passes in against these classes; the brand fields make forged objects
 * detectable), and the start and end of a translation call (`calls.ts`),
 * after which its tb and insn handles are stale.
 *
 * @module
 */

import { instance } from "./state.ts";

/** A block being translated (`Tb`); valid while `gen` is the translation's. */
export class TbImpl {
  readonly handle = "qemu_plugin_tb" as const;
  constructor(readonly gen: number, readonly block: number, readonly insns: InsnImpl[], readonly vaddr: number) {}
}

/** An instruction of a block being translated (`Insn`). */
export class InsnImpl {
  readonly handle = "qemu_plugin_insn" as const;
  constructor(
    readonly gen: number,
    readonly block: number,
    readonly index: number,
    readonly vaddr: number,
    readonly raw: number,
    readonly size: number,
  ) {}
}

/** A scoreboard (`Scoreboard`): its index in the instance's boards. */
export class ScoreboardImpl {
  readonly handle = "qemu_plugin_scoreboard" as const;
  constructor(readonly board: number) {}
}

/** A 64-bit counter in a scoreboard's entries (`PluginU64`). */
export class U64Impl {
  constructor(readonly score: ScoreboardImpl, readonly offset: number) {}
}

/** A guest register (`RegisterHandle`), by its index in the API's register list. */
export class RegisterImpl {
  readonly handle = "qemu_plugin_register" as const;
  constructor(readonly reg: number) {}
}

/** Disassembly and symbols of the block being translated, fetched on first use. */
export const translation: { disas: string[] | undefined; symbols: string[] | undefined } = {
  disas: undefined,
  symbols: undefined,
};

/**
 * Starts a translation (for the translation call, `calls.ts`): returns
 * the tb handle for block id `block`, with instruction handles.
 */
export function beginTranslation(block: number, vaddr: number, pcs: number[], raws: number[], sizes: number[]): TbImpl {
  instance.transGen++;
  instance.inTrans = true;
  instance.nActs = 0;
  translation.disas = undefined;
  translation.symbols = undefined;
  const insns = pcs.map((pc, k) => new InsnImpl(instance.transGen, block, k, pc, raws[k], sizes[k]));
  return new TbImpl(instance.transGen, block, insns, vaddr);
}

/** Ends the translation: handles of it are stale from now on. */
export function endTranslation(): void {
  instance.inTrans = false;
  instance.transGen++;
}
