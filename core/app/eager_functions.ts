/**
 * Marks the functions of plume's bundle for V8 to compile along with their
 * module, so that Deno's code cache holds their bytecode.
 *
 * Why: Deno makes a module's code cache right after compiling it, before it
 * runs, and V8 compiles a function's body only when the function is first
 * called — except a function literal in parentheses, which it compiles at
 * once (its heuristic for functions called immediately). So every run of
 * plume compiled again each of the few hundred functions it calls: for
 * `busybox echo hi`, about 600 functions and some 12 of its ~110 ms
 * (`--log-function-events`; the whole run under `--no-lazy`: 111 → 95 ms).
 *
 * A function declaration cannot be put in parentheses, so one declared
 * directly in a function's body (or the module's) becomes a `var` assigned
 * the parenthesized function at the start of that body, where the
 * declaration was instantiated anyway; one in a nested block keeps its place
 * and its laziness. Arrow functions and function expressions are wrapped in
 * parentheses in place. Methods have no such form and stay lazy.
 *
 * The scan knows JavaScript's tokens (strings, templates, regular
 * expressions, comments) and brackets, enough for esbuild's output; it
 * gives up (`undefined`) on what it does not know, and the bundle's builder
 * parses the result again before using it.
 *
 * @module
 */

/** What an opening bracket opened. */
const enum Kind {
  /** A function's body (or the module's): declarations directly in it move to its start. */
  Body,
  /** A statement block: if, for, try, catch, a bare block, switch cases, a class's static block. */
  Block,
  /** A class body. */
  Class,
  /** The parentheses of `if (…)`, `for (…)`, `while (…)`, `switch (…)`, `catch (…)`, `with (…)`. */
  Head,
  /** Anything else: an object literal, a pattern, an array, an expression, arguments, parameters. */
  Expr,
  /** A template literal's `${ … }`. */
  Substitution,
}

/** A function declaration to move, or a function expression to wrap. */
interface Fn {
  /** The declaration's name ("" for an expression). */
  name: string;
  /** Offset of `function` (or of `async` before it). */
  start: number;
  /** Offset just after its body's closing brace. */
  end: number;
  /** The stack depth its body's brace opens at (set with the brace). */
  bodyDepth: number;
}

interface Open {
  kind: Kind;
  /** Offset of the bracket. */
  at: number;
  /** For a body: declarations found directly in it to move, in order; and how often each name is declared in it. */
  decls?: Fn[];
  declared?: Map<string, number>;
  /** For a body: the arrow function (its offset) whose body it is. */
  arrowStart?: number;
}

/** An arrow function with an expression body whose end is still to come. */
interface OpenArrow {
  depth: number;
  /** Conditional operators opened in its body and not yet at their `:`. */
  ternaries: number;
}

interface Token {
  /** A punctuator's own text, or "name", "keyword-name" (a property name), "number", "string", "regexp", "template", "template-head". */
  type: string;
  start: number;
  end: number;
}

const HEAD_KEYWORDS = new Set(["if", "for", "while", "switch", "catch", "with"]);
/** Words after which an expression starts (so a `/` starts a regular expression). */
const OPERATOR_WORDS = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
  "extends",
]);
/** Words a statement block follows directly. */
const BLOCK_WORDS = new Set(["else", "try", "finally", "do", "catch"]);
/** Punctuators after which `function` starts an expression (with `(`, `[`, `,`, the operators). */
const NOT_EXPRESSION_BEFORE = new Set([";", "{", "}", ")", "]", "start", "++", "--"]);

const isIdStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 36 || c === 95 || c === 35;
const isIdPart = (c: number) => isIdStart(c) || (c >= 48 && c <= 57);
const isDigit = (c: number) => c >= 48 && c <= 57;

/** A function declaration's start, its name in group 2. */
const NAMED = /^((?:async\s+)?function(?:\s*\*)?)\s*([A-Za-z_$][\w$]*)/;

/** Thrown on what the scan does not understand: the code is then left as it is. */
class Unsure extends Error {}

/**
 * `code` (an ES module) with its function declarations, arrow functions and
 * function expressions made eager, or `undefined` when the scan met
 * something it does not understand.
 *
 * @example
 * ```ts
 * import { eagerFunctions } from "./eager_functions.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(
 *   eagerFunctions("const a=f();function f(){return x=>x+1}"),
 *   "var f=(function(){return (x=>x+1)});const a=f();",
 * );
 * ```
 */
