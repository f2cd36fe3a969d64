/**
 * The WebAssembly interpreter's module (`interpreter.ts` runs it): one
 * function that runs blocks from their records in the code memory, the
 * M extension's helpers it calls (the regions' own, `region.ts`), the
 * two slow paths it imports, and a second function that decodes a new
 * block into its records ({@link scanBody}, from the encoding table's
 * patterns, which `build/gen_wasm_interpreter.ts` passes in). Built by
 * `deno task gen` into
 * `interpreter_module_generated.ts`, so that a run does not build it at
 * start-up (2.5–3 ms of JavaScript that V8 has not compiled yet, against
 * 0.3 ms to compile the module); a test checks that the file is current.
 *
 * A record is 16 bytes: the operation's number in {@link HANDLERS} (u8),
 * the instruction's size (u8), rd, rs1 and rs2 as byte offsets in the
 * vCPU's slot (u16 each), the immediate (i32) and the instruction's offset
 * from the block's pc (u16). A block's records end with one of operation
 * 0, whose offset is the block's end and whose immediate is its chain
 * credit (`interpreter.ts`). A plugin's block record where the block starts
 * is a record of operation `record` before the instructions' (its ring in
 * the size byte, its id as the immediate), and a memory record one of
 * `record.load` or `record.store` after its access's instruction: each is
 * appended to its ring's batch store in the plugin memory, the module's
 * fifth.
 *
 * @module
 */

import { Code, F64, I32, I64, name, OP, section, unsignedLeb, VOID } from "./encoding.ts";
import { body, mHelpers } from "./region.ts";
import { LOAD_OPS, STORE_OPS } from "./trans.ts";
import { WASM_FAULT } from "./layout.ts";
import { ARENA_MAX_PAGES, SLOT } from "../../cpu/register_arena.ts";
import { BATCH_WORDS } from "../record_format.ts";
import { BATCH_AREA, BATCH_STORE_BYTES } from "./runtime.ts";
import { PAGE_CODE, PAGE_SHIFT, PROT_EXEC, PROT_READ, PROT_WRITE } from "../../mem/address_space.ts";
import { EXIT_ECALL } from "../emitter.ts";
import { ARG_SETS, type Op, OP_INFO } from "../../isa/ops_generated.ts";

/**
 * The module's functions: the imported slow paths of loads and stores, the
 * imported publish of a full batch of plugin records, the arithmetic
 * helpers of the M extension (the regions' own, `region.ts`), then the
 * interpreter.
 */
const FN = {
  ld: 0,
  st: 1,
  batchFull: 2,
  mulhu: 3,
  mulh: 4,
  mulhsu: 5,
  div: 6,
  divu: 7,
  rem: 8,
  remu: 9,
  divw: 10,
  divuw: 11,
  remw: 12,
  remuw: 13,
  run: 14,
  scan: 15,
} as const;

/** The arithmetic helpers' bodies, in {@link FN} order from `mulhu`. */
const HELPERS = mHelpers(FN.mulhu);

/**
 * Function types: `ld`, `st`, the helpers', the interpreter's (the vCPU's
 * slot, the first record, the block's pc -> the next pc), the scan's (the
 * block's pc, its first record, the most instructions, the guest memory's
 * size, the chain credit, where the words go -> its length and end),
 * `batchFull`'s (the ring -> its status).
 */
const TYPES: readonly [number[], number[]][] = [
  [[I32, I32, I32, I32, I32], [I32]],
  [[I32, I32, I32, I32], [I32]],
  [[I64, I64], [I64]],
  [[I32, I32, F64, I32], [F64]],
  [[I32, I32, I32, I32, I32, I32], [I32]],
  [[I32], [I32]],
];

/** Memory indices of the interpreter's module. */
const GUEST = 0, PAGES = 1, REGS = 2, CODE = 3, PLUGINS = 4;

/** Byte offsets of a record's fields; register fields hold byte offsets in the slot. */
export const R = { op: 0, size: 1, rd: 2, rs1: 4, rs2: 6, imm: 8, off: 12 } as const;
/** Bytes of a record. */
export const RECORD = 16;
/**
 * The chain table at the start of the code memory: entries of 16 bytes
 * (the block's pc with its low bit set as an i64, its first record, its end
 * record) by `(pc >> 1) % TABLE_ENTRIES`, zero for none (pcs are even: no
 * key is zero, so a fresh memory is an empty table that costs no memory
 * until written). 32,768 entries (512 KiB): with 4,096, `python3.13 -c
 * pass` (37,744 blocks) lost chains to collisions: 12.0 M dispatches, 9.5 M
 * of them of blocks still interpreted, against 7.1 M and 5.0 M; its run
 * took 1.99 -> 1.64 s (65,536 entries: 1.57 s, but up to 1 MiB more of a
 * short run's memory touched).
 */
export const TABLE_ENTRIES = 32768, TABLE_BYTES = TABLE_ENTRIES * 16;
/** Most blocks one call runs chained, so that the CPU loop still looks at its clock. */
export const CHAIN_LIMIT = 256;
/** Where a write to x0 goes: the slot's scratch word for helpers, which every helper writes before it is read. */
export const DISCARD = SLOT.value;

