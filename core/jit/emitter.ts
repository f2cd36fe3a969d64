/**
 * The code emitter the `trans_*` functions write JavaScript through.
 *
 * Guest integer registers live in one of two places. In a single block they
 * are read and written in the register file (`x[10]`, `x[11]` for the low and
 * high words of a0): a block runs a few times at most before it joins a
 * region, so small code (cheap to create, measured at about 60 µs per 700
 * characters) matters more than fast code. In a region they are kept in
 * JavaScript locals (`r10l`, `r10h`) for the whole function, so V8 can keep
 * them in machine registers across a loop; they are loaded from the register
 * file on entry and stored back on every exit (normal, trap and exception),
 * and the emitter records which registers a function reads and writes so
 * that prologue and epilogue touch only those.
 *
 * Control transfers do not return directly: they call {@link Emitter.goto}
 * or {@link Emitter.gotoDynamic}, and the block compiler decides whether that
 * is a jump inside the function or a return to the dispatcher (setting `nx`
 * and leaving through {@link LEAVE}).
 *
 * @module
 */

/**
 * Statement that leaves the compiled function with `nx` as its result:
 * every exit goes through one shared register write-back at the end (one
 * copy of it keeps functions small, which matters for V8's compile time).
 */
export const LEAVE = "break exit;";

import type { MemAction, PluginHooks } from "./plugin_actions.ts";
import type { RuntimeHelper } from "./runtime.ts";
import type { Executor } from "./vector/element.ts";

/** How a compiled block leaves: the dispatcher looks at negative return values. */
export const EXIT_ECALL = -1;
/** Exit code: `ebreak` (SIGTRAP at `c.pc`). */
export const EXIT_EBREAK = -2;
/** Exit code: `fence.i` executed (`c.pc` is the next instruction). */
export const EXIT_FENCE_I = -3;
/** Exit code: illegal instruction at `c.pc`. */
export const EXIT_ILLEGAL = -4;
/** Exit code: the block noticed its code was modified; resume at `c.pc`. */
export const EXIT_STALE = -5;

/**
 * A jump target as the pc the dispatcher sees. Guest addresses are
 * unsigned 64-bit: a target below 0 (a jump back past address 0) is the
 * top of the address space, where fetching faults as under Linux. It must
 * not stay negative: negative values are exit codes.
 */
export function wrapPc(target: number): number {
  return target < 0 ? target + 18446744073709551616 : target;
}

/** A value expression that reads at most one variable and has no side effects. */
const ATOM = /^(?:-?\d+|[A-Za-z_]\w*|x\[\d+\])$/;

/** Names the decoded-operand helpers of the emitter use for one source register. */
export interface RegPair {
  /** Expression for the low 32 bits (int32). */
  lo: string;
  /** Expression for the high 32 bits (int32). */
  hi: string;
}

/**
 * Accumulates the JavaScript for one compiled function.
 *
 * @example Emit `add a0, a0, a1` and look at the code
 * ```ts
 * import { Emitter } from "./emitter.ts";
 * import { strictEqual } from "node:assert";
 * const e = new Emitter(true); // registers in locals, as in a region
 * const a = e.x(10), b = e.x(11);
 * e.setX(10, `(${a.lo} + ${b.lo}) | 0`, `(${a.hi} + ${b.hi} + ((($lo >>> 0) < (${a.lo} >>> 0)) ? 1 : 0)) | 0`);
 * strictEqual(
 *   e.body,
 *   "T0 = (r10l + r11l) | 0; r10h = (r10h + r11h + (((T0 >>> 0) < (r10l >>> 0)) ? 1 : 0)) | 0; r10l = T0;\n",
 * );
 * ```
 */
export class Emitter {
  /** True when registers live in locals (regions), false for the register file. */
  readonly locals: boolean;
  /** The code emitted so far. */
  body = "";
  /** Integer registers read or written (bit i for x_i). */
  used = 0;
  /** Integer registers written. */
  written = 0;
  /** Number of scratch locals (`T0`…) needed. */
  temps = 0;
  /** Guest pc of the instruction being translated. */
  pc = 0;
  /** Size in bytes of the instruction being translated. */
  size = 4;
  /** True once the current block has ended with a control transfer. */
  ended = false;
  /** Called when a translation ends the block with a jump to a known pc. */
  goto: (e: Emitter, pc: number) => void = (e, pc) => e.line(`nx = ${pc}; ${LEAVE}`);
  /** Called when a translation ends the block with a jump to a computed pc (an expression). */
  gotoDynamic: (e: Emitter, pcExpr: string) => void = (e, pcExpr) => e.line(`nx = ${pcExpr}; ${LEAVE}`);

  /**
   * @param locals keep registers in locals (for regions)
   */
  constructor(locals = false) {
    this.locals = locals;
  }

  /** Appends a line of code. */
  line(code: string): void {
    this.body += code + "\n";
  }

  /** Operand expressions for integer register `r` (x0 reads as constant 0). */
  x(r: number): RegPair {
    if (r === 0) return { lo: "0", hi: "0" };
    this.used |= 1 << r;
    return this.locals ? { lo: `r${r}l`, hi: `r${r}h` } : { lo: `x[${2 * r}]`, hi: `x[${2 * r + 1}]` };
  }

  /** Next free scratch local; scratch locals live within one instruction. */
  private nextTemp = 0;

  /** A fresh scratch local name. */
  temp(): string {
    const t = `T${this.nextTemp++}`;
    if (this.nextTemp > this.temps) this.temps = this.nextTemp;
    return t;
  }

  /** Starts translating the instruction at `pc`: scratch locals are free again. */
  startInsn(pc: number, size: number): void {
    this.pc = pc;
    this.size = size;
    this.nextTemp = 0;
    this.memActions = undefined;
  }

