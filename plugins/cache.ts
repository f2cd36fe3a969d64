/**
 * cache: simulates L1 instruction and data caches and an optional unified
 * L2 for the instruction fetches and memory accesses of the run, with the
 * options and output of QEMU 7.2's `contrib/plugins/cache.c`: per core
 * the accesses, misses and miss rates, then the instructions with the most
 * data misses, fetch misses and (with L2) L2 misses.
 *
 * Options (sizes in bytes): `dcachesize`, `dblksize`, `dassoc` (L1 data,
 * default 16 KiB, 64-byte blocks, 8 ways), `icachesize`, `iblksize`,
 * `iassoc` (L1 instructions, the same), `l2cachesize`, `l2blksize`,
 * `l2assoc` (default 2 MiB, 64, 16; any of them turns L2 on), `l2=on|off`,
 * `evict=lru|fifo|rand` (default lru), `cores=N` (simulated cores, vCPU
 * `i` using core `i % N`; default 1 in user mode), `limit=N` (rows per
 * table, default 32).
 *
 * The simulation is QEMU's, quirks included: LRU takes the first block of
 * least priority, reading priorities through a C `int`; a set fills its
 * ways in order; FIFO evicts in fill order. Ties in the tables keep the
 * order of QEMU's GLib hash table (reproduced here), so the text is the
 * same as QEMU's for the same accesses, but for the disassembly, which is
 * plume's (`qemu_plugin_insn_disas`). `evict=rand` draws from another
 * generator than GLib's and is not reproducible.
 *
 * Every callback is streamed: the simulation runs in the plugin's process
 * while the guest runs on, on typed arrays. A block's fetches are
 * simulated a segment at a time (see `BlockPlan`), at a callback per block
 * and one after each memory access it already has, not one per
 * instruction; an access to the line its cache saw last skips the set's
 * search. busybox `sha256sum` of 8 MiB took 5.2–5.6 s against QEMU's
 * 9.3–10.6 s with its `libcache.so` (2 cores, measured side by side),
 * plume's own side of the run (the records of every block and access)
 * being the longer of its two processes.
 *
 * @module
 */

import {
  type MemInfo,
  type PluginId,
  qemu_plugin_bool_parse,
  QEMU_PLUGIN_CB_NO_REGS,
  qemu_plugin_insn_disas,
  qemu_plugin_insn_symbol,
  qemu_plugin_insn_vaddr,
  QEMU_PLUGIN_MEM_RW,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_insn_exec_cb,
  qemu_plugin_register_vcpu_mem_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_tb_get_insn,
  qemu_plugin_tb_n_insns,
  type QemuInfo,
  type Tb,
} from "qemu-plugin";

/** Plugin API version this plugin is written for. */
export const qemu_plugin_version = 7;

const LRU = 0, FIFO = 1, RAND = 2;
type Policy = typeof LRU | typeof FIFO | typeof RAND;

/** Misses of one instruction, by its address (QEMU's `InsnData`). */
interface InsnData {
  addr: number;
  disas: string;
  symbol: string | null;
  l1dMisses: number;
  l1iMisses: number;
  l2Misses: number;
}

/**
 * How the fetches of a translated block are simulated: in segments, each
 * ending at an instruction that may stop the block (a fault: anything but
 * plain arithmetic, see {@link CANNOT_STOP}) or at the block's end. A
 * segment is simulated as a whole when it starts — at the block's start,
 * after the access of the plain load or store before it, or before its
 * first instruction after any other instruction that may stop the block —
 * since once its first instruction runs, all of it runs, its last
 * instruction at least starting (QEMU counts the fetch of an instruction
 * that faults). The order is QEMU's, which matters for the unified L2: the
 * fetches of a segment come after the access that ends the one before it
 * and before its own. (Only another plugin moving the pc from the middle
 * of a segment would make it count fetches that did not happen.)
 *
 * In a segment, an instruction in the line of the one before it in the
 * block hits the block that fetch found (nothing else touches the cache in
 * between): only the first instruction of each line is an access; the
 * others are a count of hits.
 */