/** The code memory: 1 MiB at first, at most 16 MiB (a flush of all translations empties it). */
export const CODE_PAGES = 16, CODE_MAX_PAGES = 256;

/** Locals of the interpreter function: its parameters, then its own. */
const L = {
  slot: 0,
  k: 1,
  pc: 2,
  chain: 3,
  p0: 4,
  a: 5,
  b: 6,
  imm: 7,
  res: 8,
  addr: 9,
  nx: 10,
  rd: 11,
  e: 12,
  start: 13,
} as const;

/**
 * Where a handler's code may branch: to write `res` into rd and go on with
 * the next record, to go on without a write, or to leave the block for the
 * pc in `nx` (chained to its block when that one is in the chain table).
 */
interface Depths {
  write: number;
  advance: number;
  next: number;
}

type Handler = (c: Code, d: Depths) => void;

/** Pushes the pc of the record's instruction (i64). */
function insnPc(c: Code): void {
  c.localGet(L.p0).localGet(L.k).mem(OP.i32_load16_u, CODE, 1, R.off).op(OP.i64_extend_i32_u).op(OP.i64_add);
}

/** Leaves the block for the i64 pc on the stack, from `depth` below the `next` label. */
function leaveTo(c: Code, depth: number): void {
  c.localSet(L.nx).br(OP.br, depth);
}

/**
 * After a helper call, with its status on the stack: a fault leaves with
 * the instruction's pc in the slot, and where an exit's pc goes the
 * address of the first record of the block it is in (a chained call may
 * have run other blocks first: the caller tells the plugins of a fault in
 * a block with records, which it knows by that address).
 */
function checkStatus(c: Code): void {
  c.unlikely().open(OP.if);
  c.localGet(L.slot);
  insnPc(c);
  c.op(OP.f64_convert_i64_u).mem(OP.f64_store, REGS, 3, SLOT.ip);
  c.localGet(L.slot).localGet(L.start).op(OP.f64_convert_i32_u).mem(OP.f64_store, REGS, 3, SLOT.exitPc);
  c.f64Const(WASM_FAULT).op(OP.return);
  c.op(OP.end);
}

/** `res = f(a, b or imm)`, then the write. */
function alu(f: (c: Code) => void): Handler {
  return (c, d) => {
    f(c);
    c.localSet(L.res).br(OP.br, d.write);
  };
}

const a = (c: Code) => c.localGet(L.a);
const b = (c: Code) => c.localGet(L.b);
const imm = (c: Code) => c.localGet(L.imm);
const aw = (c: Code) => c.localGet(L.a).op(OP.i32_wrap_i64);
const bw = (c: Code) => c.localGet(L.b).op(OP.i32_wrap_i64);
const immw = (c: Code) => c.localGet(L.imm).op(OP.i32_wrap_i64);

/** A 64-bit operation of rs1 and `second` (rs2 or the immediate). */
function op64(opcode: number, second: (c: Code) => void): Handler {
  return alu((c) => (a(c), second(c), c.op(opcode)));
}

/** A comparison of rs1 and `second`, as 0 or 1. */
function compare(opcode: number, second: (c: Code) => void): Handler {
  return alu((c) => (a(c), second(c), c.op(opcode).op(OP.i64_extend_i32_u)));
}

/** A 32-bit operation of rs1's and `second`'s low words, sign-extended. */
function op32(opcode: number, second: (c: Code) => void): Handler {
  return alu((c) => (aw(c), second(c), c.op(opcode).op(OP.i64_extend_i32_s)));
}

/** One of the module's arithmetic helpers (`FN.mulhu`…) on rs1 and rs2. */
function helper(fn: number): Handler {
  return alu((c) => (a(c), b(c), c.call(fn)));
}

/** Pushes the i32 that is non-zero unless `size` bytes at `addr` may be accessed inline with page flags `mask` = `want`. */
function slowCondition(c: Code, size: number, mask: number, want: number): void {
  c.localGet(L.addr).i64Const(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64);
  if (size > 1) c.localGet(L.addr).op(OP.i32_wrap_i64).i32Const(size - 1).op(OP.i32_and).op(OP.i32_or);
  c.localGet(L.addr).op(OP.i32_wrap_i64).i32Const(PAGE_SHIFT).op(OP.i32_shr_u).mem(OP.i32_load8_u, PAGES, 0);
  c.i32Const(mask).op(OP.i32_and).i32Const(want).op(OP.i32_xor).op(OP.i32_or);
}

/** Pushes rs1 as the (low, high) pair and the immediate, as the slow-path helpers take them. */
function pushBase(c: Code): void {
  aw(c);
  c.localGet(L.a).i64Const(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64);
  immw(c);
}

