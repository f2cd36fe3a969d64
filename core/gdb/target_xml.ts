/**
 * The target description plume gives GDB (`qXfer:features:read:target.xml`),
 * written from GDB's documented RISC-V features: `org.gnu.gdb.riscv.cpu`
 * (x0–x31 with their ABI names, then pc) and `org.gnu.gdb.riscv.fpu`
 * (f0–f31 as doubles that also hold NaN-boxed singles, then fflags, frm and
 * fcsr). Register numbers are GDB's own for riscv: x0–x31 are 0–31, pc 32,
 * f0–f31 33–64, and a CSR is 65 plus its number (fflags 0x001 is 66, frm 67,
 * fcsr 68).
 *
 * @module
 */

import { FREG_NAMES, XREG_NAMES } from "../cpu/state.ts";

/** GDB's register number of pc. */
export const REG_PC = 32;
/** GDB's register number of f0. */
export const REG_F0 = 33;
/** GDB's register number of the first CSR (CSR n is `REG_CSR0 + n`). */
const REG_CSR0 = 65;
/** GDB's register number of fflags. */
export const REG_FFLAGS = REG_CSR0 + 1;
/** GDB's register number of frm. */
export const REG_FRM = REG_CSR0 + 2;
/** GDB's register number of fcsr. */
export const REG_FCSR = REG_CSR0 + 3;

function cpuFeature(): string {
  const regs = XREG_NAMES.map((name, i) => {
    const type = i === 1 ? "code_ptr" : [2, 3, 4, 8].includes(i) ? "data_ptr" : "int";
    return `  <reg name="${i === 8 ? "fp" : name}" bitsize="64" type="${type}" regnum="${i}"/>`;
  });
  return `<feature name="org.gnu.gdb.riscv.cpu">
${regs.join("\n")}
  <reg name="pc" bitsize="64" type="code_ptr" regnum="${REG_PC}"/>
</feature>`;
}

function fpuFeature(): string {
  const regs = FREG_NAMES.map((name, i) =>
    `  <reg name="${name}" bitsize="64" type="riscv_double" regnum="${REG_F0 + i}"/>`
  );
  return `<feature name="org.gnu.gdb.riscv.fpu">
  <union id="riscv_double">
    <field name="float" type="ieee_single"/>
    <field name="double" type="ieee_double"/>
  </union>
${regs.join("\n")}
  <reg name="fflags" bitsize="32" type="int" regnum="${REG_FFLAGS}" group="float"/>
  <reg name="frm" bitsize="32" type="int" regnum="${REG_FRM}" group="float"/>
  <reg name="fcsr" bitsize="32" type="int" regnum="${REG_FCSR}" group="float"/>
</feature>`;
}

/**
 * The whole target description.
 *
 * @returns the XML document
 *
 * @example
 * ```ts
 * import { targetXml } from "./target_xml.ts";
 * import { ok } from "node:assert";
 * ok(targetXml().includes('<architecture>riscv:rv64</architecture>'));
 * ```
 */
export function targetXml(): string {
  return `<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<target version="1.0">
<architecture>riscv:rv64</architecture>
<osabi>GNU/Linux</osabi>
${cpuFeature()}
${fpuFeature()}
</target>
`;
}

/**
 * The part of `doc` a `qXfer:…:read` asks for: `m` and more to come, or
 * `l` and the last part.
 *
 * @param doc the document
 * @param offset the first character asked for
 * @param length how many characters at most
 * @returns the reply payload
 *
 * @example
 * ```ts
 * import { xferChunk } from "./target_xml.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(xferChunk("abcdef", 0, 4), "mabcd");
 * strictEqual(xferChunk("abcdef", 4, 4), "lef");
 * ```
 */
export function xferChunk(doc: string, offset: number, length: number): string {
  const part = doc.slice(offset, offset + length);
  return (offset + length >= doc.length ? "l" : "m") + part;
}
