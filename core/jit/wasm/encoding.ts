/**
 * The WebAssembly binary format, as much of it as the WebAssembly tier
 * writes: LEB128 numbers, the opcodes it uses, and {@link Code}, a byte
 * buffer with one method per instruction so that a translator reads like
 * the text format (`c.localGet(r).i64Const(4).op(OP.i64_add)`).
 *
 * Names follow the specification's instruction names with `.` and `/`
 * written as `_` (`i64.extend_i32_u` is `OP.i64_extend_i32_u`).
 *
 * @module
 */

/** Value types. */
export const I32 = 0x7f, I64 = 0x7e, F32 = 0x7d, F64 = 0x7c, V128 = 0x7b;
/** Block type of a block without results. */
export const VOID = 0x40;

/** Opcodes of the instructions that take no immediate (and the control ones written by {@link Code}). */
export const OP = {
  unreachable: 0x00,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  br_if: 0x0d,
  br_table: 0x0e,
  return: 0x0f,
  call: 0x10,
  drop: 0x1a,
  select: 0x1b,
  local_get: 0x20,
  local_set: 0x21,
  local_tee: 0x22,
  i32_load: 0x28,
  i64_load: 0x29,
  f32_load: 0x2a,
  f64_load: 0x2b,
  i64_load8_s: 0x30,
  i64_load8_u: 0x31,
  i64_load16_s: 0x32,
  i64_load16_u: 0x33,
  i64_load32_s: 0x34,
  i64_load32_u: 0x35,
  i32_load8_u: 0x2d,
  i32_load16_u: 0x2f,
  i64_store: 0x37,
  i32_store: 0x36,
  f64_store: 0x39,
  i64_store8: 0x3c,
  i64_store16: 0x3d,
  i64_store32: 0x3e,
  i32_const: 0x41,
  i64_const: 0x42,
  f64_const: 0x44,
  i32_eqz: 0x45,
  i32_eq: 0x46,
  i32_ne: 0x47,
  i32_lt_s: 0x48,
  i32_lt_u: 0x49,
  i32_gt_s: 0x4a,
  i32_gt_u: 0x4b,
  i32_le_s: 0x4c,
  i32_ge_s: 0x4e,
  i32_ge_u: 0x4f,
  i64_eqz: 0x50,
  i64_eq: 0x51,
  i64_ne: 0x52,
  i64_lt_s: 0x53,
  i64_lt_u: 0x54,
  i64_le_u: 0x58,
  i64_ge_s: 0x59,
  i64_ge_u: 0x5a,
  f64_eq: 0x61,
  f64_ne: 0x62,
  f64_lt: 0x63,
  f64_gt: 0x64,
  f64_le: 0x65,
  f64_ge: 0x66,
  i32_add: 0x6a,
  i32_sub: 0x6b,
  i32_mul: 0x6c,
  i32_div_s: 0x6d,
  i32_div_u: 0x6e,
  i32_rem_s: 0x6f,
  i32_rem_u: 0x70,
  i32_and: 0x71,
  i32_or: 0x72,
  i32_xor: 0x73,
  i32_shl: 0x74,
  i32_shr_s: 0x75,
  i32_shr_u: 0x76,
  i64_add: 0x7c,
  i64_sub: 0x7d,
  i64_mul: 0x7e,
  i64_div_s: 0x7f,
  i64_div_u: 0x80,
  i64_rem_s: 0x81,
  i64_rem_u: 0x82,
  i64_and: 0x83,
  i64_or: 0x84,
  i64_xor: 0x85,
  i64_shl: 0x86,
  i64_shr_s: 0x87,
  i64_shr_u: 0x88,
  f64_abs: 0x99,
  f64_neg: 0x9a,
  f64_sqrt: 0x9f,
  f64_add: 0xa0,
  f64_sub: 0xa1,
  f64_mul: 0xa2,
  f64_div: 0xa3,
  i32_wrap_i64: 0xa7,
  f32_demote_f64: 0xb6,
  i64_extend_i32_s: 0xac,
  i64_extend_i32_u: 0xad,
  f64_convert_i32_u: 0xb8,
  f64_convert_i64_u: 0xba,
  f64_promote_f32: 0xbb,
  i32_reinterpret_f32: 0xbc,
  i64_gt_s: 0x55,
  i64_gt_u: 0x56,
  i32_clz: 0x67,
  i32_ctz: 0x68,
  i32_popcnt: 0x69,
  i32_rotl: 0x77,
  i32_rotr: 0x78,
  i64_clz: 0x79,
  i64_ctz: 0x7a,
  i64_popcnt: 0x7b,
  i64_rotl: 0x89,
  i64_rotr: 0x8a,
  i64_extend8_s: 0xc2,
  i64_extend16_s: 0xc3,
  i64_extend32_s: 0xc4,
} as const;

