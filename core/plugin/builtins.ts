/**
 * The built-in plugins (`plugins/NAME.ts`), with the options `plume plugins`
 * lists. They are loaded through the same bundler and sandbox as any user
 * plugin.
 *
 * @module
 */

import { fileUrlToPath } from "../util/file_url.ts";

/** One built-in plugin. */
export interface BuiltinPlugin {
  /** Name given to `-plugin`. */
  name: string;
  /** One-line description. */
  summary: string;
  /** Options as `[syntax, description]`. */
  options: [string, string][];
  /**
   * The file the plugin writes: the option that names it, and the plugin's
   * own default when the option is not given. The loader grants the plugin
   * write access to exactly that file (`builtinGrants` in
   * `loader.ts`), so that it needs no `-plugin-allow`.
   */
  writes?: {
    option: string;
    /** The file when the option is not given; none: the option is required (`OPTION unspecified`). */
    default?: string;
    /** The files written for the option's value, when not that one file (bbv: one per vCPU). */
    files?: (path: string) => string[];
    /**
     * A directory the plugin makes anew (uftrace's `uftrace.data`), not a
     * file: granted only when it does not exist, is empty, or holds only
     * files, among them the file `marker` starting with `magic` (written
     * there by the plugin before).
     */
    directory?: { marker: string; magic: string };
    /** The loader passes the default as `OPTION=DEFAULT` when the option is absent: one only plume knows (a pid). */
    passDefault?: boolean;
    /**
     * The name may hold `%p`, the guest's process id (Valgrind's
     * `--callgrind-out-file` syntax), for one file per process: such a name
     * grants write access to the directory the files go to.
     */
    perProcess?: boolean;
  };
  /**
   * The unix socket the plugin talks through: the option that names it.
   * The loader grants exactly that socket (`unix=PATH`, `builtinGrants`
   * in `loader.ts`), which the plugin process connects before it confines
   * itself (`plume_unix_socket`).
   */
  socket?: { option: string };
}

/** How many vCPUs bbv may write a file for: the grant names each file, and vCPUs are not bounded. */
const BBV_VCPU_FILES = 256;

