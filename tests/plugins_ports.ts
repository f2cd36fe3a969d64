/**
 * What the tests of the built-in plugins share: reading a drcov file (as
 * Lighthouse and DynamoRIO's tools read version 2) and checking that a
 * guest ran the same under QEMU and plume. Not a test file itself.
 *
 * @module
 */

import { assert, assertEquals } from "./assert.ts";
import type { RunResult } from "./harness.ts";

/** Bytes as UTF-8 text. */
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Checks that a guest ran the same under both emulators: exit status and standard output. */
export function sameGuestRun(label: string, qemu: RunResult, plume: RunResult): void {
  assertEquals(plume.status, qemu.status, `${label}: exit status`);
  assertEquals(text(plume.stdout), text(qemu.stdout), `${label}: standard output`);
}

/** One module of a drcov file's module table. */
export interface DrcovModule {
  id: number;
  base: number;
  end: number;
  entry: number;
  path: string;
}

/** One entry of a drcov file's block table. */
export interface DrcovBlock {
  /** Offset from the module's base (the address cut to 32 bits for module 0xffff). */
  start: number;
  size: number;
  module: number;
}

/** A drcov table (a file holds one, or one per process that wrote it), read. */
export interface Drcov {
  /** The header lines before the module lines, as written. */
  header: string[];
  flavor: string;
  modules: DrcovModule[];
  blocks: DrcovBlock[];
}

/**
 * Reads the drcov tables of a file one after another, each as Lighthouse
 * and DynamoRIO's tools read version 2: `DRCOV VERSION: 2`, `DRCOV
 * FLAVOR: …`, `Module Table: version N, count M`, a `Columns:` line naming
 * the module lines' comma-separated fields, M module lines, `BB Table: N
 * bbs`, then N binary little-endian entries of 8 bytes: u32 start offset,
 * u16 size, u16 module id. Anything else is an error. A forked guest's
 * processes each append their table to the one file (QEMU's and plume's).
 */
export function readDrcovTables(bytes: Uint8Array): Drcov[] {
  let at = 0;
  const line = () => {
    const nl = bytes.indexOf(0x0a, at);
    assert(nl >= 0, `drcov: no line at byte ${at}`);
    const s = new TextDecoder().decode(bytes.subarray(at, nl));
    at = nl + 1;
    return s;
  };
  const tables: Drcov[] = [];
  while (at < bytes.length) {
    const version = line(), flavorLine = line(), table = line(), columnsLine = line();
    assertEquals(version, "DRCOV VERSION: 2");
    const flavor = /^DRCOV FLAVOR: (.+)$/.exec(flavorLine)?.[1];
    assert(flavor, flavorLine);
    const count = /^Module Table: version \d+, count (\d+)$/.exec(table);
    assert(count, table);
    const columns = /^Columns: (.*)$/.exec(columnsLine)?.[1].split(", ");
    assert(columns, columnsLine);
    const modules = Array.from({ length: Number(count[1]) }, () => {
      // The path is the last column and may hold ", ".
      const fields = line().split(", ");
      const value = (name: string) => fields[columns.indexOf(name)];
      return {
        id: Number(value("id")),
        base: Number(value("base")),
        end: Number(value("end")),
        entry: Number(value("entry")),
        path: fields.slice(columns.indexOf("path")).join(", "),
      };
    });
    const bbs = /^BB Table: (\d+) bbs$/.exec(line());
    assert(bbs, "drcov: no BB Table line");
    const n = Number(bbs[1]);
    assert(bytes.length - at >= 8 * n, "drcov: the block table is cut short");
    const view = new DataView(bytes.buffer, bytes.byteOffset + at);
    const blocks = Array.from({ length: n }, (_, i) => ({
      start: view.getUint32(8 * i, true),
      size: view.getUint16(8 * i + 4, true),
      module: view.getUint16(8 * i + 6, true),
    }));
    at += 8 * n;
    tables.push({ header: [version, flavorLine, table, columnsLine], flavor, modules, blocks });
  }
  return tables;
}

/** Reads a drcov file of one table; bytes after its last entry are an error. */
export function readDrcov(bytes: Uint8Array): Drcov {
  const tables = readDrcovTables(bytes);
  assertEquals(tables.length, 1, "drcov: tables in the file");
  return tables[0];
}

/** Blocks as `offset+size` from a base, sorted: the multiset of executed blocks. */
export const blockSet = (blocks: DrcovBlock[], base = 0): string[] =>
  blocks.map((b) => `0x${((b.start - base) >>> 0).toString(16)}+${b.size}`).sort();