function load(size: 1 | 2 | 4 | 8, signed: boolean): Handler {
  return (c, d) => {
    a(c), imm(c), c.op(OP.i64_add).localSet(L.addr);
    slowCondition(c, size, PROT_READ, PROT_READ);
    c.unlikely().open(OP.if);
    pushBase(c);
    c.i32Const(size).i32Const(signed ? 1 : 0).call(FN.ld);
    checkStatus(c);
    c.localGet(L.slot).mem(OP.i64_load, REGS, 3, SLOT.value).localSet(L.res);
    c.op(OP.else);
    c.localGet(L.addr).op(OP.i32_wrap_i64).mem(LOAD_OPS[size][signed ? 0 : 1], GUEST, 0).localSet(L.res);
    c.op(OP.end);
    c.br(OP.br, d.write);
  };
}

function store(size: 1 | 2 | 4 | 8): Handler {
  return (c, d) => {
    a(c), imm(c), c.op(OP.i64_add).localSet(L.addr);
    slowCondition(c, size, PROT_WRITE | PAGE_CODE, PROT_WRITE);
    c.unlikely().open(OP.if);
    c.localGet(L.slot), b(c), c.mem(OP.i64_store, REGS, 3, SLOT.value);
    pushBase(c);
    c.i32Const(size).call(FN.st);
    checkStatus(c);
    c.op(OP.else);
    c.localGet(L.addr).op(OP.i32_wrap_i64), b(c), c.mem(STORE_OPS[size], GUEST, 0);
    c.op(OP.end);
    c.br(OP.br, d.advance);
  };
}

/** A conditional branch (the block's last instruction): taken, it leaves with its target; else the block ends. */
function branch(opcode: number): Handler {
  return (c, d) => {
    a(c), b(c), c.op(opcode).open(OP.if);
    insnPc(c), imm(c), c.op(OP.i64_add);
    leaveTo(c, d.next + 1);
    c.op(OP.end).br(OP.br, d.advance);
  };
}

/** Writes the link (the pc after the instruction) to rd. */
function link(c: Code): void {
  c.localGet(L.rd);
  insnPc(c);
  c.localGet(L.k).mem(OP.i32_load8_u, CODE, 0, R.size).op(OP.i64_extend_i32_u).op(OP.i64_add);
  c.mem(OP.i64_store, REGS, 3, 0);
}

/**
 * Appends a plugin record to ring `size`'s batch store in the plugin
 * memory, as a region appends one (`instrument.ts`): `words` push its i32
 * words, each stored after the store's count, which then grows by as many.
 * A store without room for them is published first (the imported
 * `batchFull`), which empties it; a failure there leaves as a fault of the
 * record's instruction. Uses `e` (the store's offset) and `rd` (its count):
 * a record writes no register.
 */
function appendRecord(c: Code, words: readonly ((c: Code) => void)[]): void {
  const ring = () => c.localGet(L.k).mem(OP.i32_load8_u, CODE, 0, R.size);
  ring(), c.i32Const(BATCH_STORE_BYTES).op(OP.i32_mul).i32Const(BATCH_AREA).op(OP.i32_add).localTee(L.e);
  c.mem(OP.i32_load, PLUGINS, 2, 0).localTee(L.rd).i32Const(BATCH_WORDS - words.length).op(OP.i32_gt_u);
  c.unlikely().open(OP.if);
  ring(), c.call(FN.batchFull);
  checkStatus(c);
  c.localGet(L.e).mem(OP.i32_load, PLUGINS, 2, 0).localSet(L.rd);
  c.op(OP.end);
  words.forEach((push, n) => {
    c.localGet(L.e).localGet(L.rd).i32Const(2).op(OP.i32_shl).op(OP.i32_add);
    push(c);
    c.mem(OP.i32_store, PLUGINS, 2, 4 + 4 * n);
  });
  c.localGet(L.e).localGet(L.rd).i32Const(words.length).op(OP.i32_add).mem(OP.i32_store, PLUGINS, 2, 0);
}

/** The vCPU's index, from its slot (the caller writes it there). */
const vcpuIndex = (c: Code) => c.localGet(L.slot).mem(OP.i32_load, REGS, 2, SLOT.vcpuIndex);

/**
 * A plugin's block record (a `record` action where a block starts,
 * `plugin_actions.ts`): its id (the record's immediate) and the vCPU's
 * index.
 */
const blockRecord: Handler = (c, d) => {
  appendRecord(c, [(c) => c.localGet(L.k).mem(OP.i32_load, CODE, 2, R.imm), vcpuIndex]);
  c.br(OP.br, d.advance);
};

/**
 * A plugin's memory record of the access of the instruction before it (a
 * load's or a store's): its tag and id (the immediate), QEMU's meminfo
 * (the record's rd field, with the store bit for a store) and the vCPU's
 * index, the address and the value (`res` for a load, as it extended it;
 * for a store the whole register the record's rs2 names, as the other
 * tiers report it), its high word only for an access of 8 bytes.
 */
