/**
 * hotpages: which pages of guest memory saw the most accesses, with the
 * options and output of QEMU 7.2's `contrib/plugins/hotpages.c`. A memory
 * callback on every instruction counts reads and writes per page and notes
 * which vCPUs made them (a bit per vCPU); at exit the pages are listed,
 * most accessed first.
 *
 * Options, as QEMU's:
 * - `sortby=reads|writes|address`: order by reads, by writes, or by page
 *   address (highest first); by default by reads plus writes;
 * - `io=on|off`: count only accesses to I/O memory. User mode has none
 *   (`qemu_plugin_get_hwaddr` gives null), so with `io=on` nothing is
 *   counted, as in QEMU;
 * - `pagesize=N`: the page size in bytes (decimal, 4096 by default); an
 *   address's page is the address with the low bits of `N - 1` cleared.
 *
 * The output is QEMU's byte for byte, with its quirks: at most 50 pages
 * are listed, the last page of the sorted list never is, and nothing but
 * the header when fewer than two pages were touched. Where QEMU leaves
 * pages with equal counts in the order of its hash table (which depends
 * on the addresses and on the table's history), plume lists them by
 * ascending address.
 *
 * @module
 */

import {
  type MemInfo,
  type PluginId,
  qemu_plugin_bool_parse,
  QEMU_PLUGIN_CB_NO_REGS,
  qemu_plugin_get_hwaddr,
  qemu_plugin_hwaddr_is_io,
  qemu_plugin_hwaddr_phys_addr,
  qemu_plugin_mem_is_store,
  QEMU_PLUGIN_MEM_RW,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_mem_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_tb_get_insn,
  qemu_plugin_tb_n_insns,
  type QemuInfo,
  type Tb,
} from "qemu-plugin";

/** Plugin API version this plugin is written for. */
export const qemu_plugin_version = 7;

/** How many pages the report lists at most (QEMU's `limit`, not an option). */
const LIMIT = 50;

interface PageCounters {
  address: number;
  /** vCPUs that read the page, a bit each (`1 << vcpu`, as a C int). */
  cpuRead: number;
  reads: number;
  cpuWrite: number;
  writes: number;
}

type SortBy = "rw" | "reads" | "writes" | "address";

/** How each `sortby` orders two pages: most first, then (plume's choice for ties) by ascending address. */
const ORDER: Record<SortBy, (a: PageCounters, b: PageCounters) => number> = {
  rw: (a, b) => b.reads + b.writes - (a.reads + a.writes) || a.address - b.address,
  reads: (a, b) => b.reads - a.reads || a.address - b.address,
  writes: (a, b) => b.writes - a.writes || a.address - b.address,
  address: (a, b) => b.address - a.address,
};

const U64 = (1n << 64n) - 1n;

/** `g_ascii_strtoull(text, NULL, 10)`: the decimal prefix, negated modulo 2^64 after a `-`, saturated. */
function strtoull(text: string): bigint {
  const m = /^\s*([+-]?)(\d*)/.exec(text)!;
  const n = m[2] ? BigInt(m[2]) : 0n;
  if (n > U64) return U64;
  return m[1] === "-" ? (U64 + 1n - n) & U64 : n;
}

/**
 * The page of an address for page size `size`: the address with the bits
 * of `size - 1` cleared, in 64-bit arithmetic as in C (a size that is not
 * a power of two clears whatever bits `size - 1` has; size 0 puts every
 * address in page 0).
 */
function pageFunction(size: bigint): (vaddr: number) => number {
  if (size > 0n && size <= 2n ** 52n && (size & (size - 1n)) === 0n) {
    const s = Number(size);
    return (vaddr) => vaddr - vaddr % s;
  }
  const keep = ~((size - 1n) & U64) & U64;
  return (vaddr) => Number(BigInt(vaddr) & keep);
}

function hex(n: number, digits: number): string {
  return "0x" + n.toString(16).padStart(digits, "0");
}

/** Installs the plugin. */
export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  let sortBy: SortBy = "rw", trackIo = false, pageSize = 4096n;
  for (const opt of argv) {
    const eq = opt.indexOf("=");
    const key = eq < 0 ? opt : opt.slice(0, eq), value = eq < 0 ? "" : opt.slice(eq + 1);
    if (key === "sortby") {
      if (value !== "reads" && value !== "writes" && value !== "address") {
        throw new Error(`invalid value to sortby: ${value}`);
      }
      sortBy = value;
    } else if (key === "io") {
      const b = qemu_plugin_bool_parse(key, value);
      if (b === undefined) throw new Error(`boolean argument parsing failed: ${opt}`);
      trackIo = b;
    } else if (key === "pagesize") pageSize = strtoull(value);
    else throw new Error(`option parsing failed: ${opt}`);
  }
  const pageOf = pageFunction(pageSize);
  const pages = new Map<number, PageCounters>();

  function onAccess(vcpu: number, info: MemInfo, vaddr: number): void {
    // Only system emulation has hardware addresses (and I/O); in user mode the page is the virtual one.
    const hwaddr = qemu_plugin_get_hwaddr(info, vaddr);
    let address: number;
    if (trackIo) {
      if (!hwaddr || !qemu_plugin_hwaddr_is_io(hwaddr)) return;
      address = vaddr;
    } else {
      address = hwaddr && !qemu_plugin_hwaddr_is_io(hwaddr) ? qemu_plugin_hwaddr_phys_addr(hwaddr) : vaddr;
    }
    const page = pageOf(address);
    let count = pages.get(page);
    if (!count) pages.set(page, count = { address: page, cpuRead: 0, reads: 0, cpuWrite: 0, writes: 0 });
    if (qemu_plugin_mem_is_store(info)) {
      count.writes++;
      count.cpuWrite |= 1 << vcpu;
    } else {
      count.reads++;
      count.cpuRead |= 1 << vcpu;
    }
  }

  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id: PluginId, tb: Tb) => {
    const n = qemu_plugin_tb_n_insns(tb);
    for (let i = 0; i < n; i++) {
      qemu_plugin_register_vcpu_mem_cb(
        qemu_plugin_tb_get_insn(tb, i),
        onAccess,
        QEMU_PLUGIN_CB_NO_REGS,
        QEMU_PLUGIN_MEM_RW,
        null,
      );
    }
  });

  qemu_plugin_register_atexit_cb(id, () => {
    let report = "Addr, RCPUs, Reads, WCPUs, Writes\n";
    const sorted = [...pages.values()].sort(ORDER[sortBy]);
    // As QEMU's walk of its sorted list: nothing for a single page, and the last one is never printed.
    for (let i = 0; i < LIMIT && i < sorted.length - 1; i++) {
      const p = sorted[i];
      report += `${hex(p.address, 16)}, ${hex(p.cpuRead >>> 0, 4)}, ${p.reads}, ${
        hex(p.cpuWrite >>> 0, 4)
      }, ${p.writes}\n`;
    }
    qemu_plugin_outs(report);
  }, null);
  return 0;
}