/** Opcodes of the SIMD instructions the tier uses (after the `0xfd` prefix, {@link Code.simd}). */
export const SIMD = {
  v128_load: 0x00,
  v128_store: 0x0b,
  i8x16_splat: 0x0f,
  i16x8_splat: 0x10,
  i32x4_splat: 0x11,
  i64x2_splat: 0x12,
  f32x4_splat: 0x13,
  f64x2_splat: 0x14,
  v128_and: 0x4e,
  v128_or: 0x50,
  v128_xor: 0x51,
  v128_bitselect: 0x52,
  i32x4_all_true: 0xa3,
} as const;

/** Appends `v` (an integer, |v| < 2^53, or a bigint) as unsigned LEB128. */
export function unsignedLeb(out: number[], v: number): void {
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
}

/**
 * Appends `v` as signed LEB128 (for `i32.const`, `i64.const`).
 *
 * @example
 * ```ts
 * import { signedLeb } from "./encoding.ts";
 * import { deepStrictEqual } from "node:assert";
 * const out: number[] = [];
 * signedLeb(out, -1n);
 * signedLeb(out, 64n);
 * signedLeb(out, -129); // numbers take the same encoding
 * deepStrictEqual(out, [0x7f, 0xc0, 0x00, 0xff, 0x7e]);
 * ```
 */
export function signedLeb(out: number[], v: bigint | number): void {
  if (typeof v === "number") {
    // Exact for safe integers: dividing by 128 and rounding down is the arithmetic shift.
    for (;;) {
      const byte = v - Math.floor(v / 128) * 128;
      v = Math.floor(v / 128);
      if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
        out.push(byte);
        return;
      }
      out.push(byte | 0x80);
    }
  }
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0)) {
      out.push(byte);
      return;
    }
    out.push(byte | 0x80);
  }
}

/** Appends a name (a length-prefixed UTF-8 string). */
export function name(out: number[], s: string): void {
  const bytes = new TextEncoder().encode(s);
  unsignedLeb(out, bytes.length);
  out.push(...bytes);
}

/** Appends a section: its id, its length and its contents. */
export function section(out: number[], id: number, contents: number[]): void {
  out.push(id);
  unsignedLeb(out, contents.length);
  for (const b of contents) out.push(b);
}

/** The code of one function body, built instruction by instruction. */
export class Code {
  readonly bytes: number[] = [];
  /**
   * Branch hints: the offsets in `bytes` of `if`s and `br_if`s and whether each is
   * likely (1) or unlikely (0) to be taken, in the order emitted.
   */
  readonly hints: [offset: number, likely: 0 | 1][] = [];

  /** Hints that the `if` or `br_if` emitted next is unlikely to be taken: it leads to a slow path. */
  unlikely(): this {
    this.hints.push([this.bytes.length, 0]);
    return this;
  }

  /** Hints that the `if` emitted next is likely to be taken: its `else` is the slow path. */
  likely(): this {
    this.hints.push([this.bytes.length, 1]);
    return this;
  }

  /** An instruction without immediates. */
  op(opcode: number): this {
    this.bytes.push(opcode);
    return this;
  }