interface BlockPlan {
  /** Segment `s` has the line starts `segStart[s]` up to `segStart[s + 1]`. */
  segStart: Int32Array;
  /** Hits after a segment's last line start, up to its end. */
  segTail: Int32Array;
  /** By line start: its address, its instruction, and the hits before it since the last line start. */
  addrs: number[];
  data: InsnData[];
  hitsBefore: Int32Array;
}

/** What a callback gets: its instruction, and the segment it simulates (-1: none). */
interface Trace {
  plan: BlockPlan;
  seg: number;
  data: InsnData;
}

/**
 * Mnemonics (plume's disassembly) of instructions that cannot stop a block
 * in the middle: no memory access, trap or change of rounding mode.
 * Anything else ends a segment (jumps and branches end their block).
 */
const CANNOT_STOP = new Set(
  (
    "add addi addiw addw sub subw lui auipc li mv neg negw not sext.w zext.b seqz snez sltz sgtz slt slti sltu " +
    "sltiu and andi or ori xor xori sll slli srl srli sra srai sllw slliw srlw srliw sraw sraiw mul mulh mulhsu " +
    "mulhu mulw div divu divw divuw rem remu remw remuw nop"
  ).split(" "),
);

/** Plain loads and stores: one access each time they run to their end (atomics make two, a failing `sc` none). */
const PLAIN_MEMORY = new Set("lb lh lw ld lbu lhu lwu flw fld sb sh sw sd fsw fsd".split(" "));

function mnemonic(disas: string): string {
  const sp = disas.indexOf(" ");
  return sp < 0 ? disas : disas.slice(0, sp);
}

