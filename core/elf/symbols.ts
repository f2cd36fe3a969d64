/**
 * Address-to-symbol lookup for `-d in_asm` headers and the plugin API's
 * `qemu_plugin_insn_symbol`.
 *
 * @module
 */

import type { ElfSymbol } from "./elf.ts";

/**
 * Sorted function symbols of the loaded images, searched by address.
 *
 * @example
 * ```ts
 * import { SymbolTable } from "./symbols.ts";
 * import { strictEqual } from "node:assert";
 * const t = new SymbolTable();
 * t.add([{ name: "main", value: 0x1000, size: 0x40, func: true }], 0);
 * strictEqual(t.lookup(0x1010), "main");
 * ```
 */
export class SymbolTable {
  private starts: number[] = [];
  private ends: number[] = [];
  private names: string[] = [];
  /** Images whose symbols are read at the first lookup (see {@link SymbolTable.addLater}). */
  private pending: (() => void)[] = [];

  /**
   * Adds an image's function symbols, read by `read` when the table is
   * first looked up: an unstripped program's symbol table takes
   * milliseconds of start-up to read, and most runs never look a symbol up
   * (only `-d in_asm`, `-d exec` and plugins do).
   *
   * @example
   * ```ts
   * import { SymbolTable } from "./symbols.ts";
   * import { strictEqual } from "node:assert";
   * const t = new SymbolTable();
   * let reads = 0;
   * t.addLater(() => (reads++, [{ name: "main", value: 0x1000, size: 0x40, func: true }]), 0x100);
   * strictEqual(reads, 0);
   * strictEqual(t.lookup(0x1110), "main");
   * strictEqual(t.lookup(0x1000), "");
   * strictEqual(reads, 1);
   * ```
   */
  addLater(read: () => readonly ElfSymbol[], bias: number): void {
    this.pending.push(() => this.add(read(), bias));
  }

  /** Adds an image's function symbols, relocated by `bias`. */
  add(symbols: readonly ElfSymbol[], bias: number): void {
    const all = symbols.filter((s) => s.func).map((s) => ({
      start: s.value + bias,
      end: s.value + bias + s.size,
      name: s.name,
    }));
    for (let i = 0; i < this.starts.length; i++) {
      all.push({ start: this.starts[i], end: this.ends[i], name: this.names[i] });
    }
    all.sort((a, b) => a.start - b.start || b.end - a.end);
    this.starts = all.map((s) => s.start);
    this.ends = all.map((s) => s.end);
    this.names = all.map((s) => s.name);
  }

  /** The name of the function containing `addr`, or "" (as QEMU's `lookup_symbol`). */
  lookup(addr: number): string {
    if (this.pending.length > 0) {
      const pending = this.pending;
      this.pending = [];
      for (const add of pending) add();
    }
    let lo = 0, hi = this.starts.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] <= addr) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    for (let i = found; i >= 0 && i > found - 8; i--) {
      if (
        addr >= this.starts[i] && (addr < this.ends[i] || (this.ends[i] === this.starts[i] && addr === this.starts[i]))
      ) {
        return this.names[i];
      }
    }
    return "";
  }
}