  /**
   * Writes integer register `rd` (a no-op for x0). `lo` is evaluated first
   * into `$lo`; `hi` may refer to `$lo` (the new low word) and to the old
   * values of any register, including `rd`.
   */
  setX(rd: number, lo: string, hi: string): void {
    if (rd === 0) return;
    this.used |= 1 << rd;
    this.written |= 1 << rd;
    const d = this.x(rd);
    if (ATOM.test(lo) && lo !== d.hi) {
      // A plain value (a temporary, a register, a number) needs no temporary of its own:
      // nothing it reads changes when the high half is written first.
      this.line(`${d.hi} = ${hi.replaceAll("$lo", lo)}; ${d.lo} = ${lo};`);
      return;
    }
    const t = this.temp();
    this.line(`${t} = ${lo}; ${d.hi} = ${hi.replaceAll("$lo", t)}; ${d.lo} = ${t};`);
  }

  /** Like {@link setX}, but `lo` has side effects and is evaluated even when `rd` is x0. */
  setXEffect(rd: number, lo: string, hi: string): void {
    if (rd === 0) this.line(`${lo};`);
    else this.setX(rd, lo, hi);
  }

  /** Writes `rd` with a signed 32-bit value, sign-extended to 64 bits. */
  setX32(rd: number, lo: string): void {
    this.setX(rd, lo, "$lo >> 31");
  }

  /** Writes `rd` with a constant (an integer with |v| < 2^53). */
  setXConst(rd: number, v: number): void {
    const lo = v | 0, hi = Math.floor(v / 4294967296) | 0;
    this.setX(rd, String(lo), String(hi));
  }

  /**
   * Marks the start of an instruction that may throw (memory access,
   * helper call): the exception handler reports this pc.
   */
  mayThrow(): void {
    this.line(`ip = ${this.pc};`);
  }

  /** Ends the block with a jump to a constant target. */
  jump(target: number): void {
    this.goto(this, wrapPc(target));
    this.ended = true;
  }

  /** Ends the block with a jump to the computed 64-bit target `(lo, hi)`; bit 0 is cleared by the caller. */
  jumpDynamic(lo: string, hi: string): void {
    // Targets outside the 2 GiB space are returned as unsigned doubles (exact below 2^53; negative ones would read
    // as exit codes); the dispatcher faults on fetching them.
    this.gotoDynamic(this, `(${hi} === 0 && ${lo} >= 0 ? ${lo} : (${hi} >>> 0) * 4294967296 + (${lo} >>> 0))`);
    this.ended = true;
  }

  /** Ends the block with a two-way branch. */
  branch(cond: string, taken: number, notTaken: number): void {
    this.line(`if (${cond}) {`);
    this.goto(this, wrapPc(taken));
    this.line(`}`);
    this.goto(this, notTaken);
    this.ended = true;
  }

  /** Ends the block returning an exit code to the dispatcher with `c.pc = pc`. */
  exit(code: number, pc: number): void {
    this.line(`c.pc = ${pc}; nx = ${code}; ${LEAVE}`);
    this.ended = true;
  }

  /**
   * Plugin actions after each memory access of the instruction being
   * translated (`instrument.ts`), or undefined when there are none.
   */
  memActions: readonly MemAction[] | undefined;
  /** True when the function must report faults to the plugin hooks (it pushes records). */
  reportsFaults = false;

  /**
   * Scoreboard arenas the code uses: each is read once into a local `A<n>`
   * at function entry (with the vCPU index in `vi`), rather than looked up
   * at every inline operation.
   */
  readonly arenas: Set<number> = new Set();

  /** Runtime helpers (`runtime.ts`) the code refers to. */
  readonly uses: Set<string> = new Set();

  /** Constants of this function, `D[i]` in its code (handed to `Runtime.compile`). */
  readonly data: unknown[] = [];

  /** Names a constant of the function in emitted code. */
  datum(value: unknown): string {
    this.data.push(value);
    return `D[${this.data.length - 1}]`;
  }

  /** The plugin hooks, for code that builds closures over plugin actions at translation time. */
  hooks: PluginHooks | undefined;

  /**
   * The run's vector executors by instruction word, so that a vector
   * instruction's fast path can be inlined at the shape it last ran in
   * (`trans_rvv.ts`); undefined where no runtime is at hand.
   */
  vectorExecutor: ((raw: number) => Executor) | undefined;

  /** Names runtime helper `name` for use in emitted code (recording that it is used). */
  rt(name: RuntimeHelper): string {
    this.uses.add(name);
    return name;
  }

  /** The high word of the last pair-valued helper result. */
  get rh(): string {
    this.uses.add("RH");
    return "RH[0]";
  }

  /** Code that loads every used register into its locals. */
  prologue(): string {
    const decl: string[] = [];
    for (let r = 1; r < 32 && this.locals; r++) {
      if (this.used & (1 << r)) decl.push(`r${r}l = x[${2 * r}]`, `r${r}h = x[${2 * r + 1}]`);
    }
    for (let t = 0; t < this.temps; t++) decl.push(`T${t} = 0`);
    const arenas = [...this.arenas].map((k) => `A${k} = P.arenas[${k}]`);
    if (arenas.length) arenas.push("vi = c.vcpuIndex");
    return (decl.length ? `let ${decl.join(", ")};\n` : "") + (arenas.length ? `const ${arenas.join(", ")};\n` : "");
  }

  /** Code that stores every written register back to the register file. */
  writeback(): string {
    let s = "";
    for (let r = 1; r < 32 && this.locals; r++) {
      if (this.written & (1 << r)) s += `x[${2 * r}] = r${r}l; x[${2 * r + 1}] = r${r}h; `;
    }
    return s;
  }
}