/** A random 32-bit generator (xorshift32) for `evict=rand`, seeded from the JavaScript engine. */
function randomGenerator(): () => number {
  let s = (Math.random() * 0xffffffff) | 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

/**
 * One simulated cache. Guest memory is at most 2 GiB in plume, so the
 * addresses accessed are below 2^31, and the masks and tags 32-bit. A
 * set's ways fill in order and are never invalidated, so `fill[set]` says
 * which are valid (QEMU's valid bits).
 */
class Cache {
  readonly assoc: number;
  readonly blkShift: number;
  readonly setMask: number;
  readonly tagMask: number;
  readonly lineMask: number;
  readonly tags: Int32Array;
  readonly fill: Int32Array;
  /** LRU: the priority of each block and each set's generation counter (exact to 2^53). */
  readonly priority: Float64Array;
  readonly generation: Float64Array;
  /** FIFO: the next block to evict in each full set. */
  readonly nextOut: Int32Array;
  /** Accesses and misses so far; hits on the last line are counted in `pendingHits` until {@link settle}. */
  accesses = 0;
  misses = 0;
  /** The line of the last access (-1: none; accesses are below 2^31) and where it is. */
  lastLine = -1;
  lastSet = 0;
  lastBlock = 0;
  /**
   * Hits on the last line not yet applied: LRU's updates for a run of hits
   * on one block come to one (the generation counter moves by the run's
   * length, the block gets its last value), applied before the next access
   * elsewhere.
   */
  pendingHits = 0;

  constructor(blksize: number, assoc: number, cachesize: number, readonly policy: Policy, readonly rand: () => number) {
    const numSets = cachesize / (blksize * assoc);
    this.assoc = assoc;
    this.blkShift = Math.log2(blksize);
    this.setMask = ((numSets - 1) << this.blkShift) | 0;
    this.tagMask = ~(this.setMask | (blksize - 1));
    this.lineMask = ~(blksize - 1);
    this.tags = new Int32Array(numSets * assoc);
    this.fill = new Int32Array(numSets);
    this.priority = new Float64Array(policy === LRU ? numSets * assoc : 0);
    this.generation = new Float64Array(policy === LRU ? numSets : 0);
    this.nextOut = new Int32Array(policy === FIFO ? numSets : 0);
  }

  /** Applies the pending hits on the last line. */
  settle(): void {
    const n = this.pendingHits;
    if (n === 0) return;
    this.pendingHits = 0;
    this.accesses += n;
    if (this.policy === LRU) this.priority[this.lastBlock] = (this.generation[this.lastSet] += n) - 1;
  }

  /** Simulates an access at `addr`; true for a hit. The cache is updated on a miss for the next access. */
  access(addr: number): boolean {
    const line = addr & this.lineMask;
    if (line === this.lastLine) {
      // Nothing but this cache's own accesses changes it: the block of the last one is still there.
      this.pendingHits++;
      return true;
    }
    if (this.pendingHits !== 0) this.settle();
    this.accesses++;
    const set = (addr & this.setMask) >>> this.blkShift, tag = addr & this.tagMask;
    const base = set * this.assoc, valid = this.fill[set];
    this.lastLine = line;
    this.lastSet = set;
    for (let b = base; b < base + valid; b++) {
      if (this.tags[b] === tag) {
        this.lastBlock = b;
        if (this.policy === LRU) this.priority[b] = this.generation[set]++;
        return true;
      }
    }
    this.misses++;
    let victim: number;
    if (valid < this.assoc) {
      victim = base + valid;
      this.fill[set] = valid + 1;
    } else victim = base + this.replaced(set, base);
    if (this.policy === LRU) this.priority[victim] = this.generation[set]++;
    this.tags[victim] = tag;
    this.lastBlock = victim;
    return false;
  }

  /** The way to evict from full set `set` (blocks from `base`). */
  private replaced(set: number, base: number): number {
    if (this.policy === FIFO) {
      const way = this.nextOut[set];
      this.nextOut[set] = way + 1 === this.assoc ? 0 : way + 1;
      return way;
    }
    if (this.policy === RAND) return this.rand() % this.assoc;
    // QEMU keeps the least priority in an int: its low 32 bits, compared as a 64-bit unsigned value.
    const p = this.priority;
    let min = p[base] | 0, way = 0;
    for (let w = 1; w < this.assoc; w++) {
      if (min < 0 || p[base + w] < min) {
        min = p[base + w] | 0;
        way = w;
      }
    }
    return way;
  }
}

/**
 * The order in which QEMU's `g_hash_table_get_values` returns the
 * instructions: GLib 2.74's open-addressing table (hash: the address's
 * low 32 bits; first bucket `hash * 11 % prime`, quadratic probing, grown
 * by reinserting in place), read bucket by bucket and prepended to a list.
 * Only insertions happen (no removal), so there are no tombstones.
 */
class GlibHashOrder<T> {
  // deno-fmt-ignore
  private static readonly PRIME_MOD = [
    1, 2, 3, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071, 262139, 524287,
    1048573, 2097143, 4194301, 8388593, 16777213, 33554393, 67108859, 134217689, 268435399, 536870909, 1073741789,
    2147483647,
  ];
  private size = 0;
  private mod = 0;
  private mask = 0;
  private nnodes = 0;
  private noccupied = 0;
  private hashes = new Uint32Array(0);
  private values: T[] = [];

  constructor() {
    this.setShift(3);
    this.hashes = new Uint32Array(this.size);
  }

  private setShift(shift: number): void {
    this.size = 1 << shift;
    this.mod = GlibHashOrder.PRIME_MOD[shift];
    this.mask = this.size - 1;
  }

  private index(hash: number): number {
    return (Math.imul(hash, 11) >>> 0) % this.mod;
  }

  /** Inserts a key not in the table yet. */
  insert(key: number, value: T): void {
    let hash = key % 2 ** 32;
    if (hash < 2) hash = 2;
    let i = this.index(hash), step = 0;
    while (this.hashes[i] !== 0) i = (i + ++step) & this.mask;
    this.hashes[i] = hash;
    this.values[i] = value;
    this.nnodes++;
    this.noccupied++;
    const size = this.size, occupied = this.noccupied;
    if ((size > this.nnodes * 4 && size > 8) || size <= occupied + Math.floor(occupied / 16)) this.resize();
  }

  private resize(): void {
    const oldSize = this.size;
    let n = Math.trunc(this.nnodes * 1.333), shift = 0;
    for (; n; shift++) n >>= 1;
    this.setShift(Math.max(shift, 3));
    const hashes = new Uint32Array(Math.max(this.size, oldSize));
    hashes.set(this.hashes);
    const values = this.values;
    const moved = new Uint8Array(hashes.length);
    for (let i = 0; i < oldSize; i++) {
      let hash = hashes[i];
      if (hash < 2) {
        hashes[i] = 0;
        continue;
      }
      if (moved[i]) continue;
      hashes[i] = 0;
      let value = values[i];
      for (;;) {
        let j = this.index(hash), step = 0;
        while (moved[j]) j = (j + ++step) & this.mask;
        moved[j] = 1;
        const replaced = hashes[j], replacedValue = values[j];
        hashes[j] = hash;
        values[j] = value;
        if (replaced < 2) break;
        hash = replaced;
        value = replacedValue;
      }
    }
    this.hashes = hashes.length === this.size ? hashes : hashes.slice(0, this.size);
    this.noccupied = this.nnodes;
  }

  /** The values as `g_hash_table_get_values` lists them. */
  valuesInListOrder(): T[] {
    const list: T[] = [];
    for (let i = this.size - 1; i >= 0; i--) if (this.hashes[i] >= 2) list.push(this.values[i]);
    return list;
  }
}

/** `g_ascii_strtoll(s, NULL, 10)` stored in a C `int`: leading digits (none: 0), saturated, then truncated. */
function strtoll(s: string | undefined): number {
  const m = s === undefined ? null : /^\s*([+-]?\d+)/.exec(s);
  if (!m) return 0;
  let v = BigInt(m[1]);
  const max = (1n << 63n) - 1n;
  v = v > max ? max : v < -max - 1n ? -max - 1n : v;
  return Number(BigInt.asIntN(32, v));
}

/** C's `%.Nf`: the exact value rounded to N decimals, halfway cases to even (JavaScript's `toFixed` rounds them up). */
function cFixed(x: number, decimals: number): string {
  const s = x.toFixed(decimals), exact = x.toFixed(100);
  const point = exact.indexOf(".");
  const rest = exact.slice(point + 1 + decimals);
  if (!/^50*$/.test(rest)) return s;
  const truncated = exact.slice(0, point + 1 + decimals);
  return Number(truncated[truncated.length - 1]) % 2 === 0 ? truncated : s;
}

/** Checks cache parameters as QEMU does, with the reason in the message. */
function checkCache(name: string, blksize: number, assoc: number, cachesize: number): void {
  let why: string | undefined;
  if (blksize <= 0 || assoc <= 0 || cachesize <= 0) why = "sizes and associativity must be positive";
  else if (cachesize % blksize !== 0) why = "cache size must be divisible by block size";
  else if (cachesize % (blksize * assoc) !== 0) why = "cache size must be divisible by set size (assoc * block size)";
  else if ((blksize & (blksize - 1)) !== 0) why = "block size must be a power of two";
  if (why) throw new Error(`${name} cannot be constructed from given parameters: ${why}`);
}

/** Installs the plugin. */
export function qemu_plugin_install(id: PluginId, info: QemuInfo, argv: string[]): number {
  let limit = 32;
  let dassoc = 8, dblksize = 64, dcachesize = dblksize * dassoc * 32;
  let iassoc = 8, iblksize = 64, icachesize = iblksize * iassoc * 32;
  let l2assoc = 16, l2blksize = 64, l2cachesize = l2assoc * l2blksize * 2048;
  let useL2 = false, policy: Policy = LRU;
  let cores = info.system_emulation ? info.system.smp_vcpus : 1;
  for (const opt of argv) {
    const eq = opt.indexOf("=");
    const key = eq < 0 ? opt : opt.slice(0, eq), value = eq < 0 ? undefined : opt.slice(eq + 1);
    if (key === "iblksize") iblksize = strtoll(value);
    else if (key === "iassoc") iassoc = strtoll(value);
    else if (key === "icachesize") icachesize = strtoll(value);
    else if (key === "dblksize") dblksize = strtoll(value);
    else if (key === "dassoc") dassoc = strtoll(value);
    else if (key === "dcachesize") dcachesize = strtoll(value);
    else if (key === "limit") limit = strtoll(value);
    else if (key === "cores") cores = strtoll(value);
    else if (key === "l2cachesize") (useL2 = true), (l2cachesize = strtoll(value));
    else if (key === "l2blksize") (useL2 = true), (l2blksize = strtoll(value));
    else if (key === "l2assoc") (useL2 = true), (l2assoc = strtoll(value));
    else if (key === "l2") {
      const b = qemu_plugin_bool_parse(key, value ?? "");
      if (b === undefined) throw new Error(`boolean argument parsing failed: ${opt}`);
      useL2 = b;
    } else if (key === "evict") {
      if (value === "rand") policy = RAND;
      else if (value === "lru") policy = LRU;
      else if (value === "fifo") policy = FIFO;
      else throw new Error(`invalid eviction policy: ${opt}`);
    } else throw new Error(`option parsing failed: ${opt}`);
  }
  if (cores < 1) throw new Error(`cores must be at least 1: ${cores}`);
  checkCache("dcache", dblksize, dassoc, dcachesize);
  checkCache("icache", iblksize, iassoc, icachesize);
  if (useL2) checkCache("L2 cache", l2blksize, l2assoc, l2cachesize);

  const rand = randomGenerator();
  const caches = (blksize: number, assoc: number, size: number) =>
    Array.from({ length: cores }, () => new Cache(blksize, assoc, size, policy, rand));
  const dcaches = caches(dblksize, dassoc, dcachesize), icaches = caches(iblksize, iassoc, icachesize);
  const l2caches = useL2 ? caches(l2blksize, l2assoc, l2cachesize) : [];
  const insns = new Map<number, InsnData>();
  const order = new GlibHashOrder<InsnData>();

  /** Simulates the fetches of segment `s` of `p`, on `vcpu`'s core. */
  function simulate(p: BlockPlan, s: number, vcpu: number): void {
    const core = cores === 1 ? 0 : vcpu % cores, l1 = icaches[core];
    for (let h = p.segStart[s], end = p.segStart[s + 1]; h < end; h++) {
      l1.pendingHits += p.hitsBefore[h];
      if (l1.access(p.addrs[h])) continue;
      const d = p.data[h];
      d.l1iMisses++;
      if (useL2 && !l2caches[core].access(p.addrs[h])) d.l2Misses++;
    }
    l1.pendingHits += p.segTail[s];
  }

  function onExec(vcpu: number, trace: unknown): void {
    const t = trace as Trace;
    simulate(t.plan, t.seg, vcpu);
  }
  function onAccess(vcpu: number, _info: MemInfo, vaddr: number, trace: unknown): void {
    const t = trace as Trace, core = cores === 1 ? 0 : vcpu % cores;
    if (!dcaches[core].access(vaddr)) {
      t.data.l1dMisses++;
      if (useL2 && !l2caches[core].access(vaddr)) t.data.l2Misses++;
    }
    if (t.seg >= 0) simulate(t.plan, t.seg, vcpu);
  }

  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id: PluginId, tb: Tb) => {
    const n = qemu_plugin_tb_n_insns(tb), lineMask = icaches[0].lineMask;
    const segStart = [0], segTail: number[] = [], addrs: number[] = [], datas: InsnData[] = [];
    const hitsBefore: number[] = [];
    const empty = new Int32Array(0);
    const p: BlockPlan = { segStart: empty, segTail: empty, addrs, data: datas, hitsBefore: empty };
    let lastLine = -1, hits = 0, startHere = true;
    for (let i = 0; i < n; i++) {
      const insn = qemu_plugin_tb_get_insn(tb, i), addr = qemu_plugin_insn_vaddr(insn);
      const disas = qemu_plugin_insn_disas(insn), op = mnemonic(disas);
      // An instruction translated again keeps its entry (and its counts).
      let data = insns.get(addr);
      if (!data) {
        data = { addr, disas, symbol: qemu_plugin_insn_symbol(insn), l1dMisses: 0, l1iMisses: 0, l2Misses: 0 };
        insns.set(addr, data);
        order.insert(addr, data);
      }
      // A segment that starts at the block's start or after an instruction other than a load or store.
      if (startHere) {
        const trace: Trace = { plan: p, seg: segTail.length, data };
        qemu_plugin_register_vcpu_insn_exec_cb(insn, onExec, QEMU_PLUGIN_CB_NO_REGS, trace);
        startHere = false;
      }
      const line = addr & lineMask;
      if (line !== lastLine) {
        addrs.push(addr);
        datas.push(data);
        hitsBefore.push(hits);
        hits = 0;
      } else hits++;
      lastLine = line;
      const plain = PLAIN_MEMORY.has(op), ends = plain || !CANNOT_STOP.has(op) || i === n - 1;
      if (ends) {
        segTail.push(hits);
        segStart.push(addrs.length);
        hits = 0;
        startHere = !plain && i < n - 1;
      }
      // As QEMU, every instruction has a memory callback: only those that access memory have records.
      // A plain load's or store's starts the segment after it.
      const trace: Trace = { plan: p, seg: plain && i < n - 1 ? segTail.length : -1, data };
      qemu_plugin_register_vcpu_mem_cb(insn, onAccess, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, trace);
    }
    p.segStart = Int32Array.from(segStart);
    p.segTail = Int32Array.from(segTail);
    p.hitsBefore = Int32Array.from(hitsBefore);
  });

  function statsLine(da: number, dm: number, ia: number, im: number, l2a: number, l2m: number): string {
    const rate = (misses: number, accesses: number, width: number) =>
      cFixed(accesses ? misses / accesses * 100.0 : 0.0, 4).padStart(width);
    let s = `${String(da).padEnd(14)} ${String(dm).padEnd(12)} ${rate(dm, da, 9)}%  ` +
      `${String(ia).padEnd(14)} ${String(im).padEnd(12)} ${rate(im, ia, 9)}%`;
    if (useL2) s += `  ${String(l2a).padEnd(12)} ${String(l2m).padEnd(11)} ${rate(l2m, l2a, 10)}%`;
    return s + "\n";
  }

  function stats(): string {
    let s = "core #, data accesses, data misses, dmiss rate, insn accesses, insn misses, imiss rate";
    s += useL2 ? ", l2 accesses, l2 misses, l2 miss rate\n" : "\n";
    const sum = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < cores; i++) {
      const d = dcaches[i], c = icaches[i], l2 = l2caches[i];
      for (const cache of [d, c, l2]) cache?.settle();
      const row = [d.accesses, d.misses, c.accesses, c.misses, l2?.accesses ?? 0, l2?.misses ?? 0];
      row.forEach((v, k) => (sum[k] += v));
      s += String(i).padEnd(8) + statsLine(row[0], row[1], row[2], row[3], row[4], row[5]);
    }
    if (cores > 1) s += "sum".padEnd(8) + statsLine(sum[0], sum[1], sum[2], sum[3], sum[4], sum[5]);
    return s + "\n";
  }

  function topInsns(): string {
    // QEMU sorts with GLib's stable merge sort, each table from the order the previous one left.
    let list = order.valuesInListOrder();
    const table = (title: string, misses: (d: InsnData) => number) => {
      list = list.slice().sort((a, b) => misses(b) - misses(a));
      let s = `${title}\n`;
      for (let i = 0; i < limit && i < list.length; i++) {
        const d = list[i];
        s += `0x${d.addr.toString(16)}${d.symbol ? ` (${d.symbol})` : ""}, ${misses(d)}, ${d.disas}\n`;
      }
      return s;
    };
    let s = table("address, data misses, instruction", (d) => d.l1dMisses);
    s += table("\naddress, fetch misses, instruction", (d) => d.l1iMisses);
    if (useL2) s += table("\naddress, L2 misses, instruction", (d) => d.l2Misses);
    return s;
  }

  qemu_plugin_register_atexit_cb(id, () => {
    qemu_plugin_outs(stats());
    qemu_plugin_outs(topInsns());
  }, null);
  return 0;
}