/** Built-in plugins, in the order `plume plugins` lists them. */
export const BUILTIN_PLUGINS: readonly BuiltinPlugin[] = [
  {
    name: "insn",
    summary: "count executed instructions (QEMU's tests/tcg/plugins/insn.c)",
    options: [
      ["inline=on|off", "count with inline operations instead of a callback per instruction (default off)"],
      ["sizes=on|off", "also print a histogram of instruction sizes"],
      ["match=STRING", "report instructions whose disassembly starts with STRING (repeatable)"],
      ["trace=on|off", "with match: print every matched execution"],
    ],
  },
  {
    name: "bb",
    summary: "count executed basic blocks and instructions (QEMU's contrib/plugins/bb.c)",
    options: [
      ["inline=on|off", "count with inline operations instead of callbacks (default off)"],
      ["idle=on|off", "also report at vCPU idle (never in user mode)"],
    ],
  },
  {
    name: "mem",
    summary: "count memory accesses (QEMU's tests/tcg/plugins/mem.c)",
    options: [
      ["inline=on|off", "count with inline operations"],
      ["callback=on|off", "count with a callback per access (default on unless inline)"],
      ["track=r|w|rw", "which accesses to count (default rw)"],
      ["print-accesses=on|off", "print every access (address, size, value)"],
    ],
  },
  {
    name: "hotblocks",
    summary: "the most executed translation blocks (QEMU's contrib/plugins/hotblocks.c)",
    options: [
      ["inline=on|off", "count with inline operations (default off)"],
      ["limit=N", "how many blocks to print (default 20)"],
    ],
  },
  {
    name: "syscall",
    summary: "system call statistics (QEMU's tests/tcg/plugins/syscall.c)",
    options: [["print=on|off", "print every system call and its result"]],
  },
  {
    name: "hotpages",
    summary: "the most accessed pages of memory (QEMU's contrib/plugins/hotpages.c)",
    options: [
      ["sortby=KEY", "order by reads, writes or address (default: reads plus writes)"],
      ["io=on|off", "count only I/O accesses (none in user mode)"],
      ["pagesize=N", "page size in bytes (default 4096)"],
    ],
  },
  {
    name: "howvec",
    summary: "executed instructions by class and word (QEMU's contrib/plugins/howvec.c)",
    options: [
      ["inline=on|off", "count with inline operations (default off)"],
      ["verbose=on|off", "also list classes counted as a whole that never ran"],
      ["count=CLASS", "count class CLASS per instruction word (riscv64 has one: unclas)"],
      ["count=!CLASS", "do not count class CLASS"],
    ],
  },
  {
    name: "drcov",
    summary: "block coverage in DynamoRIO's drcov format, every module (QEMU's contrib/plugins/drcov.c)",
    options: [["filename=FILE", "the file to write (default file.drcov.trace; write access to it is granted)"]],
    // drcov.ts's default, QEMU's: tests/plugins_qemu_ports_a_test.ts runs drcov without filename=.
    writes: { option: "filename", default: "file.drcov.trace" },
  },
  {
    name: "execlog",
    summary: "a line per executed instruction with its memory accesses (QEMU's contrib/plugins/execlog.c)",
    options: [
      ["ifilter=PREFIX", "log only instructions whose disassembly starts with PREFIX (repeatable)"],
      ["afilter=ADDR", "log only the instruction at hex address ADDR (repeatable)"],
      ["reg=PATTERN", "also log changes of the registers matching PATTERN (* and ?; repeatable; QEMU 9)"],
      ["rdisas=on|off", "with reg: check registers only after instructions that name one (QEMU 9)"],
    ],
  },
  {
    name: "cache",
    summary: "L1 instruction and data caches and an L2, simulated (QEMU's contrib/plugins/cache.c)",
    options: [
      ["dcachesize=N", "L1 data cache size in bytes (default 16384)"],
      ["dblksize=N", "L1 data cache block size (default 64)"],
      ["dassoc=N", "L1 data cache associativity (default 8)"],
      ["icachesize=N", "L1 instruction cache size (default 16384)"],
      ["iblksize=N", "L1 instruction cache block size (default 64)"],
      ["iassoc=N", "L1 instruction cache associativity (default 8)"],
      ["l2cachesize=N", "L2 cache size (default 2097152; any l2 option turns L2 on)"],
      ["l2blksize=N", "L2 cache block size (default 64)"],
      ["l2assoc=N", "L2 cache associativity (default 16)"],
      ["l2=on|off", "simulate the L2 cache (default off)"],
      ["evict=lru|fifo|rand", "eviction policy (default lru)"],
      ["cores=N", "simulated cores, vCPU i using core i % N (default 1)"],
      ["limit=N", "rows of each table of instructions (default 32)"],
    ],
  },
  {
    name: "lockstep",
    summary: "two runs compared block by block over a unix socket (QEMU's contrib/plugins/lockstep.c)",
    options: [
      ["sockpath=PATH", "the socket: listen there if nothing is, else connect (required; the socket is granted)"],
      ["verbose=on|off", "also report divergences that may not last (default off)"],
    ],
    socket: { option: "sockpath" },
  },
  {
    name: "bbv",
    summary: "basic-block vectors for SimPoint, a file per vCPU (QEMU's contrib/plugins/bbv.c)",
    options: [
      ["outfile=PATH", "write PATH.N.bb for vCPU N (required; write access to them is granted)"],
      ["interval=N", "instructions per vector (default 100000000)"],
    ],
    writes: {
      option: "outfile",
      files: (path) => Array.from({ length: BBV_VCPU_FILES }, (_, vcpu) => `${path}.${vcpu}.bb`),
    },
  },
  {
    name: "stoptrigger",
    summary: "exit at an instruction count or address, with an exit code (QEMU's contrib/plugins/stoptrigger.c)",
    options: [
      ["icount=N[:CODE]", "exit with CODE (default 0) once a vCPU has run N instructions"],
      ["addr=A[:CODE]", "exit with CODE (default 0) before the instruction at A runs (repeatable)"],
      ["", "needs -plugin-allow guest=write: the guest exits through exit_group"],
    ],
  },
  {
    name: "traps",
    summary: "interrupts, exceptions and host calls per vCPU (QEMU's contrib/plugins/traps.c)",
    options: [["", "no options; host calls are system calls, exceptions signals delivered to handlers"]],
  },
  {
    name: "cflow",
    summary: "branch points and where they went (QEMU's contrib/plugins/cflow.c)",
    options: [
      ["sort=hottest", "the 10 most taken branch points (default)"],
      ["sort=early", "the 10 points with most early exits of their block"],
      ["sort=exceptions", "the 10 points with most destinations (QEMU's name for it)"],
    ],
  },
  {
    name: "uftrace",
    summary: "a function call trace as a uftrace.data directory (QEMU 10.1's contrib/plugins/uftrace.c)",
    options: [
      ["dir=PATH", "the directory to write (default uftrace.data; write access to it is granted)"],
      ["trace-privilege-level", "=on|off: QEMU's option; no effect in user mode (one privilege level)"],
    ],
    writes: { option: "dir", default: "uftrace.data", directory: { marker: "info", magic: "Ftrace!\0" } },
  },
  {
    name: "callgrind",
    summary: "a call-graph profile in Callgrind's format, for callgrind_annotate and KCachegrind",
    options: [[
      "outfile=PATH",
      "the file to write, %p the process id: one per process (default callgrind.out.%p; write access to its directory is granted)",
    ]],
    writes: { option: "outfile", default: "callgrind.out.%p", passDefault: true, perProcess: true },
  },
];