function memRecord(store: boolean): Handler {
  return (c, d) => {
    const info = (c: Code) => c.localGet(L.k).mem(OP.i32_load16_u, CODE, 1, R.rd);
    const value = store ? L.b : L.res;
    const words = (n: 4 | 5) =>
      [
        (c: Code) => c.localGet(L.k).mem(OP.i32_load, CODE, 2, R.imm),
        (c: Code) => {
          vcpuIndex(c), c.i32Const(17).op(OP.i32_shl), info(c), c.op(OP.i32_or);
          if (store) c.i32Const(1 << 16).op(OP.i32_or);
        },
        (c: Code) => c.localGet(L.addr).op(OP.i32_wrap_i64),
        (c: Code) => c.localGet(value).op(OP.i32_wrap_i64),
        (c: Code) => c.localGet(value).i64Const(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64),
      ].slice(0, n);
    // Eight bytes (size shift 3): five words.
    info(c), c.i32Const(0xf).op(OP.i32_and).i32Const(3).op(OP.i32_eq).open(OP.if);
    appendRecord(c, words(5));
    c.op(OP.else);
    appendRecord(c, words(4));
    c.op(OP.end);
    c.br(OP.br, d.advance);
  };
}

/**
 * The loads the interpreter runs: size and whether it sign-extends. Here once for the module's handlers and the
 * runtime's memory records (`interpreter.ts`), which must describe the same accesses.
 */
export const INTERPRETED_LOADS: readonly (readonly [Op, 1 | 2 | 4 | 8, boolean])[] = [
  ["lb", 1, true],
  ["lh", 2, true],
  ["lw", 4, true],
  ["ld", 8, true],
  ["lbu", 1, false],
  ["lhu", 2, false],
  ["lwu", 4, false],
];

/** The stores the interpreter runs, and their sizes (as {@link INTERPRETED_LOADS}). */
export const INTERPRETED_STORES: readonly (readonly [Op, 1 | 2 | 4 | 8])[] = [
  ["sb", 1],
  ["sh", 2],
  ["sw", 4],
  ["sd", 8],
];

/** The operations the interpreter runs, in the order of their numbers in records (0 ends a block). */
const HANDLERS: readonly [Op | "end" | "record" | "record.load" | "record.store", Handler][] = [
  ["end", (c, d) => {
    c.localGet(L.p0).localGet(L.k).mem(OP.i32_load16_u, CODE, 1, R.off).op(OP.i64_extend_i32_u).op(OP.i64_add);
    leaveTo(c, d.next);
  }],
  ["addi", op64(OP.i64_add, imm)],
  ["slti", compare(OP.i64_lt_s, imm)],
  ["sltiu", compare(OP.i64_lt_u, imm)],
  ["xori", op64(OP.i64_xor, imm)],
  ["ori", op64(OP.i64_or, imm)],
  ["andi", op64(OP.i64_and, imm)],
  ["slli", op64(OP.i64_shl, imm)],
  ["srli", op64(OP.i64_shr_u, imm)],
  ["srai", op64(OP.i64_shr_s, imm)],
  ["add", op64(OP.i64_add, b)],
  ["sub", op64(OP.i64_sub, b)],
  ["sll", op64(OP.i64_shl, b)],
  ["slt", compare(OP.i64_lt_s, b)],
  ["sltu", compare(OP.i64_lt_u, b)],
  ["xor", op64(OP.i64_xor, b)],
  ["srl", op64(OP.i64_shr_u, b)],
  ["sra", op64(OP.i64_shr_s, b)],
  ["or", op64(OP.i64_or, b)],
  ["and", op64(OP.i64_and, b)],
  ["addiw", op32(OP.i32_add, immw)],
  ["slliw", op32(OP.i32_shl, immw)],
  ["srliw", op32(OP.i32_shr_u, immw)],
  ["sraiw", op32(OP.i32_shr_s, immw)],
  ["addw", op32(OP.i32_add, bw)],
  ["subw", op32(OP.i32_sub, bw)],
  ["sllw", op32(OP.i32_shl, bw)],
  ["srlw", op32(OP.i32_shr_u, bw)],
  ["sraw", op32(OP.i32_shr_s, bw)],
  ["lui", alu(imm)],
  ["auipc", alu((c) => (insnPc(c), imm(c), c.op(OP.i64_add)))],
  ["mul", op64(OP.i64_mul, b)],
  ["mulw", op32(OP.i32_mul, bw)],
  ["mulh", helper(FN.mulh)],
  ["mulhsu", helper(FN.mulhsu)],
  ["mulhu", helper(FN.mulhu)],
  ["div", helper(FN.div)],
  ["divu", helper(FN.divu)],
  ["rem", helper(FN.rem)],
  ["remu", helper(FN.remu)],
  ["divw", helper(FN.divw)],
  ["divuw", helper(FN.divuw)],
  ["remw", helper(FN.remw)],
  ["remuw", helper(FN.remuw)],
  ...INTERPRETED_LOADS.map(([op, size, signed]): [Op, Handler] => [op, load(size, signed)]),
  ...INTERPRETED_STORES.map(([op, size]): [Op, Handler] => [op, store(size)]),
  ["beq", branch(OP.i64_eq)],
  ["bne", branch(OP.i64_ne)],
  ["blt", branch(OP.i64_lt_s)],
  ["bge", branch(OP.i64_ge_s)],
  ["bltu", branch(OP.i64_lt_u)],
  ["bgeu", branch(OP.i64_ge_u)],
  ["jal", (c, d) => {
    link(c);
    insnPc(c), imm(c), c.op(OP.i64_add);
    leaveTo(c, d.next);
  }],
  ["jalr", (c, d) => {
    // The target from rs1 as it was before the link is written (rd may be rs1).
    a(c), imm(c), c.op(OP.i64_add).i64Const(-2).op(OP.i64_and).localSet(L.nx);
    link(c);
    c.br(OP.br, d.next);
  }],
  ["ecall", (c) => {
    c.localGet(L.slot);
    insnPc(c);
    c.op(OP.f64_convert_i64_u).mem(OP.f64_store, REGS, 3, SLOT.exitPc);
    c.f64Const(EXIT_ECALL).op(OP.return);
  }],
  ["fence", (c, d) => void c.br(OP.br, d.advance)],
  ["fence.tso", (c, d) => void c.br(OP.br, d.advance)],
  ["record", blockRecord],
  ["record.load", memRecord(false)],
  ["record.store", memRecord(true)],
];

