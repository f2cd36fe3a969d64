import { assert, assertEquals } from "../../tests/assert.ts";
import { eagerFunctions } from "./eager_functions.ts";

Deno.test("declarations move to the start of their body as parenthesized functions; arrows and expressions are wrapped", () => {
  const cases: [string, string][] = [
    ["const a=f();function f(){return x=>x+1}", "var f=(function(){return (x=>x+1)});const a=f();"],
    ["var o={a:()=>a,b:()=>b};g((x,y)=>x?y:1,2);", "var o={a:(()=>a),b:(()=>b)};g(((x,y)=>x?y:1),2);"],
    // In a block a declaration is block-scoped: it stays, lazy.
    ["function f(){if(x){function g(){}}return g}", "var f=(function(){if(x){function g(){}}return g});"],
    [
      "var s=`a${x=>1}b${`c${y}`}`;var r=/a\\/[/]b/g.test(s)/2;",
      "var s=`a${(x=>1)}b${`c${y}`}`;var r=/a\\/[/]b/g.test(s)/2;",
    ],
    // Methods stay as they are (they have no parenthesized form); what is inside them is rewritten.
    [
      "class A{m(){function h(){}return h}static{var q=1}f=()=>{return 1}}",
      "class A{m(){var h=(function(){});return h}static{var q=1}f=(()=>{return 1})}",
    ],
    [
      "async function af(){await 1}var z=async(x)=>x;var w=async x=>x;",
      "var af=(async function(){await 1});var z=(async(x)=>x);var w=(async x=>x);",
    ],
    [
      "export{f as g};function f(a=function(){}){return a}",
      "var f=(function(a=(function(){})){return a});export{f as g};",
    ],
    ["x=a?b=>c:d=>e;", "x=a?(b=>c):(d=>e);"],
    ["x=a=>b=>c?d:e,y=1;", "x=(a=>(b=>c?d:e)),y=1;"],
    ["function*g(){yield 1}", "var g=(function*(){yield 1});"],
    ["a:{function f(){}}switch(x){case 1:{function g(){}}}", "a:{function f(){}}switch(x){case 1:{function g(){}}}"],
    // A declaration after a case's colon is in the switch's block: it stays (and is not taken for an expression).
    ["switch(x){case 1:function g(){return 2}(0,h)()}", "switch(x){case 1:function g(){return 2}(0,h)()}"],
    ["switch(x){case a?b:c:function g(){}}", "switch(x){case a?b:c:function g(){}}"],
    // The `:` of a conditional inside an arrow's body ends the inner arrow only.
    ["f(x=>a?b=>1:2)", "f((x=>a?(b=>1):2))"],
    // Properties called function or class.
    ["o={a:1,function:2,m(){return 3}};", "o={a:1,function:2,m(){return 3}};"],
    ["o={class:1};{let q=()=>2}", "o={class:1};{let q=(()=>2)}"],
    // Division, not a regular expression, after a name called of, and after ++ and --.
    ["const of=6;r=[of/2,/ x=>1,9/.source];", "const of=6;r=[of/2,/ x=>1,9/.source];"],
    ["a++/2;b=/ y=>1/;", "a++/2;b=/ y=>1/;"],
    [
      "async function f(){for await(const x of y){function g(){}}}",
      "var f=(async function(){for await(const x of y){function g(){}}});",
    ],
  ];
  for (const [code, eager] of cases) assertEquals(eagerFunctions(code), eager, code);
});

Deno.test("only the functions asked for are made eager, by the offset V8 gives them", () => {
  const code = "function a(){}function b(){}var c=x=>x,d=y=>y;";
  // V8's offsets: a function's parameter list, an arrow's first token.
  const at = (s: string) => code.indexOf(s);
  assertEquals(
    eagerFunctions(code, (p) => p === at("(){}function b") || p === at("y=>")),
    "var a=(function(){});function b(){}var c=x=>x,d=(y=>y);",
  );
});

Deno.test("what the scan does not know leaves the code alone", () => {
  for (
    const code of [
      "var s='unterminated",
      "var t=`open",
      "f(",
      "var é=1;",
      "if(x)function f(){}",
      "}function f(){}",
      "}{",
      // A name declared twice in one body: which declaration wins depends on their order, left as it is.
      "function o(){function d(){return 1}function d(){return 2}return d()}",
    ]
  ) {
    assertEquals(eagerFunctions(code), undefined, code);
  }
});