/** Directory of the built-in plugins' sources. */
export const BUILTIN_DIR: string = fileUrlToPath(new URL("../../plugins/", import.meta.url));

/** The source path of built-in `name`, or undefined when there is none. */
export function builtinPath(name: string): string | undefined {
  return BUILTIN_PLUGINS.some((p) => p.name === name) ? `${BUILTIN_DIR}${name}.ts` : undefined;
}

/** The text of `plume plugins`. */
export function builtinHelp(): string {
  let s = "Built-in plugins (plume -plugin NAME[,option=value...] PROGRAM):\n";
  for (const p of BUILTIN_PLUGINS) {
    s += `\n  ${p.name.padEnd(12)}${p.summary}\n`;
    for (const [syntax, text] of p.options) s += `      ${syntax.padEnd(24)}${text}\n`;
  }
  return s;
}

/** The text of `-plugin help`. */
export function pluginHelp(): string {
  return `-plugin FILE|NAME[,key=value...]   load a plugin instance (repeatable; QEMU_PLUGIN too)
  FILE is a .ts or .js plugin (with its own relative imports) importing only "qemu-plugin";
  NAME is a built-in. Each occurrence is an independent instance, called in load order.
  Plugin output (qemu_plugin_outs) is shown with -d plugin, or written to the -D file.

-plugin-allow PERM   grant the preceding -plugin one permission (repeatable):
  read=PATH, write=PATH, net=HOST[:PORT], env=VAR, unix=PATH (a unix stream socket
  plume connects for it: to the peer listening at PATH, else listening there for one;
  plume_unix_socket), or guest=write (change the guest's registers, memory, pc and
  system calls: the guest acts with your permissions).
  Without grants a plugin has none; a built-in that writes a file (drcov) may write the
  file its option names, and lockstep use the socket its sockpath= names.
-plugin-watchdog S   seconds a call, a wait of the guest for the plugin, or loading it may
  take in all before the plugin is unloaded (default 10)
-plugin-memory MB    memory limit of each plugin process beyond the runtime's own: heap,
  ArrayBuffers, WebAssembly (default 512; 0: no limit)
-plugin-errors MODE  unload (default: the plugin goes, the guest goes on) or fatal (exit 1)

${builtinHelp()}`;
}