/** Each operation's number in records. */
export const NUMBER = new Map<string, number>(HANDLERS.map(([op], k) => [op, k]));

/** Whether each operation (by number) has an rd, which it writes (the others' records hold none). */
export const WRITES = HANDLERS.map(([op]) =>
  op !== "end" && !op.startsWith("record") && (ARG_SETS[OP_INFO[op as Op].args] as readonly string[]).includes("rd")
);

/** The interpreter function's code. */
function interpreterBody(): Uint8Array {
  const c = new Code(), n = HANDLERS.length;
  // The block's pc as an integer (a pc is below 2^64; trunc_sat_f64_u is 0xfc 7), and its first record.
  c.localGet(L.pc).op(0xfc).op(7).localSet(L.p0);
  c.localGet(L.k).localSet(L.start);
  c.open(OP.loop).open(OP.block).open(OP.block).open(OP.block);
  for (let k = 0; k < n; k++) c.open(OP.block);
  const field = (offset: number) =>
    c.localGet(L.slot).localGet(L.k).mem(OP.i32_load16_u, CODE, 1, offset).op(OP.i32_add);
  field(R.rs1), c.mem(OP.i64_load, REGS, 3, 0).localSet(L.a);
  field(R.rs2), c.mem(OP.i64_load, REGS, 3, 0).localSet(L.b);
  c.localGet(L.k).mem(OP.i32_load, CODE, 2, R.imm).op(OP.i64_extend_i32_s).localSet(L.imm);
  field(R.rd), c.localSet(L.rd);
  c.localGet(L.k).mem(OP.i32_load8_u, CODE, 0, R.op);
  c.brTable(HANDLERS.map((_, k) => k), 0);
  HANDLERS.forEach(([, handler], k) => {
    c.op(OP.end);
    handler(c, { write: n - 1 - k, advance: n - k, next: n - k + 1 });
  });
  c.op(OP.end); // the write
  c.localGet(L.rd).localGet(L.res).mem(OP.i64_store, REGS, 3, 0);
  c.op(OP.end); // the next record
  c.localGet(L.k).i32Const(RECORD).op(OP.i32_add).localSet(L.k);
  c.br(OP.br, 1);
  c.op(OP.end); // the next block, at pc nx: chained while the call may chain and the block has credit left
  c.localGet(L.chain).open(OP.if);
  c.localGet(L.nx).i64Const(1).op(OP.i64_shr_u).op(OP.i32_wrap_i64).i32Const(TABLE_ENTRIES - 1).op(OP.i32_and);
  c.i32Const(4).op(OP.i32_shl).localTee(L.e).mem(OP.i64_load, CODE, 3, 0);
  c.localGet(L.nx).i64Const(1).op(OP.i64_or).op(OP.i64_eq).open(OP.if);
  // The block's end record, where its credit is.
  c.localGet(L.e).mem(OP.i32_load, CODE, 2, 12).localTee(L.rd).mem(OP.i32_load, CODE, 2, R.imm);
  c.i32Const(0).op(OP.i32_gt_s).open(OP.if);
  c.localGet(L.rd).localGet(L.rd).mem(OP.i32_load, CODE, 2, R.imm).i32Const(1).op(OP.i32_sub);
  c.mem(OP.i32_store, CODE, 2, R.imm);
  c.localGet(L.chain).i32Const(1).op(OP.i32_sub).localSet(L.chain);
  c.localGet(L.e).mem(OP.i32_load, CODE, 2, 8).localTee(L.k).localSet(L.start);
  c.localGet(L.nx).localSet(L.p0);
  c.br(OP.br, 3);
  c.op(OP.end).op(OP.end).op(OP.end);
  c.localGet(L.nx).op(OP.f64_convert_i64_u).op(OP.return);
  c.op(OP.end); // the loop
  c.op(OP.unreachable);
  return body([I64, I64, I64, I64, I64, I64, I64, I32, I32, I32], c.bytes);
}

