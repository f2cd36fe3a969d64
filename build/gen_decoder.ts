/**
 * Generates the RV64GC instruction decoder and the operations' metadata from
 * their declarative table.
 *
 * Reads `core/isa/rv64gc.decode` (decodetree-like: fields, argument sets,
 * formats, one pattern per instruction with the properties the encoding
 * cannot say), checks that overlapping patterns nest (so the most specific one
 * wins, whatever their order), builds a decision tree that switches on the
 * bits all remaining patterns fix, and writes it as TypeScript to
 * `core/isa/decoder_generated.ts`; the operations themselves (the `Op` type,
 * their list and properties) go to `core/isa/ops_generated.ts`. Run it with
 * `deno task gen`.
 *
 * @module
 */

/** Path of the encoding table, relative to the repository root. */
export const TABLE_PATH = "core/isa/rv64gc.decode";
/** Path of the generated decoder, relative to the repository root. */
export const OUTPUT_PATH = "core/isa/decoder_generated.ts";
/** Path of the generated operation metadata, relative to the repository root. */
export const OPS_OUTPUT_PATH = "core/isa/ops_generated.ts";
/** Path of this script, as named in the generated file's banner. */
const SCRIPT_PATH = "build/gen_decoder.ts";

/** Insn fields a table may assign, in the order `Insn` declares them. */
const INSN_FIELDS = ["rd", "rs1", "rs2", "rs3", "imm", "rm", "aq", "rl", "csr"] as const;
type InsnField = typeof INSN_FIELDS[number];
const BOOLEAN_FIELDS: ReadonlySet<string> = new Set(["aq", "rl"]);
/** Insn fields that name registers, which `!fp=` may mark as floating-point ones. */
const REGISTER_FIELDS = ["rd", "rs1", "rs2", "rs3"] as const;
type RegisterField = typeof REGISTER_FIELDS[number];

/** How an operation ends a block (`!jump`, `!branch`, `!exit`). */
const FLOWS = ["jump", "branch", "exit"] as const;
type Flow = typeof FLOWS[number];
/** Kinds of memory access (`!load=`, `!store=`, `!lr=`, `!sc=`, `!amo=`). */
const ACCESSES = ["load", "store", "lr", "sc", "amo"] as const;
type AccessKind = typeof ACCESSES[number];

/** An operation's memory access: kind, size in bytes and, for loads, whether the value is sign-extended. */
export interface MemAccess {
  kind: AccessKind;
  size: 1 | 2 | 4 | 8;
  signed?: boolean;
}

/** What a pattern line's `!` properties say about its operation. */
export interface Properties {
  flow?: Flow;
  mem?: MemAccess;
  /** The register fields that name floating-point registers, in `REGISTER_FIELDS` order. */
  fp: RegisterField[];
  /** The optional extension the operation belongs to (`!ext=`), if not RV64GC. */
  ext?: string;
  /** An optional extension the operation needs as well as its own (`!needs=`). */
  needs?: string;
}

/** A bit slice of an instruction word, `len` bits from bit `pos` up. */
interface Slice {
  pos: number;
  len: number;
  signed: boolean;
}

/** A named field: slices concatenated most significant first, then `<< shift`, then `+ add`. */
interface Field {
  name: string;
  slices: Slice[];
  shift: number;
  add: number;
}

/** What an Insn field is set to: a table field's value or a constant. */
type Value = { field: Field } | { constant: number };

/** One pattern, resolved: the bits it fixes and how its Insn is built. */
export interface Pattern {
  /** The Insn op, or `illegal` for a reserved encoding. */
  op: string;
  /** 16 or 32. */
  width: number;
  /** Bits the pattern fixes. */
  mask: number;
  /** Their required values. */
  value: number;
  /** Insn fields this pattern sets; the others are 0. */
  assign: Map<InsnField, Value>;
  /** The format's name (or argument set's, prefixed `args_`), naming its builder. */
  format: string;
  /** The argument set's name (empty for `illegal` patterns, which have none). */
  argSet: string;
  /** The line's `!` properties, when it has any. */
  props?: Properties;
  /** 1-based line in the table, for messages. */
  line: number;
}

interface Format {
  bits: string;
  argSet: string;
  args: string[];
  assign: Map<InsnField, Value>;
}

/** One operation: what all its patterns share. */
export interface OpDef {
  op: string;
  /** The argument set every pattern of the op fills. */
  argSet: string;
  /** Whether the argument set has a rounding-mode field. */
  rm: boolean;
  /** The properties given on the op's first pattern. */
  props: Properties;
}

/** The parsed table: its patterns in table order, its argument sets, and its operations in order of first pattern. */
export interface Table {
  patterns: Pattern[];
  argSets: Map<string, string[]>;
  ops: OpDef[];
  /** The extensions declared on lines of their own (`!ext=NAME`): they have no operation of their own. */
  declared: string[];
}

/** A decision tree node: a switch on some bits, or an ordered list of candidates. */
type Node =
  | { kind: "switch"; mask: number; cases: Map<number, Node> }
  | { kind: "leaf"; known: number; patterns: Pattern[] };

