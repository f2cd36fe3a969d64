import { assertEquals } from "../../tests/assert.ts";
import { isaString, parseCpu } from "./extensions.ts";

/**
 * The names of `riscv_isa_ext[]` in Linux's `arch/riscv/kernel/cpufeature.c`
 * (6.15), in its order, which `/proc/cpuinfo` prints (up to the vector
 * crypto and supervisor extensions, which plume never has).
 */
const LINUX_ORDER = (
  "i m a f d q c b v h zic64b zicbom zicbop zicboz ziccrse zicntr zicond zicsr zifencei zihintntl zihintpause zihpm " +
  "zimop zaamo zabha zacas zalrsc zawrs zfa zfbfmin zfh zfhmin zca zcb zcd zcf zcmop zba zbb zbc zbkb zbkc zbkx zbs " +
  "zk zkn zknd zkne zknh zkr zks zkt zksed zksh ztso zvbb zvbc zve32f zve32x zve64d zve64f zve64x zvfh zvfhmin zvkb"
).split(" ");

/** The names of an ISA string, single letters one by one. */
function names(isa: string): string[] {
  const [base, ...multi] = isa.split("_");
  return [...[...base.replace(/^rv64/, "")], ...multi];
}

Deno.test("isaString lists every name in Linux's canonical order, once", () => {
  for (const spec of ["rv64", "max", "rva22u64", "rva23u64", "rv64,zba=off,zfh=on"]) {
    const got = names(isaString(parseCpu(spec)));
    const positions = got.map((n) => LINUX_ORDER.indexOf(n));
    assertEquals(positions.filter((p) => p < 0), [], `${spec}: names Linux does not know`);
    assertEquals(positions, [...positions].sort((a, b) => a - b), `${spec}: out of order`);
    assertEquals(new Set(got).size, got.length, `${spec}: a name twice`);
  }
});

Deno.test("isaString names RV64GC's letters and the extensions it implies in every run, and B only with Zba, Zbb, Zbs", () => {
  assertEquals(
    isaString(new Set()),
    "rv64imafdc_zicbop_zicntr_zicsr_zifencei_zihintntl_zihintpause_zaamo_zalrsc_zca_zcd",
  );
  assertEquals(names(isaString(parseCpu("rv64,zbs=off"))).includes("b"), false);
  assertEquals(names(isaString(parseCpu("rva22u64"))).slice(0, 7), ["i", "m", "a", "f", "d", "c", "b"]);
  assertEquals(
    names(isaString(parseCpu("rv64,v=on"))).filter((n) => n.startsWith("zve") || n === "v"),
    ["v", "zve32f", "zve32x", "zve64d", "zve64f", "zve64x"],
  );
});