/** A bit slice of an instruction word (`rv64gc.decode`'s `pos:len`, or `pos:slen` when signed). */
export interface ScanSlice {
  readonly pos: number;
  readonly len: number;
  readonly signed: boolean;
}

/** A field of the encoding table: its slices, most significant first, then `<< shift` and `+ add`. */
export interface ScanField {
  readonly slices: readonly ScanSlice[];
  readonly shift: number;
  readonly add: number;
}

/** What an instruction's field is set to: a table field's value, or a constant. */
export type ScanValue = { readonly field: ScanField } | { readonly constant: number };

/**
 * One encoding of `rv64gc.decode` (`build/gen_decoder.ts` parses them), as
 * {@link scanBody} decodes it: the bits it fixes, and the fields a record
 * holds (0 when the pattern sets none).
 */
export interface ScanPattern {
  /** The operation, or `illegal` for a reserved encoding. */
  readonly op: string;
  readonly width: 16 | 32;
  readonly mask: number;
  readonly value: number;
  /** Whether the encoding needs an optional extension (its operation's, or its own as Zcb's forms do). */
  readonly optional: boolean;
  readonly rd?: ScanValue;
  readonly rs1?: ScanValue;
  readonly rs2?: ScanValue;
  readonly imm?: ScanValue;
  /** Whether the operation ends a block (`!jump`, `!branch`, `!exit`). */
  readonly flow: boolean;
}

/** Locals of the scan function: its parameters, then its own (all i32). */
const S = {
  pc: 0,
  at: 1,
  max: 2,
  limit: 3,
  credit: 4,
  raws: 5,
  a: 6,
  n: 7,
  lo: 8,
  w: 9,
  r: 10,
  word0: 11,
  wr: 12,
  rd: 13,
  rs1: 14,
  rs2: 15,
  imm: 16,
  flow: 17,
  size: 18,
} as const;

/** Labels by name over a {@link Code}, so that a `br` names where it goes instead of counting scopes. */
class Labels {
  private readonly open: string[] = [];
  constructor(private readonly c: Code) {}
  /** Opens a `block`, `loop` or `if` (with result type `type`) that `br(label)` reaches. */
  enter(opcode: typeof OP.block | typeof OP.loop | typeof OP.if, label = "", type: number = VOID): void {
    this.c.open(opcode, type);
    this.open.push(label);
  }
  end(): void {
    this.c.op(OP.end);
    this.open.pop();
  }
  depth(label: string): number {
    const at = this.open.lastIndexOf(label);
    if (at < 0) throw new Error(`no label ${label}`);
    return this.open.length - 1 - at;
  }
  br(label: string, opcode: typeof OP.br | typeof OP.br_if = OP.br): void {
    this.c.br(opcode, this.depth(label));
  }
}

/** Pushes `value` of the word in local `S.w`, computed as `decoder_generated.ts` computes it (0 when undefined). */
function scanValue(c: Code, value: ScanValue | undefined): void {
  if (value === undefined) return void c.i32Const(0);
  if ("constant" in value) return void c.i32Const(value.constant);
  const f = value.field;
  let width = f.slices.reduce((sum, s) => sum + s.len, 0), first = true;
  for (const s of f.slices) {
    width -= s.len;
    c.localGet(S.w);
    if (s.signed) c.i32Const(32 - s.pos - s.len).op(OP.i32_shl).i32Const(32 - s.len).op(OP.i32_shr_s);
    else c.i32Const(s.pos).op(OP.i32_shr_u).i32Const(2 ** s.len - 1).op(OP.i32_and);
    if (width + f.shift !== 0) c.i32Const(width + f.shift).op(OP.i32_shl);
    if (!first) c.op(OP.i32_or);
    first = false;
  }
  if (f.add !== 0) c.i32Const(f.add).op(OP.i32_add);
}

/** Pushes an i32 that is non-zero when 2 bytes at the address `addr` pushes may be fetched (below the limit, executable). */
function fetchable(c: Code, l: Labels, addr: () => void): void {
  addr(), c.op(OP.i64_extend_i32_u).i64Const(2).op(OP.i64_add);
  c.localGet(S.limit).op(OP.i64_extend_i32_u).op(OP.i64_le_u);
  l.enter(OP.if, "", I32);
  addr(), c.i32Const(PAGE_SHIFT).op(OP.i32_shr_u).mem(OP.i32_load8_u, PAGES, 0).i32Const(PROT_EXEC).op(OP.i32_and);
  c.op(OP.else).i32Const(0);
  l.end();
}

/** Leaves for the JavaScript path when no instruction was scanned yet, else ends the block before this one. */
function endOrGiveUp(c: Code, l: Labels): void {
  l.enter(OP.if);
  c.localGet(S.n).op(OP.i32_eqz);
  l.enter(OP.if);
  c.i32Const(0).op(OP.return);
  l.end();
  l.br("end");
  l.end();
}