class TableError extends Error {
  constructor(line: number, message: string) {
    super(`${TABLE_PATH}:${line}: ${message}`);
    this.name = "TableError";
  }
}

/**
 * Generates the decoder module's source text from the table's text.
 *
 * @param tableText The contents of `core/isa/rv64gc.decode`.
 * @returns The TypeScript source of `core/isa/decoder_generated.ts`.
 * @throws {Error} When the table is malformed or two patterns overlap without nesting.
 *
 * @example Regenerate in memory
 * ```ts
 * import { generateDecoder, TABLE_PATH } from "./gen_decoder.ts";
 * import { strictEqual } from "node:assert";
 * const source = generateDecoder(Deno.readTextFileSync(TABLE_PATH));
 * strictEqual(source.split(". ")[0], "// Generated by build/gen_decoder.ts from core/isa/rv64gc.decode");
 * ```
 */
export function generateDecoder(tableText: string): string {
  const table = parseTable(tableText);
  checkOverlaps(table.patterns);
  const tree16 = buildTree(table.patterns.filter((p) => p.width === 16), 0);
  const tree32 = buildTree(table.patterns.filter((p) => p.width === 32), 0);
  return emitModule(table, tree16, tree32);
}

/**
 * Generates the operation metadata module's source text from the table's text:
 * the `Op` union of every operation name, their list, and per operation its
 * argument set, control flow, memory access and floating-point use.
 *
 * @param tableText The contents of `core/isa/rv64gc.decode`.
 * @returns The TypeScript source of `core/isa/ops_generated.ts`.
 * @throws {Error} When the table is malformed.
 *
 * @example List the operations that end a block
 * ```ts
 * import { generateOps, parseTable, TABLE_PATH } from "./gen_decoder.ts";
 * import { strictEqual } from "node:assert";
 * const text = Deno.readTextFileSync(TABLE_PATH);
 * const ends = parseTable(text).ops.filter((o) => o.props.flow).map((o) => o.op);
 * strictEqual(ends.join(" "), "jal jalr beq bne blt bge bltu bgeu ecall ebreak fence.i");
 * strictEqual(generateOps(text).split(". ")[0], "// Generated by build/gen_decoder.ts from core/isa/rv64gc.decode");
 * ```
 */
export function generateOps(tableText: string): string {
  return emitOpsModule(parseTable(tableText));
}

// ---------------------------------------------------------------- parsing

/**
 * Parses the table text into resolved patterns.
 *
 * @param text The table's contents.
 * @returns The patterns in table order.
 * @throws {Error} On the first malformed line, naming it.
 */