export function eagerFunctions(code: string, wanted?: (paramsAt: number) => boolean): string | undefined {
  try {
    return new Scan(code, wanted).rewrite();
  } catch (err) {
    if (err instanceof Unsure) return undefined;
    throw err;
  }
}

class Scan {
  readonly code: string;
  pos = 0;
  /** Open brackets, innermost last; the module's body at the bottom. */
  readonly stack: Open[] = [{ kind: Kind.Body, at: -1, decls: [], declared: new Map() }];
  prev: Token = { type: "start", start: 0, end: 0 };
  prev2: Token = { type: "start", start: 0, end: 0 };
  /** The kind of the bracket the last closing bracket closed, and that bracket's offset. */
  closedKind = Kind.Expr;
  closedAt = -1;
  /** Stack depth at which a `class` keyword waits for its body. */
  classAt = -1;
  /** `function` keywords waiting for their bodies' braces: at which depth, and whether they move (else wrap; none: stay). */
  readonly pending: { fn: Fn | undefined; depth: number; moves: boolean; paramsAt: number }[] = [];
  /** Functions whose bodies are open, innermost last. */
  readonly fns: { fn: Fn; moves: boolean }[] = [];
  readonly arrows: OpenArrow[] = [];
  /** The next brace opens an arrow's body (the arrow starting at this offset), else -1. */
  arrowBodyFor = -1;
  /** Parentheses to insert: offset → how many "(" and ")" (the ")" first). */
  readonly opens = new Map<number, number>();
  readonly closes = new Map<number, number>();
  /** Declarations moved: by their start; and the bodies they move to: body brace offset → declarations. */
  readonly moved = new Map<number, Fn>();
  readonly hoists = new Map<number, Fn[]>();

  readonly wanted: (paramsAt: number) => boolean;

  constructor(code: string, wanted?: (paramsAt: number) => boolean) {
    this.code = code;
    this.wanted = wanted ?? (() => true);
  }

  rewrite(): string {
    for (let t = this.next(); t !== undefined; t = this.next()) this.take(t);
    if (this.stack.length !== 1 || this.arrows.length !== 0 || this.pending.length !== 0) {
      throw new Unsure("unbalanced");
    }
    const top = this.stack[0].decls!, declared = this.stack[0].declared!;
    if (top.some((d) => declared.get(d.name)! > 1)) throw new Unsure("a name declared twice");
    if (top.length > 0) this.hoists.set(-1, top);
    const all = new Set<number>();
    for (const m of [this.opens, this.closes, this.hoists, this.moved]) for (const k of m.keys()) all.add(k);
    this.points = [...all].sort((a, b) => a - b);
    return this.render(-1, this.code.length, true);
  }

  /** Offsets where the text changes, in order (made by {@link rewrite}). */
  points: number[] = [];