/**
 * Decodes the `width`-bit word in `S.w`: a `br_table` on the bits every
 * pattern of that width fixes (the major opcode; a compressed word's
 * quadrant and top three bits), then that bucket's patterns most specific
 * first, as `decoder_generated.ts`'s leaves (the table's overlaps nest, so
 * the first that matches is the decoder's answer). An operation the
 * interpreter runs sets the record's locals and goes to `decoded`;
 * anything else goes to `bail`.
 */
function scanDecode(c: Code, l: Labels, patterns: readonly ScanPattern[], width: 16 | 32): void {
  const keyBits = width === 32 ? 0x7c : 0xe003;
  const keyValue = (k: number) => width === 32 ? k << 2 : (k & 3) | ((k >> 2) << 13);
  const ofWidth = patterns.filter((p) => p.width === width);
  for (let k = 31; k >= 0; k--) l.enter(OP.block, `b${k}`);
  if (width === 32) c.localGet(S.w).i32Const(2).op(OP.i32_shr_u).i32Const(31).op(OP.i32_and);
  else c.localGet(S.w).i32Const(3).op(OP.i32_and).localGet(S.w).i32Const(13).op(OP.i32_shr_u).i32Const(2);
  if (width === 16) c.op(OP.i32_shl).op(OP.i32_or);
  c.brTable(Array.from({ length: 32 }, (_, k) => l.depth(`b${k}`)), l.depth("b31"));
  for (let k = 0; k < 32; k++) {
    l.end();
    const bucket = ofWidth
      .filter((p) => ((p.value ^ keyValue(k)) & p.mask & keyBits) === 0)
      .sort((x, y) => popcount(y.mask) - popcount(x.mask));
    for (const p of bucket) {
      c.localGet(S.w).i32Const(p.mask).op(OP.i32_and).i32Const(p.value).op(OP.i32_eq);
      l.enter(OP.if);
      const op = NUMBER.get(p.op);
      if (op === undefined || op === 0 || p.optional) l.br("bail");
      else {
        c.i32Const(op | (width / 8) << 8).localSet(S.word0);
        c.i32Const(WRITES[op] ? 1 : 0).localSet(S.wr);
        scanValue(c, p.rd), c.localSet(S.rd);
        scanValue(c, p.rs1), c.localSet(S.rs1);
        scanValue(c, p.rs2), c.localSet(S.rs2);
        scanValue(c, p.imm), c.localSet(S.imm);
        c.i32Const(p.flow ? 1 : 0).localSet(S.flow);
        l.br("decoded");
      }
      l.end();
    }
    l.br("bail");
  }
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v !== 0; v &= v - 1) n++;
  return n;
}

/**
 * The scan function's code: decodes the block at `pc` (guest memory below
 * `limit`, on executable pages) as `translator.ts`'s `decodeBlock` does
 * (up to a control transfer, a page end, `max` instructions or an
 * instruction that cannot be fetched), writing each instruction's record
 * from `at` as `interpreter.ts` would, its word at `raws` (one i32 each),
 * and the end record with `credit`. Returns the block's length in bytes
 * times 512 plus its instructions, or 0 when the block has an instruction
 * the interpreter does not run (or an encoding of an optional extension,
 * or none at all): the JavaScript path then does it all, as before.
 */