export function parseTable(text: string): Table {
  const fields = new Map<string, Field>();
  const argSets = new Map<string, string[]>();
  const formats = new Map<string, Format>();
  const patterns: Pattern[] = [];
  const declared = new Map<string, number>(); // extension name → line

  text.split("\n").forEach((raw, index) => {
    const line = index + 1;
    const tokens = raw.replace(/#.*/, "").trim().split(/\s+/).filter((t) => t !== "");
    if (tokens.length === 0) return;
    const [head, ...rest] = tokens;
    if (head.startsWith("%")) {
      fields.set(head.slice(1), parseField(head.slice(1), rest, line));
    } else if (head.startsWith("&")) {
      for (const arg of rest) {
        if (!(INSN_FIELDS as readonly string[]).includes(arg)) {
          throw new TableError(line, `Unknown Insn field "${arg}" in argument set ${head}`);
        }
      }
      argSets.set(head.slice(1), rest);
    } else if (head.startsWith("@")) {
      formats.set(head.slice(1), parseFormat(rest, fields, argSets, line));
    } else if (head.startsWith("!")) {
      declared.set(parseDeclaration(head, rest, declared, line), line);
    } else {
      patterns.push(parsePattern(head, rest, fields, argSets, formats, line));
    }
  });
  const ops = collectOps(patterns, argSets);
  for (const [name, line] of declared) {
    if (ops.some((o) => o.props.ext === name)) {
      throw new TableError(
        line,
        `Extension ${name} is declared on a line of its own but has operations (!ext=${name})`,
      );
    }
  }
  return { patterns, argSets, ops, declared: [...declared.keys()] };
}

/**
 * Parses a declaration line, `!ext=NAME`: an optional extension with no
 * operation of its own, which changes what other extensions' operations do
 * (Zvfhmin makes V's FP conversions legal at SEW 16), so that `-cpu` can
 * name it and the `Extension` type has it.
 */
function parseDeclaration(head: string, rest: string[], declared: ReadonlyMap<string, number>, line: number): string {
  const m = head.match(/^!ext=([a-z][a-z0-9]*)$/);
  if (!m || rest.length > 0) {
    throw new TableError(
      line,
      `Bad declaration "${[head, ...rest].join(" ")}": a line of its own may only be !ext=NAME`,
    );
  }
  if (declared.has(m[1])) throw new TableError(line, `Extension ${m[1]} is declared twice`);
  return m[1];
}

function parseField(name: string, tokens: string[], line: number): Field {
  const field: Field = { name, slices: [], shift: 0, add: 0 };
  for (const token of tokens) {
    let m: RegExpMatchArray | null;
    if ((m = token.match(/^(\d+):(s?)(\d+)$/))) {
      const slice = { pos: Number(m[1]), len: Number(m[3]), signed: m[2] === "s" };
      if (slice.signed && field.slices.length > 0) {
        throw new TableError(line, `Only the first slice of %${name} may be signed, not ${token}`);
      }
      if (slice.len === 0 || slice.pos + slice.len > 32) {
        throw new TableError(line, `Slice ${token} of %${name} lies outside a 32-bit word`);
      }
      field.slices.push(slice);
    } else if ((m = token.match(/^<<(\d+)$/))) {
      field.shift = Number(m[1]);
    } else if ((m = token.match(/^\+(\d+)$/))) {
      field.add = Number(m[1]);
    } else {
      throw new TableError(line, `Bad token "${token}" in field %${name}`);
    }
  }
  if (field.slices.length === 0) throw new TableError(line, `Field %${name} has no bit slice`);
  return field;
}

/** Splits the leading bit-pattern tokens from the rest of a format or pattern line. */
function splitBits(tokens: string[]): { bits: string; rest: string[] } {
  let i = 0;
  while (i < tokens.length && /^[01.-]+$/.test(tokens[i])) i++;
  return { bits: tokens.slice(0, i).join(""), rest: tokens.slice(i) };
}

function parseAssignments(
  tokens: string[],
  fields: Map<string, Field>,
  line: number,
): Map<InsnField, Value> {
  const assign = new Map<InsnField, Value>();
  for (const token of tokens) {
    const m = token.match(/^(?:(\w+)=)?(%\w+|-?\d+)$/);
    if (!m || (m[1] === undefined && !m[2].startsWith("%"))) {
      throw new TableError(line, `Bad assignment "${token}"`);
    }
    const target = m[1] ?? m[2].slice(1);
    if (!(INSN_FIELDS as readonly string[]).includes(target)) {
      throw new TableError(line, `Unknown Insn field "${target}" in "${token}"`);
    }
    let value: Value;
    if (m[2].startsWith("%")) {
      const field = fields.get(m[2].slice(1));
      if (!field) throw new TableError(line, `Unknown field ${m[2]}`);
      value = { field };
    } else {
      value = { constant: Number(m[2]) };
    }
    assign.set(target as InsnField, value);
  }
  return assign;
}

function lookupArgs(token: string | undefined, argSets: Map<string, string[]>, line: number): string[] {
  if (token === undefined || !token.startsWith("&")) {
    throw new TableError(line, `Expected an argument set, got "${token ?? ""}"`);
  }
  const args = argSets.get(token.slice(1));
  if (!args) throw new TableError(line, `Unknown argument set ${token}`);
  return args;
}

function checkAssignments(assign: Map<InsnField, Value>, args: string[], line: number): void {
  for (const name of assign.keys()) {
    if (!args.includes(name)) throw new TableError(line, `Field "${name}" is not in the argument set`);
  }
}

function parseFormat(
  tokens: string[],
  fields: Map<string, Field>,
  argSets: Map<string, string[]>,
  line: number,
): Format {
  const { bits, rest } = splitBits(tokens);
  const args = lookupArgs(rest[0], argSets, line);
  const assign = parseAssignments(rest.slice(1), fields, line);
  checkAssignments(assign, args, line);
  return { bits, argSet: rest[0].slice(1), args, assign };
}

function parsePattern(
  op: string,
  tokens: string[],
  fields: Map<string, Field>,
  argSets: Map<string, string[]>,
  formats: Map<string, Format>,
  line: number,
): Pattern {
  if (!/^[a-z][a-z0-9.]*$/.test(op)) throw new TableError(line, `Bad instruction name "${op}"`);
  const { bits, rest: afterBits } = splitBits(tokens);
  const width = bits.length;
  if (width !== 16 && width !== 32) {
    throw new TableError(line, `Pattern ${op} has ${width} bits, expected 16 or 32`);
  }
  const firstProperty = afterBits.findIndex((t) => t.startsWith("!"));
  const rest = firstProperty < 0 ? afterBits : afterBits.slice(0, firstProperty);
  const propertyTokens = firstProperty < 0 ? [] : afterBits.slice(firstProperty);
  let formatBits = ".".repeat(width);
  let args: string[] = [];
  let formatName = "illegal";
  let argSet = "";
  const assign = new Map<InsnField, Value>();
  let i = 0;
  if (rest[i]?.startsWith("@")) {
    formatName = rest[i].slice(1);
    const format = formats.get(rest[i].slice(1));
    if (!format) throw new TableError(line, `Unknown format ${rest[i]}`);
    if (format.bits.length !== width) {
      throw new TableError(line, `Format ${rest[i]} has ${format.bits.length} bits, pattern ${op} has ${width}`);
    }
    formatBits = format.bits;
    args = format.args;
    argSet = format.argSet;
    for (const [k, v] of format.assign) assign.set(k, v);
    i++;
  } else if (rest[i]?.startsWith("&")) {
    args = lookupArgs(rest[i], argSets, line);
    argSet = rest[i].slice(1);
    formatName = `args_${argSet}`;
    i++;
  } else if (op !== "illegal") {
    throw new TableError(line, `Pattern ${op} names neither a format nor an argument set`);
  }
  if (op === "illegal" && propertyTokens.length > 0) {
    throw new TableError(line, `Pattern illegal cannot have properties, got "${propertyTokens[0]}"`);
  }
  const props = propertyTokens.length > 0 ? parseProperties(op, propertyTokens, args, line) : undefined;
  const own = parseAssignments(rest.slice(i), fields, line);
  checkAssignments(own, args, line);
  for (const [k, v] of own) assign.set(k, v);

  let mask = 0;
  let value = 0;
  for (let k = 0; k < width; k++) {
    const bit = width - 1 - k;
    const p = bits[k];
    const f = formatBits[k];
    if ((p === "0" || p === "1") && (f === "0" || f === "1") && p !== f) {
      throw new TableError(line, `Pattern ${op} bit ${bit} is ${p} but its format fixes it to ${f}`);
    }
    const fixed = p === "0" || p === "1" ? p : f;
    if (fixed === "0" || fixed === "1") {
      mask |= 1 << bit;
      if (fixed === "1") value |= 1 << bit;
    }
  }
  const quadrant = value & 3;
  if ((mask & 3) !== 3 || (width === 16) !== (quadrant !== 3)) {
    throw new TableError(line, `Pattern ${op} has bits 1:0 that do not match its ${width}-bit length`);
  }
  return { op, width, mask: mask | 0, value: value | 0, assign, format: formatName, argSet, props, line };
}

/**
 * Parses a pattern line's properties: `!jump`, `!branch`, `!exit` (how the
 * operation ends a block), `!load=N` / `!load=Nu`, `!store=N`, `!lr=N`,
 * `!sc=N`, `!amo=N` (its memory access of N bytes; `u` for a load that
 * zero-extends), `!fp=rd,rs1,…` (the fields that name FP registers) and
 * `!ext=NAME` (the optional extension it belongs to) and `!needs=NAME` (one
 * it needs as well).
 */
function parseProperties(op: string, tokens: string[], args: string[], line: number): Properties {
  const props: Properties = { fp: [] };
  for (const token of tokens) {
    const m = token.match(/^!([a-z]+)(?:=(.*))?$/);
    if (!m) throw new TableError(line, `Bad property "${token}" of ${op}: properties are !name or !name=value`);
    const [, name, value] = m;
    if ((FLOWS as readonly string[]).includes(name)) {
      if (value !== undefined) throw new TableError(line, `Property !${name} of ${op} takes no value`);
      if (props.flow) {
        throw new TableError(line, `Pattern ${op} has two control-flow properties, !${props.flow} and !${name}`);
      }
      props.flow = name as Flow;
    } else if ((ACCESSES as readonly string[]).includes(name)) {
      const size = value?.match(name === "load" ? /^([1248])(u?)$/ : /^([1248])$/);
      if (!size) {
        const expected = name === "load" ? "1, 2, 4 or 8, with u when zero-extended" : "1, 2, 4 or 8";
        throw new TableError(line, `Property ${token} of ${op} needs a size in bytes: ${expected}`);
      }
      if (props.mem) {
        throw new TableError(line, `Pattern ${op} has two memory accesses, !${props.mem.kind} and !${name}`);
      }
      if (!args.includes("rs1")) {
        throw new TableError(line, `Pattern ${op} accesses memory but has no rs1 (the address)`);
      }
      props.mem = { kind: name as AccessKind, size: Number(size[1]) as 1 | 2 | 4 | 8 };
      if (name === "load") props.mem.signed = size[2] !== "u";
    } else if (name === "fp") {
      if (props.fp.length > 0) throw new TableError(line, `Pattern ${op} has two !fp properties`);
      const regs = (value ?? "").split(",");
      for (const reg of regs) {
        if (!(REGISTER_FIELDS as readonly string[]).includes(reg)) {
          throw new TableError(line, `Property !fp of ${op} names "${reg}", not one of ${REGISTER_FIELDS.join(", ")}`);
        }
        if (!args.includes(reg)) {
          throw new TableError(line, `Property !fp of ${op} names ${reg}, which is not in its argument set`);
        }
      }
      if (new Set(regs).size !== regs.length) {
        throw new TableError(line, `Pattern ${op} names an FP register field twice`);
      }
      props.fp = REGISTER_FIELDS.filter((r) => regs.includes(r));
    } else if (name === "ext") {
      if (!value || !/^[a-z][a-z0-9]*$/.test(value)) {
        throw new TableError(line, `Property ${token} of ${op} needs an extension name in lower case`);
      }
      if (props.ext) throw new TableError(line, `Pattern ${op} has two !ext properties`);
      props.ext = value;
    } else if (name === "needs") {
      if (!value || !/^[a-z][a-z0-9]*$/.test(value)) {
        throw new TableError(line, `Property ${token} of ${op} needs an extension name in lower case`);
      }
      if (props.needs) throw new TableError(line, `Pattern ${op} has two !needs properties`);
      props.needs = value;
    } else {
      throw new TableError(
        line,
        `Unknown property !${name} of ${op}; known: ${
          [...FLOWS, ...ACCESSES, "fp", "ext", "needs"].map((p) => `!${p}`).join(" ")
        }`,
      );
    }
  }
  if (props.needs && !props.ext) {
    throw new TableError(line, `Pattern ${op} has !needs=${props.needs} but no !ext of its own`);
  }
  return props;
}

/**
 * Gathers the operations, in order of their first pattern. The properties
 * belong to the operation, so they are given once, on its first pattern (the
 * compressed forms that follow inherit them); every pattern of an operation
 * fills the same argument set, so that one implementation serves them all.
 */
function collectOps(patterns: Pattern[], argSets: Map<string, string[]>): OpDef[] {
  const ops = new Map<string, OpDef & { line: number }>();
  for (const p of patterns) {
    if (p.op === "illegal") continue;
    const first = ops.get(p.op);
    if (!first) {
      const rm = argSets.get(p.argSet)!.includes("rm");
      ops.set(p.op, { op: p.op, argSet: p.argSet, rm, props: p.props ?? { fp: [] }, line: p.line });
      continue;
    }
    if (p.props && !encodingExtension(p)) {
      throw new TableError(
        p.line,
        `Properties of ${p.op} belong on its first pattern (line ${first.line}); ` +
          "a compressed form may only name an extension of its own (!ext=)",
      );
    }
    if (p.argSet !== first.argSet) {
      throw new TableError(
        p.line,
        `Pattern ${p.op} fills &${p.argSet} but its first pattern (line ${first.line}) fills &${first.argSet}`,
      );
    }
  }
  return [...ops.values()].map(({ op, argSet, rm, props }) => ({ op, argSet, rm, props }));
}

/**
 * The extension a compressed encoding needs beyond its operation's: `!ext=`
 * alone on a compressed pattern that is not its operation's first (Zcb's
 * `c.lbu` is an `lbu`, which RV64GC has, but only Zcb has the encoding).
 */
export function encodingExtension(p: Pattern): string | undefined {
  const props = p.props;
  if (p.width !== 16 || !props?.ext || props.needs || props.flow || props.mem || props.fp.length) return undefined;
  return props.ext;
}

// ---------------------------------------------------------------- checking

/**
 * Rejects any two same-width patterns that can match one word unless one is
 * strictly more specific, or a third pattern covers exactly their
 * intersection; the decoder's answer then never depends on the table's order.
 *
 * @param patterns The resolved patterns.
 * @throws {Error} Naming both lines on the first ambiguous pair.
 */
function checkOverlaps(patterns: Pattern[]): void {
  const exact = new Set(patterns.map((p) => `${p.width}:${p.mask}:${p.value}`));
  for (let i = 0; i < patterns.length; i++) {
    for (let j = i + 1; j < patterns.length; j++) {
      const a = patterns[i];
      const b = patterns[j];
      if (a.width !== b.width || ((a.value ^ b.value) & a.mask & b.mask) !== 0) continue;
      const common = a.mask & b.mask;
      const nested = (common === a.mask || common === b.mask) && a.mask !== b.mask;
      const union = a.mask | b.mask;
      const covered = union !== a.mask && union !== b.mask && exact.has(`${a.width}:${union}:${a.value | b.value}`);
      if (!nested && !covered) {
        throw new Error(
          `${TABLE_PATH}: patterns ${a.op} (line ${a.line}) and ${b.op} (line ${b.line}) ` +
            `overlap ambiguously; make one more specific or add a pattern for their intersection`,
        );
      }
    }
  }
}

// ---------------------------------------------------------------- decision tree

function popcount(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v !== 0; v &= v - 1) n++;
  return n;
}