/** Modules whose exported `r` must be the same before and after the rewrite. */
const MODULES = [
  // Declarations used before they are written, and calling each other.
  `export const r = [f(1), g()]; function f(x) { return x + 1 } function g() { return h() } function h() { return "h" }`,
  // Closures over module state; a nested declaration shadowing an outer one.
  `let n = 0; function inc() { n++; return n } export const r = [inc(), inc(), (function () { function inc() { return -1 } return inc() })()];`,
  // Declarations in blocks stay block-scoped.
  `export const r = (() => { const out = []; { function b() { return 1 } out.push(b()) } if (out.length) { function c() { return 2 } out.push(c()) } return [out, typeof b, typeof c] })();`,
  // Division and regular expressions.
  `const a = 10, b = 2, g = 5; let m = 0; if (a) /re/.test("re") && m++; const half = (x) => x / 2 / 1; export const r = [half(a) / b / g, /x\\/y[/]z/.test("x/y/z"), "s".replace(/s/g, "t"), (a) / 2, m, [a][0] / 5];`,
  // Templates with arrows and nested templates in their substitutions.
  "const f = (x) => `a${x}b${`c${x + 1}`}`; export const r = [f(1), `${((y) => y * 2)(3)}`, `${{ k: 1 }.k}`];",
  // Arrows in conditionals, arguments and sequences.
  `const t = true; const k = t ? (x) => x + 1 : (x) => x - 1; const s = (1, (x) => x * 3); export const r = [k(1), [1, 2].map((x) => x * 2), ((a, b) => a + b)(1, 2), s(2), [0].map((x) => x ? 1 : 2)];`,
  // Classes: fields with arrows, static blocks, getters, private names, declarations in methods.
  `class A { #p = 1; f = () => this.#p; static s; static { A.s = (() => 3)(); } get g() { return 4 } m() { function inner() { return 5 } return inner() } static has(o) { return #p in o } } const a = new A(); export const r = [a.f(), A.s, a.g, a.m(), A.has(a)];`,
  // Async functions, generators, async arrows.
  `async function af() { return 1 } function* gen() { yield 1; yield 2 } const ag = async (x) => x; const ag2 = async x => x + 1; export const r = [await af(), [...gen()], await ag(3), await ag2(3)];`,
  // Named function expressions, default parameters that are functions.
  `const fe = function named(n) { return n ? n * named(n - 1) : 1 }; function dp(a = function () { return 7 }, b = () => 8) { return a() + b() } export const r = [fe(5), dp()];`,
  // Object literals: methods with declarations, getters, computed keys.
  `const o = { m() { function q() { return 9 } return q() }, get v() { return 10 }, ["k" + 1]: () => 11, async: 12 }; export const r = [o.m(), o.v, o.k1(), o.async];`,
  // switch, try and catch, labels.
  `function sw(x) { switch (x) { case 1: return "one"; default: { function d() { return "d" } return d() } } } function tc() { try { throw 1 } catch { function c() { return "c" } return c() } } function lb() { let i = 0; outer: for (;;) { for (;;) { i++; if (i > 2) break outer } } return i } export const r = [sw(1), sw(2), tc(), lb()];`,
  // Optional chaining beside a conditional on a decimal.
  `const o = null, t = false, f = () => t?.5:1; export const r = [o?.x, f(), o?.[0], o?.(1)];`,
  // A function's source text still makes the same function (plume copies helpers that way).
  `function src(a) { function twice(x) { return 2 * x } return twice(a) + 1 } export const r = [new Function("return (" + src.toString() + ")")()(1)];`,
  // Arrows returning arrows; an identifier called async.
  `const add = (a) => (b) => (c) => a + b + c; const async = (x) => x; export const r = [add(1)(2)(3), async(5)];`,
  // A declaration that assigns its own name (a named function expression's name is a constant), or is replaced.
  `function mk() { let n = 0; function tick() { n++; tick = () => n; return n } return tick } function f(n) { return n ? f(n - 1) : "orig" } const g = f; f = () => "new"; export const r = (() => { const t = mk(); return [t(), t(), g(1), f.name, mk.name] })();`,
  // this, arguments and new.target in moved declarations.
  `function who() { return this === undefined } function count() { return arguments.length } function made() { return new.target !== undefined } export const r = [who(), count(1, 2, 3), new made() instanceof made];`,
];

Deno.test("a rewritten module computes what the original computes", async () => {
  const url = (code: string) => `data:text/javascript;base64,${btoa(code)}`;
  for (const code of MODULES) {
    const eager = eagerFunctions(code);
    assert(eager !== undefined, `the scan gave up on: ${code}`);
    assert(eager !== code, `nothing was made eager in: ${code}`);
    const before = (await import(url(code))).r, after = (await import(url(eager))).r;
    assertEquals(after, before, eager);
  }
});