function scanBody(patterns: readonly ScanPattern[]): Uint8Array {
  const c = new Code(), l = new Labels(c);
  c.localGet(S.pc).localSet(S.a).localGet(S.at).localSet(S.r).i32Const(0).localSet(S.n);
  l.enter(OP.block, "end");
  l.enter(OP.loop, "next");
  c.localGet(S.n).localGet(S.max).op(OP.i32_ge_u);
  l.br("end", OP.br_if);
  fetchable(c, l, () => c.localGet(S.a));
  c.op(OP.i32_eqz);
  endOrGiveUp(c, l);
  c.localGet(S.a).mem(OP.i32_load16_u, GUEST, 0).localSet(S.lo);
  l.enter(OP.block, "decoded");
  l.enter(OP.block, "bail");
  c.localGet(S.lo).i32Const(3).op(OP.i32_and).i32Const(3).op(OP.i32_eq);
  l.enter(OP.if);
  // Bits 4:2 all set announce an instruction longer than 32 bits (illegal here).
  c.localGet(S.lo).i32Const(0x1c).op(OP.i32_and).i32Const(0x1c).op(OP.i32_eq);
  l.br("bail", OP.br_if);
  fetchable(c, l, () => c.localGet(S.a).i32Const(2).op(OP.i32_add));
  c.op(OP.i32_eqz);
  endOrGiveUp(c, l);
  c.localGet(S.lo).localGet(S.a).i32Const(2).op(OP.i32_add).mem(OP.i32_load16_u, GUEST, 0).i32Const(16);
  c.op(OP.i32_shl).op(OP.i32_or).localSet(S.w).i32Const(4).localSet(S.size);
  scanDecode(c, l, patterns, 32);
  c.op(OP.else);
  c.localGet(S.lo).localSet(S.w).i32Const(2).localSet(S.size);
  scanDecode(c, l, patterns, 16);
  l.end(); // if
  l.end(); // bail
  c.i32Const(0).op(OP.return);
  l.end(); // decoded
  // The record, as interpreter.ts writes it: operation, size and rd (or the discard slot), rs1 and rs2, immediate, offset.
  c.localGet(S.r).localGet(S.word0);
  c.localGet(S.rd).i32Const(3).op(OP.i32_shl).i32Const(DISCARD);
  c.localGet(S.wr).localGet(S.rd).i32Const(0).op(OP.i32_ne).op(OP.i32_and).op(OP.select);
  c.i32Const(16).op(OP.i32_shl).op(OP.i32_or).mem(OP.i32_store, CODE, 2, 0);
  c.localGet(S.r).localGet(S.rs1).i32Const(3).op(OP.i32_shl);
  c.localGet(S.rs2).i32Const(19).op(OP.i32_shl).op(OP.i32_or).mem(OP.i32_store, CODE, 2, 4);
  c.localGet(S.r).localGet(S.imm).mem(OP.i32_store, CODE, 2, 8);
  c.localGet(S.r).localGet(S.a).localGet(S.pc).op(OP.i32_sub).mem(OP.i32_store, CODE, 2, 12);
  c.localGet(S.raws).localGet(S.n).i32Const(2).op(OP.i32_shl).op(OP.i32_add).localGet(S.w).mem(
    OP.i32_store,
    CODE,
    2,
    0,
  );
  c.localGet(S.n).i32Const(1).op(OP.i32_add).localSet(S.n);
  c.localGet(S.r).i32Const(RECORD).op(OP.i32_add).localSet(S.r);
  c.localGet(S.a).localGet(S.size).op(OP.i32_add).localSet(S.a);
  c.localGet(S.flow);
  l.br("end", OP.br_if);
  // Blocks stay within one page (an instruction may straddle its end).
  c.localGet(S.a).i32Const(PAGE_SHIFT).op(OP.i32_shr_u).localGet(S.pc).i32Const(PAGE_SHIFT).op(OP.i32_shr_u);
  c.op(OP.i32_ne);
  l.br("end", OP.br_if);
  l.br("next");
  l.end(); // loop
  l.end(); // end
  c.localGet(S.r).i32Const(0).mem(OP.i32_store, CODE, 2, 0);
  c.localGet(S.r).i32Const(0).mem(OP.i32_store, CODE, 2, 4);
  c.localGet(S.r).localGet(S.credit).mem(OP.i32_store, CODE, 2, 8);
  c.localGet(S.r).localGet(S.a).localGet(S.pc).op(OP.i32_sub).mem(OP.i32_store, CODE, 2, 12);
  c.localGet(S.a).localGet(S.pc).op(OP.i32_sub).i32Const(9).op(OP.i32_shl).localGet(S.n).op(OP.i32_or);
  return body(new Array(13).fill(I32), c.bytes);
}

/**
 * The interpreter's module. Its memories' limits are loose (a shared guest
 * memory of at most 4 GiB, any page-flag memory, the register arena, the
 * code memory), so that one module fits every address space.
 */
export function interpreterModule(patterns: readonly ScanPattern[]): Uint8Array<ArrayBuffer> {
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const types: number[] = [TYPES.length];
  for (const [params, results] of TYPES) types.push(0x60, params.length, ...params, results.length, ...results);
  section(out, 1, types);
  const imports: number[] = [8];
  const imp = (module: string, field: string) => (name(imports, module), name(imports, field));
  imp("h", "ld"), imports.push(0x00, 0);
  imp("h", "st"), imports.push(0x00, 1);
  imp("h", "batchFull"), imports.push(0x00, 5);
  imp("m", "guest"), imports.push(0x02, 0x03, 0), unsignedLeb(imports, 65536);
  imp("m", "pages"), imports.push(0x02, 0x00, 0);
  imp("m", "regs"), imports.push(0x02, 0x03, 1), unsignedLeb(imports, ARENA_MAX_PAGES);
  imp("m", "code"), imports.push(0x02, 0x01), unsignedLeb(imports, CODE_PAGES), unsignedLeb(imports, CODE_MAX_PAGES);
  imp("m", "plugins"), imports.push(0x02, 0x03, 0), unsignedLeb(imports, 65536);
  section(out, 2, imports);
  section(out, 3, [HELPERS.length + 2, ...HELPERS.map(() => 2), 3, 4]);
  const exports: number[] = [2];
  name(exports, "run");
  exports.push(0x00, FN.run);
  name(exports, "scan");
  exports.push(0x00, FN.scan);
  section(out, 7, exports);
  const bodies = [
    ...HELPERS.map((make) => {
      const c = new Code();
      return body(make(c), c.bytes);
    }),
    interpreterBody(),
    scanBody(patterns),
  ];
  const code: number[] = [bodies.length];
  for (const f of bodies) for (const byte of f) code.push(byte);
  section(out, 10, code);
  return new Uint8Array(out);
}