/**
 * Splits patterns on the bits they all fix (beyond those already known),
 * recursively. A leaf keeps its candidates most specific first; the overlap
 * check guarantees that the first one that matches is the right one.
 */
function buildTree(patterns: Pattern[], known: number): Node {
  let common = ~known;
  for (const p of patterns) common &= p.mask;
  if (patterns.length > 1 && common !== 0) {
    const groups = new Map<number, Pattern[]>();
    for (const p of patterns) {
      const key = p.value & common;
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    const cases = new Map<number, Node>();
    for (const [key, group] of [...groups].sort((x, y) => (x[0] >>> 0) - (y[0] >>> 0))) {
      cases.set(key, buildTree(group, known | common));
    }
    return { kind: "switch", mask: common, cases };
  }
  const sorted = [...patterns].sort((a, b) => popcount(b.mask) - popcount(a.mask) || a.line - b.line);
  return { kind: "leaf", known, patterns: sorted };
}

// ---------------------------------------------------------------- emitting

function hex(x: number): string {
  return x < 0 ? `-0x${(-x).toString(16)}` : `0x${x.toString(16)}`;
}

function ctz(x: number): number {
  let n = 0;
  while (n < 32 && ((x >>> n) & 1) === 0) n++;
  return n;
}

function fieldFunctionName(field: Field): string {
  return `f_${field.name}`;
}

/** The expression that extracts `field` from the word `w`. */
function fieldExpression(field: Field): string {
  let width = field.slices.reduce((sum, s) => sum + s.len, 0);
  const parts: string[] = [];
  for (const s of field.slices) {
    width -= s.len;
    let part: string;
    if (s.signed) {
      part = s.pos + s.len === 32 ? `(w >> ${s.pos})` : `((w << ${32 - s.pos - s.len}) >> ${32 - s.len})`;
    } else {
      part = s.pos === 0 ? `(w & ${hex(2 ** s.len - 1)})` : `((w >>> ${s.pos}) & ${hex(2 ** s.len - 1)})`;
    }
    const shift = width + field.shift;
    parts.push(shift === 0 ? part : `(${part} << ${shift})`);
  }
  // One slice per line keeps long immediates readable (and stable under deno fmt).
  const expr = parts.length > 2 ? parts.join(" |\n    ") : parts.join(" | ");
  if (field.add !== 0) return parts.length > 1 ? `(${expr}) + ${field.add}` : `${expr} + ${field.add}`;
  return parts.length === 1 && expr.startsWith("(") && expr.endsWith(")") ? expr.slice(1, -1) : expr;
}

function valueExpression(name: InsnField, value: Value | undefined): string {
  const isBool = BOOLEAN_FIELDS.has(name);
  if (value === undefined) return isBool ? "false" : "0";
  if ("constant" in value) return isBool ? String(value.constant !== 0) : String(value.constant);
  const call = `${fieldFunctionName(value.field)}(w)`;
  return isBool ? `${call} !== 0` : call;
}

/**
 * Patterns that build their Insn the same way share a builder function, so a
 * leaf of the tree is one short line. The key is the width and the assignments.
 */
class Builders {
  readonly byKey = new Map<string, { name: string; width: number; assign: Map<InsnField, Value> }>();

  nameFor(p: Pattern): string {
    const args = INSN_FIELDS.map((name) => valueExpression(name, p.assign.get(name)));
    const key = `${p.width}:${args.join(",")}`;
    let builder = this.byKey.get(key);
    if (!builder) {
      const base = `${p.format}${p.width === 16 && !p.format.startsWith("c_") ? "16" : ""}`;
      let name = `b_${base}`;
      for (let n = 2; [...this.byKey.values()].some((b) => b.name === name); n++) name = `b_${base}_${n}`;
      builder = { name, width: p.width, assign: p.assign };
      this.byKey.set(key, builder);
    }
    return builder.name;
  }
}

function returnStatement(p: Pattern, builders: Builders): string {
  if (p.op === "illegal") return "return null;";
  return `return ${builders.nameFor(p)}(${JSON.stringify(p.op)}, w);`;
}

function emitBuilders(builders: Builders, out: string[]): void {
  for (const { name, width, assign } of builders.byKey.values()) {
    const args = INSN_FIELDS.map((field) => valueExpression(field, assign.get(field)));
    const raw = width === 32 ? "w >>> 0" : "w";
    out.push(`function ${name}(op: Op, w: number): Insn {`);
    out.push(`  return insn(op, ${raw}, ${width / 8}, ${args.join(", ")});`);
    out.push("}", "");
  }
}

function emitNode(node: Node, indent: string, builders: Builders, out: string[]): void {
  if (node.kind === "switch") {
    const shift = ctz(node.mask);
    const discriminant = shift === 0 && node.mask > 0
      ? `w & ${hex(node.mask >>> 0)}`
      : `(w & ${hex(node.mask >>> 0)}) >>> ${shift}`;
    out.push(`${indent}switch (${discriminant}) {`);
    for (const [key, child] of node.cases) {
      out.push(`${indent}  case ${hex(key >>> shift)}:`);
      emitNode(child, indent + "    ", builders, out);
    }
    out.push(`${indent}}`);
    out.push(`${indent}return null;`);
    return;
  }
  for (const p of node.patterns) {
    const rest = p.mask & ~node.known;
    const comment = ` // line ${p.line}`;
    if (rest === 0) {
      out.push(`${indent}${returnStatement(p, builders)}${comment}`);
      return;
    }
    // Shifting the tested bits down keeps both sides small non-negative integers.
    const shift = ctz(rest);
    const test = `(w & ${hex(rest >>> 0)}) >>> ${shift} === ${hex((p.value & rest) >>> shift)}`;
    out.push(`${indent}if (${test}) ${returnStatement(p, builders)}${comment}`);
  }
  out.push(`${indent}return null;`);
}

function usedFields(table: Table): Field[] {
  const seen = new Map<string, Field>();
  for (const p of table.patterns) {
    for (const v of p.assign.values()) if ("field" in v) seen.set(v.field.name, v.field);
  }
  return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function emitModule(table: Table, tree16: Node, tree32: Node): string {
  const out: string[] = [
    `// Generated by ${SCRIPT_PATH} from ${TABLE_PATH}. Do not edit: change the table and run \`deno task gen\`.`,
    "",
    "/**",
    " * The RV64GC decoder generated from the encoding table: one decision tree",
    " * for compressed and one for full-size instructions. Use `decode` from",
    " * `decoder.ts`, which picks the tree by instruction length.",
    " *",
    " * @module",
    " */",
    "",
    'import type { Insn } from "./insn.ts";',
    'import type { Op } from "./ops_generated.ts";',
    "",
    "function insn(",
    "  op: Op,",
    "  raw: number,",
    "  size: 2 | 4,",
    "  rd: number,",
    "  rs1: number,",
    "  rs2: number,",
    "  rs3: number,",
    "  imm: number,",
    "  rm: number,",
    "  aq: boolean,",
    "  rl: boolean,",
    "  csr: number,",
    "): Insn {",
    "  return { op, raw, size, rd, rs1, rs2, rs3, imm, rm, aq, rl, csr };",
    "}",
    "",
  ];
  for (const field of usedFields(table)) {
    out.push(`function ${fieldFunctionName(field)}(w: number): number {`);
    out.push(`  return ${fieldExpression(field)};`);
    out.push("}", "");
  }
  const builders = new Builders();
  const body16: string[] = [];
  emitNode(tree16, "  ", builders, body16);
  const body32: string[] = [];
  emitNode(tree32, "  ", builders, body32);
  emitBuilders(builders, out);
  out.push(
    "/**",
    " * Decodes a compressed (16-bit) instruction.",
    " *",
    " * @param w The halfword, with bits 1:0 not both set and bits 31:16 clear.",
    " * @returns The instruction in its base form, or null for a reserved encoding.",
    " */",
    "export function decode16(w: number): Insn | null {",
    ...body16,
  );
  out.push("}", "");
  out.push(
    "/**",
    " * Decodes a full-size (32-bit) instruction.",
    " *",
    " * @param w The instruction word, with bits 1:0 both set.",
    " * @returns The instruction, or null when it is not an RV64GC instruction.",
    " */",
    "export function decode32(w: number): Insn | null {",
    ...body32,
  );
  out.push("}", "");
  return out.join("\n");
}

/** A property key as TypeScript writes it: quoted only when it is not an identifier. */
function key(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : JSON.stringify(name);
}

function stringList(items: readonly string[]): string {
  return `[${items.map((s) => JSON.stringify(s)).join(", ")}]`;
}

/** A union of string literals, one per line, as deno fmt lays out a long one. */
function union(name: string, members: readonly string[]): string[] {
  return [
    `export type ${name} =`,
    ...members.map((m, k) => `  | ${JSON.stringify(m)}${k === members.length - 1 ? ";" : ""}`),
  ];
}

function opInfoLiteral(def: OpDef): string {
  const parts = [`args: ${JSON.stringify(def.argSet)}`, `rm: ${def.rm}`, `fp: ${stringList(def.props.fp)}`];
  if (def.props.flow) parts.push(`flow: ${JSON.stringify(def.props.flow)}`);
  const mem = def.props.mem;
  if (mem) {
    const signed = mem.signed === undefined ? "" : `, signed: ${mem.signed}`;
    parts.push(`mem: { kind: ${JSON.stringify(mem.kind)}, size: ${mem.size}${signed} }`);
  }
  if (def.props.ext) parts.push(`ext: ${JSON.stringify(def.props.ext)}`);
  if (def.props.needs) parts.push(`needs: ${JSON.stringify(def.props.needs)}`);
  return `{ ${parts.join(", ")} }`;
}

function emitOpsModule(table: Table): string {
  const ops = table.ops;
  const firstPatterns = new Set(ops.map((o) => table.patterns.find((p) => p.op === o.op)));
  const encodings = table.patterns.filter((p) => !firstPatterns.has(p) && encodingExtension(p) !== undefined);
  const extensions = [
    ...ops.flatMap((o) => [o.props.ext, o.props.needs].filter((e) => e !== undefined)),
    ...encodings.map((p) => encodingExtension(p)!),
    ...table.declared,
  ];
  const used = new Set(ops.map((o) => o.argSet));
  const argSets = [...table.argSets.keys()].filter((a) => used.has(a));
  const out: string[] = [
    `// Generated by ${SCRIPT_PATH} from ${TABLE_PATH}. Do not edit: change the table and run \`deno task gen\`.`,
    "",
    "/**",
    " * The operations the decoder produces (`Insn.op`: RV64GC's and its optional",
    " * extensions') and what the encoding table says about each: the fields it",
    " * fills, whether it ends a block, its memory access, which of its registers",
    " * are floating-point ones, whether it has a rounding mode and its extension.",
    " * Tables with an entry per operation are typed `Record<Op, …>`, so that",
    " * `deno check` names any operation one of them lacks.",
    " *",
    " * @example Which operations end a block",
    " * ```ts",
    ' * import { OP_INFO, OPS } from "./ops_generated.ts";',
    ' * import { strictEqual } from "node:assert";',
    " * const ends = OPS.filter((op) => OP_INFO[op].flow !== undefined);",
    ` * strictEqual(ends.join(" "), ${JSON.stringify(ops.filter((o) => o.props.flow).map((o) => o.op).join(" "))});`,
    " * ```",
    " *",
    " * @module",
    " */",
    "",
    "/** An operation, named as the RISC-V specification spells it (compressed forms use their expansion's). */",
    ...union("Op", ops.map((o) => o.op)),
    "",
    "/** The operations that access memory: those with a `mem` property. */",
    ...union("MemOp", ops.filter((o) => o.props.mem).map((o) => o.op)),
    "",
    "/**",
    " * The optional extensions operations and encodings belong to (`!ext=`), in",
    " * table order, then those declared on lines of their own; the others are RV64GC.",
    " */",
    ...union("Extension", [...new Set(extensions)]),
    "",
    "/** The argument sets: which `Insn` fields an operation's patterns fill. */",
    ...union("ArgSet", argSets),
    "",
    "/** An `Insn` field an argument set may hold. */",
    `export type ArgField = ${INSN_FIELDS.map((f) => JSON.stringify(f)).join(" | ")};`,
    "",
    "/** An `Insn` field that names a register. */",
    `export type RegisterField = ${REGISTER_FIELDS.map((f) => JSON.stringify(f)).join(" | ")};`,
    "",
    "/**",
    " * How an operation ends a block: `jump` (unconditionally, to a target known",
    " * or computed), `branch` (conditionally), `exit` (to the CPU loop, which",
    " * handles it: a system call, a breakpoint, `fence.i`).",
    " */",
    `export type Flow = ${FLOWS.map((f) => JSON.stringify(f)).join(" | ")};`,
    "",
    "/**",
    " * A memory access of `size` bytes: a load (sign-extended when `signed`), a",
    " * store, a load-reserved, a store-conditional or an atomic read-modify-write.",
    " */",
    "export type MemAccess =",
    '  | { readonly kind: "load"; readonly size: 1 | 2 | 4 | 8; readonly signed: boolean }',
    `  | { readonly kind: ${ACCESSES.filter((a) => a !== "load").map((a) => JSON.stringify(a)).join(" | ")}; ` +
    "readonly size: 1 | 2 | 4 | 8 };",
    "",
    "/** What the table says about one operation. */",
    "export interface OpInfo {",
    "  /** The argument set its patterns fill ({@link ARG_SETS} lists the fields). */",
    "  readonly args: ArgSet;",
    "  /** Whether it has a rounding-mode field (`rm`). */",
    "  readonly rm: boolean;",
    "  /** The register fields that name FP registers (`rd` is written, the others read); the rest are integer ones. */",
    "  readonly fp: readonly RegisterField[];",
    "  /** How it ends a block, when it does. */",
    "  readonly flow?: Flow;",
    "  /** Its memory access, when it has one. */",
    "  readonly mem?: MemAccess;",
    "  /** The optional extension it belongs to; none for RV64GC. */",
    "  readonly ext?: Extension;",
    "  /** An optional extension it needs as well as its own (Zfa's half-precision operations need Zfh). */",
    "  readonly needs?: Extension;",
    "}",
    "",
    "/** A compressed encoding that needs an extension of its own: halfwords `h` with `(h & mask) === value`. */",
    "export interface EncodingExtension {",
    "  readonly mask: number;",
    "  readonly value: number;",
    "  readonly ext: Extension;",
    "}",
    "",
    "/** The fields of each argument set. */",
    "export const ARG_SETS: { readonly [A in ArgSet]: readonly ArgField[] } = {",
    ...argSets.map((a) => `  ${key(a)}: ${stringList(table.argSets.get(a)!)},`),
    "};",
    "",
    "/** Every operation, in table order. */",
    "export const OPS: readonly Op[] = [",
    ...ops.map((o) => `  ${JSON.stringify(o.op)},`),
    "];",
    "",
    "/** Every optional extension, in the order of {@link Extension}. */",
    "export const EXTENSIONS: readonly Extension[] = [",
    ...[...new Set(extensions)].map((e) => `  ${JSON.stringify(e)},`),
    "];",
    "",
    "/** Each operation's properties. */",
    "export const OP_INFO: { readonly [O in Op]: OpInfo } = {",
    ...ops.map((o) => `  ${key(o.op)}: ${opInfoLiteral(o)},`),
    "};",
    "",
    "/**",
    " * Compressed encodings that need an extension beyond their operation's:",
    " * a halfword `h` with `(h & mask) === value` is one (`!ext=` on a compressed",
    " * pattern, such as Zcb's `c.lbu`, an `lbu`).",
    " */",
    "export const ENCODING_EXTENSIONS: readonly EncodingExtension[] = [",
    ...encodings.map((p) =>
      `  { mask: 0x${(p.mask >>> 0).toString(16)}, value: 0x${(p.value >>> 0).toString(16)}, ` +
      `ext: ${JSON.stringify(encodingExtension(p))} },`
    ),
    "];",
    "",
  ];
  return out.join("\n");
}

// ---------------------------------------------------------------- main

if (import.meta.main) {
  const root = new URL("../", import.meta.url);
  const table = await Deno.readTextFile(new URL(TABLE_PATH, root));
  await Deno.writeTextFile(new URL(OUTPUT_PATH, root), generateDecoder(table));
  await Deno.writeTextFile(new URL(OPS_OUTPUT_PATH, root), generateOps(table));
  console.log(`Wrote ${OUTPUT_PATH} and ${OPS_OUTPUT_PATH} from ${TABLE_PATH}`);
}
