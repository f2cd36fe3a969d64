import { assertEquals } from "../../tests/assert.ts";
import * as bm from "./bitmanip.ts";
import { RH } from "./int64.ts";
import { rng } from "./_rng_testing.ts";

const M64 = (1n << 64n) - 1n;
const u = (v: bigint) => BigInt.asUintN(64, v);
const s = (v: bigint) => BigInt.asIntN(64, v);
const word = (v: bigint) => BigInt.asIntN(64, BigInt.asIntN(32, v));

/** Each operation as the specification writes it, on unsigned 64-bit BigInts (b is the register or immediate). */
const REFERENCE: Record<string, (a: bigint, b: bigint) => bigint> = {
  add_uw: (a, b) => (a & 0xffffffffn) + b,
  sh1add: (a, b) => (a << 1n) + b,
  sh2add: (a, b) => (a << 2n) + b,
  sh3add: (a, b) => (a << 3n) + b,
  sh1add_uw: (a, b) => ((a & 0xffffffffn) << 1n) + b,
  sh2add_uw: (a, b) => ((a & 0xffffffffn) << 2n) + b,
  sh3add_uw: (a, b) => ((a & 0xffffffffn) << 3n) + b,
  slli_uw: (a, b) => (a & 0xffffffffn) << (b & 63n),
  andn: (a, b) => a & ~b,
  orn: (a, b) => a | ~b,
  xnor: (a, b) => ~(a ^ b),
  clz: (a) => 64n - BigInt(a.toString(2).length - (a === 0n ? 1 : 0)),
  ctz: (a) => a === 0n ? 64n : BigInt(a.toString(2).length - a.toString(2).lastIndexOf("1") - 1),
  cpop: (a) => BigInt([...a.toString(2)].filter((c) => c === "1").length),
  clzw: (a) => REFERENCE.clz(a & 0xffffffffn, 0n) - 32n,
  ctzw: (a) => (a & 0xffffffffn) === 0n ? 32n : REFERENCE.ctz(a, 0n),
  cpopw: (a) => REFERENCE.cpop(a & 0xffffffffn, 0n),
  sext_b: (a) => BigInt.asIntN(8, a),
  sext_h: (a) => BigInt.asIntN(16, a),
  zext_h: (a) => a & 0xffffn,
  max: (a, b) => s(a) < s(b) ? b : a,
  maxu: (a, b) => a < b ? b : a,
  min: (a, b) => s(a) < s(b) ? a : b,
  minu: (a, b) => a < b ? a : b,
  orc_b: (a) => {
    let r = 0n;
    for (let i = 0n; i < 64n; i += 8n) if ((a >> i) & 0xffn) r |= 0xffn << i;
    return r;
  },
  rev8: (a) => {
    let r = 0n;
    for (let i = 0n; i < 64n; i += 8n) r = (r << 8n) | ((a >> i) & 0xffn);
    return r;
  },
  ror: (a, b) => (a >> (b & 63n)) | (a << ((64n - (b & 63n)) & 63n)),
  rol: (a, b) => (a << (b & 63n)) | (a >> ((64n - (b & 63n)) & 63n)),
  rorw: (a, b) => {
    const w = a & 0xffffffffn, n = b & 31n;
    return word((w >> n) | (w << ((32n - n) & 31n)));
  },
  rolw: (a, b) => {
    const w = a & 0xffffffffn, n = b & 31n;
    return word((w << n) | (w >> ((32n - n) & 31n)));
  },
  clmul: (a, b) => clmul128(a, b) & M64,
  clmulh: (a, b) => clmul128(a, b) >> 64n,
  clmulr: (a, b) => (clmul128(a, b) >> 63n) & M64,
  bclr: (a, b) => a & ~(1n << (b & 63n)),
  bset: (a, b) => a | (1n << (b & 63n)),
  binv: (a, b) => a ^ (1n << (b & 63n)),
  bext: (a, b) => (a >> (b & 63n)) & 1n,
  czero_eqz: (a, b) => b === 0n ? 0n : a,
  czero_nez: (a, b) => b !== 0n ? 0n : a,
};

function clmul128(a: bigint, b: bigint): bigint {
  let r = 0n;
  for (let i = 0n; i < 64n; i++) if ((b >> i) & 1n) r ^= a << i;
  return r;
}

function value(next: () => number): bigint {
  const edges = [0n, M64, 1n, 1n << 63n, 0x7fffffffn, 0x80000000n, 0xffffffff80000000n, 0xffn, 0xff00n];
  switch (next() % 4) {
    case 0:
      return edges[next() % edges.length];
    case 1:
      return 1n << BigInt(next() % 64);
    default:
      return (BigInt(next()) << 32n) | BigInt(next());
  }
}

Deno.test("bitmanip's pair functions compute what the specification's definitions do on BigInts", () => {
  const next = rng(0xb17b17);
  for (const [name, reference] of Object.entries(REFERENCE)) {
    const f = (bm as unknown as Record<string, (al: number, ah: number, bl: number, bh: number) => number>)[name];
    for (let k = 0; k < 2000; k++) {
      const a = value(next), b = value(next);
      const lo = f(
        Number(BigInt.asIntN(32, a)),
        Number(BigInt.asIntN(32, a >> 32n)),
        Number(BigInt.asIntN(32, b)),
        Number(BigInt.asIntN(32, b >> 32n)),
      );
      const got = u((BigInt(RH[0]) << 32n) | BigInt(lo >>> 0));
      assertEquals(
        got.toString(16),
        u(reference(a, b)).toString(16),
        `${name}(0x${a.toString(16)}, 0x${b.toString(16)})`,
      );
    }
  }
});