  localGet(index: number): this {
    this.bytes.push(OP.local_get);
    unsignedLeb(this.bytes, index);
    return this;
  }

  localSet(index: number): this {
    this.bytes.push(OP.local_set);
    unsignedLeb(this.bytes, index);
    return this;
  }

  localTee(index: number): this {
    this.bytes.push(OP.local_tee);
    unsignedLeb(this.bytes, index);
    return this;
  }

  i32Const(v: number): this {
    this.bytes.push(OP.i32_const);
    signedLeb(this.bytes, v | 0);
    return this;
  }

  /** `i64.const`: `v` a bigint, or a number that is an exact integer (wrapped to 64 bits). */
  i64Const(v: bigint | number): this {
    this.bytes.push(OP.i64_const);
    if (typeof v === "number" && Number.isSafeInteger(v)) signedLeb(this.bytes, v);
    else signedLeb(this.bytes, BigInt.asIntN(64, typeof v === "bigint" ? v : BigInt(v)));
    return this;
  }

  f32Const(v: number): this {
    this.bytes.push(0x43);
    for (const x of new Uint8Array(new Float32Array([v]).buffer)) this.bytes.push(x);
    return this;
  }

  f64Const(v: number): this {
    this.bytes.push(OP.f64_const);
    const b = new Uint8Array(new Float64Array([v]).buffer);
    for (const x of b) this.bytes.push(x);
    return this;
  }

  /**
   * A load or store: `opcode` with its memory argument (log2 of the
   * alignment, the offset, and the memory index when it is not 0).
   */
  mem(opcode: number, memory: number, alignLog2: number, offset = 0): this {
    this.bytes.push(opcode);
    if (memory === 0) this.bytes.push(alignLog2);
    else {
      this.bytes.push(alignLog2 | 0x40);
      unsignedLeb(this.bytes, memory);
    }
    unsignedLeb(this.bytes, offset);
    return this;
  }

  /** A SIMD instruction without immediates (`SIMD`, or a lane-wise opcode of the SIMD proposal's table). */
  simd(opcode: number): this {
    this.bytes.push(0xfd);
    unsignedLeb(this.bytes, opcode);
    return this;
  }

  /** `v128.load` or `v128.store` with its memory argument, as {@link mem}. */
  simdMem(opcode: number, memory: number, alignLog2: number, offset = 0): this {
    this.simd(opcode);
    this.bytes.push(alignLog2 | 0x40);
    unsignedLeb(this.bytes, memory);
    unsignedLeb(this.bytes, offset);
    return this;
  }

  /** `v128.const` of 16 bytes. */
  v128Const(bytes: ArrayLike<number>): this {
    this.simd(0x0c);
    for (let k = 0; k < 16; k++) this.bytes.push(bytes[k] & 0xff);
    return this;
  }

  /** Opens a `block`, `loop` or `if` with a block type. */
  open(opcode: typeof OP.block | typeof OP.loop | typeof OP.if, type: number = VOID): this {
    this.bytes.push(opcode, type);
    return this;
  }

  /** `br depth`, `br_if depth`. */
  br(opcode: typeof OP.br | typeof OP.br_if, depth: number): this {
    this.bytes.push(opcode);
    unsignedLeb(this.bytes, depth);
    return this;
  }

  /** `br_table targets… default`. */
  brTable(targets: readonly number[], fallback: number): this {
    this.bytes.push(OP.br_table);
    unsignedLeb(this.bytes, targets.length);
    for (const t of targets) unsignedLeb(this.bytes, t);
    unsignedLeb(this.bytes, fallback);
    return this;
  }

  /**
   * Code emitted around every `call` (with the call's arguments on the
   * stack, then with its results): for state a function keeps in locals
   * that the callee may read or change in memory.
   */
  aroundCall: { before(): void; after(): void } | undefined = undefined;

  call(func: number): this {
    const around = this.aroundCall;
    around?.before();
    this.bytes.push(OP.call);
    unsignedLeb(this.bytes, func);
    around?.after();
    return this;
  }
}