  /** The text of `[from, to)`, its declarations moved and parentheses inserted (the last ones at `to` too when `last`). */
  render(from: number, to: number, last: boolean): string {
    const code = this.code, points = this.points;
    // The first point at or after `from`.
    let lo = 0, hi = points.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (points[mid] < from) lo = mid + 1;
      else hi = mid;
    }
    let out = "", at = from;
    for (let k = lo; k < points.length; k++) {
      const p = points[k];
      if (p > to || (p === to && !last)) break;
      if (p < at) continue; // inside a declaration moved away
      out += code.slice(Math.max(at, 0), Math.max(p, 0));
      at = p;
      out += ")".repeat(this.closes.get(p) ?? 0);
      const hoisted = this.hoists.get(p);
      if (hoisted !== undefined) {
        // Just after the body's brace (or at the module's start).
        if (p >= 0) out += "{", at = p + 1;
        // Anonymous, so that the name in the body is the variable, assignable as a declaration's is (a named
        // function expression's own name is a constant); `.name` is still the name, inferred from the variable.
        const anonymous = (d: Fn) => this.render(d.start, d.end, false).replace(NAMED, "$1");
        out += `var ${hoisted.map((d) => `${d.name}=(${anonymous(d)})`).join(",")};`;
      }
      const d = p === from ? undefined : this.moved.get(p);
      if (d !== undefined) {
        at = d.end;
        continue;
      }
      out += "(".repeat(this.opens.get(p) ?? 0);
    }
    return out + code.slice(Math.max(at, 0), to);
  }

  /** The next token, white space and comments skipped; undefined at the end. */
  next(): Token | undefined {
    const code = this.code, n = code.length;
    for (;;) {
      if (this.pos >= n) return undefined;
      const c = code.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === 10 || c === 13) {
        this.pos++;
      } else if (c === 47 && code.charCodeAt(this.pos + 1) === 47) {
        const e = code.indexOf("\n", this.pos);
        this.pos = e < 0 ? n : e;
      } else if (c === 47 && code.charCodeAt(this.pos + 1) === 42) {
        const e = code.indexOf("*/", this.pos + 2);
        if (e < 0) throw new Unsure("comment");
        this.pos = e + 2;
      } else break;
    }
    const start = this.pos, c = code.charCodeAt(start);
    if (c > 126 || c === 92) throw new Unsure("a character outside ASCII, or an escaped name");
    if (isIdStart(c)) {
      let i = start + 1;
      while (i < n && isIdPart(code.charCodeAt(i))) i++;
      this.pos = i;
      // A name after `.` is a property's: never a keyword.
      const property = this.prev.type === "." || this.prev.type === "?.";
      return { type: property ? "property" : "name", start, end: i };
    }
    if (isDigit(c) || (c === 46 && isDigit(code.charCodeAt(start + 1)))) {
      let i = start + 1;
      for (; i < n; i++) {
        const d = code.charCodeAt(i);
        if (isIdPart(d) || d === 46) continue;
        if ((d === 43 || d === 45) && /^[0-9.]*[eE]$/.test(code.slice(start, i))) continue;
        break;
      }
      this.pos = i;
      return { type: "number", start, end: i };
    }
    if (c === 34 || c === 39) {
      let i = start + 1;
      for (;;) {
        if (i >= n) throw new Unsure("string");
        const d = code.charCodeAt(i);
        if (d === 92) i += 2;
        else if (d === c) break;
        else if (d === 10 || d === 13) throw new Unsure("string");
        else i++;
      }
      this.pos = i + 1;
      return { type: "string", start, end: i + 1 };
    }
    if (c === 96) return this.template(start + 1, start);
    if (c === 47 && this.regexpHere()) {
      let i = start + 1, inClass = false;
      for (;;) {
        if (i >= n) throw new Unsure("regexp");
        const d = code.charCodeAt(i);
        if (d === 92) i += 2;
        else if (d === 10 || d === 13) throw new Unsure("regexp");
        else if (d === 91) inClass = true, i++;
        else if (d === 93) inClass = false, i++;
        else if (d === 47 && !inClass) break;
        else i++;
      }
      i++;
      while (i < n && isIdPart(code.charCodeAt(i))) i++;
      this.pos = i;
      return { type: "regexp", start, end: i };
    }
    for (const p of PUNCTUATORS) {
      if (code.startsWith(p, start)) {
        // `a?.5:b` is a conditional, not an optional chain.
        if (p === "?." && isDigit(code.charCodeAt(start + 2))) continue;
        this.pos = start + p.length;
        return { type: p, start, end: this.pos };
      }
    }
    throw new Unsure(`character ${code[start]}`);
  }

  /** A template's text from `i` to its end, or to its next `${` (which opens a substitution). */
  template(i: number, start: number): Token {
    const code = this.code, n = code.length;
    for (;;) {
      if (i >= n) throw new Unsure("template");
      const d = code.charCodeAt(i);
      if (d === 92) i += 2;
      else if (d === 96) {
        this.pos = i + 1;
        return { type: "template", start, end: i + 1 };
      } else if (d === 36 && code.charCodeAt(i + 1) === 123) {
        this.pos = i + 2;
        return { type: "template-head", start, end: i + 2 };
      } else i++;
    }
  }

  /** Whether a `/` here starts a regular expression (else it divides), from the token before it. */
  regexpHere(): boolean {
    const p = this.prev;
    switch (p.type) {
      case "number":
      case "string":
      case "regexp":
      case "template":
      case "property":
      case "]":
      case "++":
      case "--":
        return false;
      case ")":
        return this.closedKind === Kind.Head;
      case "}":
        return this.endedStatement();
      case "name": {
        const w = this.text(p);
        // `of` is an operator only in a for's head (elsewhere a name).
        return OPERATOR_WORDS.has(w) || (w === "of" && this.stack[this.stack.length - 1].kind === Kind.Head);
      }
      default:
        return true;
    }
  }

  text(t: Token): string {
    return this.code.slice(t.start, t.end);
  }

  /** Whether the `}` just read ended a statement (a block, a body, a class) rather than an expression. */
  endedStatement(): boolean {
    return this.closedKind === Kind.Block || this.closedKind === Kind.Body || this.closedKind === Kind.Class;
  }

  /** Whether token `p` (before the current one) ends a statement or opens a body or block. */
  statementBoundary(p: Token): boolean {
    if (p.type === "start" || p.type === ";" || p.type === "statement-colon") return true;
    if (p.type === "{") {
      const k = this.stack[this.stack.length - 1].kind;
      return k === Kind.Body || k === Kind.Block;
    }
    return p.type === "}" && this.endedStatement();
  }

  take(t: Token): void {
    const type = t.type, depth = this.stack.length;
    const arrow = this.arrows[this.arrows.length - 1];
    if (arrow !== undefined && arrow.depth === depth) {
      // An expression body ends at a `,`, `;` or closing bracket of its own depth, or a `:` it did not open.
      if (type === "," || type === ";" || type === ")" || type === "]" || type === "}") {
        this.endArrows(t.start);
      } else if (type === ":") {
        // The arrows this `:` ends are those with no conditional of their own open; the next one's `?` it closes.
        this.endArrows(t.start, true);
        const outer = this.arrows[this.arrows.length - 1];
        if (outer !== undefined && outer.depth === depth) outer.ternaries--;
      } else if (type === "?") arrow.ternaries++;
    }
    if (this.classAt === depth && (type === ":" || type === "," || type === "}")) this.classAt = -1; // `{class: 1}`
    if (this.caseAt === depth) {
      if (type === "?") this.caseTernaries++;
      else if (type === ":" && this.caseTernaries > 0) this.caseTernaries--;
      else if (type === ":") {
        this.caseAt = -1;
        this.shift({ ...t, type: "statement-colon" });
        return;
      }
    }
    if (type === ":" && this.prev.type === "name" && this.labelMayFollow(this.prev2) && !this.inExpression()) {
      this.shift({ ...t, type: "statement-colon" }); // a label
      return;
    }
    // The token after `=>`: a brace opens the arrow's body, anything else starts an expression body.
    this.bodyOfArrow = this.arrowBodyFor;
    this.arrowBodyFor = -1;
    if (this.bodyOfArrow >= 0 && type !== "{" && this.arrowWanted) this.arrows.push({ depth, ternaries: 0 });
    switch (type) {
      case "template-head":
        this.stack.push({ kind: Kind.Substitution, at: t.end - 1 });
        break;
      case "name": {
        const w = this.text(t);
        if (w === "function") return this.functionKeyword(t);
        if (w === "class") this.classAt = depth;
        if ((w === "case" || w === "default") && this.stack[depth - 1].kind === Kind.Block) {
          this.caseAt = depth, this.caseTernaries = 0;
        }
        break;
      }
      case "(":
      case "[":
        {
          const w = this.pending[this.pending.length - 1];
          if (type === "(" && w !== undefined && w.depth === depth && w.paramsAt < 0) w.paramsAt = t.start;
        }
        this.stack.push({ kind: type === "(" && this.isHead() ? Kind.Head : Kind.Expr, at: t.start });
        break;
      case "{":
        this.openBrace(t);
        break;
      case ")":
      case "]":
      case "}":
        return this.close(t);
      case "=>":
        this.arrowStarts();
        break;
    }
    this.shift(t);
  }

  /** The arrow function (its start) whose body the current token begins, else -1. */
  bodyOfArrow = -1;
  /** Whether the last arrow read is to be made eager. */
  arrowWanted = false;

  shift(t: Token): void {
    this.prev2 = this.prev;
    this.prev = t;
  }

  /** Whether the `(` being read is the head of an if, for, while, switch, catch or with (or `for await`). */
  isHead(): boolean {
    const p = this.prev, w = p.type === "name" ? this.text(p) : "";
    return HEAD_KEYWORDS.has(w) || (w === "await" && this.prev2.type === "name" && this.text(this.prev2) === "for");
  }

  /** Whether a label may follow token `p`: where a statement starts, also the one of an if, a loop or an else. */
  labelMayFollow(p: Token): boolean {
    if (this.statementBoundary(p)) return true;
    if (p.type === ")") return this.closedKind === Kind.Head;
    return p.type === "name" && (this.text(p) === "else" || this.text(p) === "do");
  }

  /** Whether the innermost bracket holds an expression (an object literal, arguments…) rather than statements. */
  inExpression(): boolean {
    const k = this.stack[this.stack.length - 1].kind;
    return k !== Kind.Body && k !== Kind.Block;
  }

  /** Depth of a `case` or `default` whose `:` is still to come (and the conditionals opened since), else -1. */
  caseAt = -1;
  caseTernaries = 0;

  functionKeyword(t: Token): void {
    const top = this.stack[this.stack.length - 1];
    if ((this.prev.type === "{" || this.prev.type === ",") && top.kind === Kind.Expr && this.code[top.at] === "{") {
      // `{function: 1}`, `{function() {…}}`: a property's name.
      this.shift(t);
      return;
    }
    let start = t.start, before = this.prev;
    if (before.type === "name" && this.text(before) === "async") start = before.start, before = this.prev2;
    const body = this.stack[this.stack.length - 1];
    const fn: Fn = { name: "", start, end: -1, bodyDepth: -1 };
    const depth = this.stack.length;
    if (this.statementBoundary(before)) {
      // A declaration: moved when directly in a body (in a block it is block-scoped: left alone).
      this.pending.push({ fn: body.kind === Kind.Body ? fn : undefined, depth, moves: true, paramsAt: -1 });
    } else if (
      NOT_EXPRESSION_BEFORE.has(before.type) || (before.type === "name" && !OPERATOR_WORDS.has(this.text(before)))
    ) {
      throw new Unsure("function after a token that neither ends a statement nor starts an expression");
    } else {
      this.pending.push({ fn, depth, moves: false, paramsAt: -1 });
    }
    this.shift({ ...t, type: "function" });
  }

  openBrace(t: Token): void {
    const depth = this.stack.length, p = this.prev;
    let kind: Kind;
    if (this.bodyOfArrow >= 0) {
      kind = Kind.Body;
    } else if (p.type === ")") {
      // `(…) {` is a head and its block, or parameters and their body: nothing else juxtaposes them.
      kind = this.closedKind === Kind.Head ? Kind.Block : Kind.Body;
    } else if (this.classAt === depth) {
      kind = Kind.Class;
      this.classAt = -1;
    } else if (p.type === "name" && BLOCK_WORDS.has(this.text(p))) {
      kind = Kind.Block;
    } else if (p.type === "name" && this.text(p) === "static" && this.stack[depth - 1].kind === Kind.Class) {
      kind = Kind.Block;
    } else if (this.statementBoundary(p)) {
      kind = Kind.Block;
    } else {
      kind = Kind.Expr;
    }
    const open: Open = { kind, at: t.start };
    if (kind === Kind.Body) open.decls = [], open.declared = new Map();
    if (this.bodyOfArrow >= 0 && this.arrowWanted) open.arrowStart = this.bodyOfArrow;
    const waiting = this.pending[this.pending.length - 1];
    if (kind === Kind.Body && p.type === ")" && waiting !== undefined && waiting.depth === depth) {
      // The body of the function whose keyword was read last at this depth.
      this.pending.pop();
      const container = this.stack[depth - 1];
      if (waiting.moves && container.declared !== undefined && waiting.fn !== undefined) {
        const name = this.declName(waiting.fn);
        container.declared.set(name, (container.declared.get(name) ?? 0) + 1);
      }
      if (waiting.fn !== undefined && this.wanted(waiting.paramsAt)) {
        waiting.fn.bodyDepth = depth + 1;
        this.fns.push({ fn: waiting.fn, moves: waiting.moves });
      }
    }
    this.stack.push(open);
  }

  close(t: Token): void {
    if (this.stack.length === 1) throw new Unsure("a closing bracket with none open");
    const open = this.stack.pop()!;
    const want = open.kind === Kind.Substitution
      ? "}"
      : this.code[open.at] === "("
      ? ")"
      : this.code[open.at] === "["
      ? "]"
      : "}";
    if (t.type !== want) throw new Unsure("mismatched brackets");
    if (open.kind === Kind.Substitution) {
      // The template goes on after its substitution.
      const rest = this.template(t.end, t.start);
      if (rest.type === "template-head") this.stack.push({ kind: Kind.Substitution, at: rest.end - 1 });
      this.closedKind = Kind.Expr;
      this.shift({ ...rest, type: rest.type === "template-head" ? "template-head" : "template" });
      return;
    }
    this.closedKind = open.kind;
    this.closedAt = open.at;
    if (open.kind === Kind.Body) {
      if (open.decls !== undefined && open.decls.length > 0) {
        // A name declared twice: the last declaration wins at the body's start, whichever moved (not worth it).
        if (open.decls.some((d) => open.declared!.get(d.name)! > 1)) throw new Unsure("a name declared twice");
        this.hoists.set(open.at, open.decls);
      }
      const depth = this.stack.length + 1;
      if (open.arrowStart !== undefined) {
        this.closes.set(t.end, (this.closes.get(t.end) ?? 0) + 1);
      }
      const f = this.fns[this.fns.length - 1];
      if (f !== undefined && f.fn.bodyDepth === depth) {
        this.fns.pop();
        f.fn.end = t.end;
        if (f.moves) {
          f.fn.name = this.declName(f.fn);
          this.stack[this.stack.length - 1].decls!.push(f.fn);
          this.moved.set(f.fn.start, f.fn);
        } else {
          this.opens.set(f.fn.start, (this.opens.get(f.fn.start) ?? 0) + 1);
          this.closes.set(t.end, (this.closes.get(t.end) ?? 0) + 1);
        }
      }
    }
    this.shift(t);
  }

  /** A moved declaration's name, read from its text. */
  declName(fn: Fn): string {
    const m = NAMED.exec(this.code.slice(fn.start, fn.start + 300));
    if (m === null) throw new Unsure("declaration without a name");
    return m[2];
  }

  arrowStarts(): void {
    const p = this.prev;
    let start: number;
    if (p.type === ")") start = this.closedAt;
    else if (p.type === "name") start = p.start;
    else throw new Unsure("arrow");
    // `async (x) =>` and `async x =>`: the arrow starts at `async`.
    const before = p.type === ")" ? this.tokenBefore(start) : this.prev2;
    if (before !== undefined && before.type === "name" && this.text(before) === "async") start = before.start;
    this.arrowWanted = this.wanted(p.type === ")" ? this.closedAt : p.start);
    if (this.arrowWanted) this.opens.set(start, (this.opens.get(start) ?? 0) + 1);
    this.arrowBodyFor = start;
  }

  /** The `async` right before offset `at`, if that is what precedes it. */
  tokenBefore(at: number): Token | undefined {
    const m = /(async)\s*$/.exec(this.code.slice(Math.max(0, at - 12), at));
    if (m === null) return undefined;
    const end = at - (m[0].length - 5);
    const start = end - 5;
    // A word that merely ends in "async" is not the keyword.
    if (start > 0 && isIdPart(this.code.charCodeAt(start - 1))) return undefined;
    return { type: "name", start, end };
  }

  endArrows(at: number, colon = false): void {
    const depth = this.stack.length;
    for (;;) {
      const a = this.arrows[this.arrows.length - 1];
      if (a === undefined || a.depth !== depth || (colon && a.ternaries > 0)) break;
      this.arrows.pop();
      this.closes.set(at, (this.closes.get(at) ?? 0) + 1);
    }
  }
}

const PUNCTUATORS = [
  ">>>=",
  "...",
  "===",
  "!==",
  "**=",
  "<<=",
  ">>=",
  ">>>",
  "&&=",
  "||=",
  "??=",
  "=>",
  "==",
  "!=",
  "<=",
  ">=",
  "&&",
  "||",
  "??",
  "?.",
  "++",
  "--",
  "+=",
  "-=",
  "*=",
  "/=",
  "%=",
  "&=",
  "|=",
  "^=",
  "**",
  "<<",
  ">>",
  "{",
  "}",
  "(",
  ")",
  "[",
  "]",
  ";",
  ",",
  "<",
  ">",
  "+",
  "-",
  "*",
  "/",
  "%",
  "&",
  "|",
  "^",
  "!",
  "~",
  "?",
  ":",
  "=",
  ".",
  "@",
];
