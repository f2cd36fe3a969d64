/**
 * uftrace: a function-level trace as a `uftrace.data` directory, which
 * uftrace replays, dumps and reports (`uftrace replay -d DIR`,
 * `uftrace dump -d DIR --chrome` for Perfetto and chrome://tracing,
 * `uftrace report`, `uftrace graph`), after QEMU's
 * `contrib/plugins/uftrace.c` (QEMU 10.1).
 *
 * QEMU's plugin follows the frame pointer (x29 on AArch64, rbp on x86-64)
 * at every instruction that may change it, reading registers and memory
 * in synchronous callbacks, and knows those two targets only. plume's
 * follows RISC-V's calls and returns with a shadow stack in streamed
 * callbacks (`_calltrace.ts`): no frame pointer is needed, the guest
 * never waits for the plugin, and a function appears when it is called,
 * not when its prologue has set its frame up. QEMU writes no symbols (its
 * `uftrace_symbols.py` makes them from the ELF files afterwards, and in
 * user mode its map is QEMU's own `/proc/self/maps`); plume writes the
 * guest's map and a symbol file per module, from the program's symbol
 * table and each library's dynamic symbols, so that the directory is
 * complete as written.
 *
 * Options: `dir=PATH` (default `uftrace.data`; uftrace's `-d`), the
 * directory written, and QEMU's `trace-privilege-level=on|off`, accepted
 * and without effect in user mode (all code runs in one privilege level).
 * Any other option is refused, as QEMU does.
 *
 * What the directory holds (uftrace's own format, version 4, as
 * `uftrace record` writes it):
 * - `info`: the 40-byte header (magic `Ftrace!`, features `TASK_SESSION`,
 *   `SYM_REL_ADDR` and `MAX_STACK`, maximum depth 1024) and the text
 *   lines uftrace's `info` command reads: program, build id (zeros),
 *   exit status, command line, tasks, and placeholders for the host
 *   facts a plugin cannot know;
 * - `task.txt`: a `SESS` line per program (an execve starts a session)
 *   and a `TASK` line per vCPU (thread);
 * - `sid-<id>.map`: each session's modules with their address ranges,
 *   like `/proc/PID/maps` (and a `[stack]` line at the top of the address
 *   space, which makes uftrace place the kernel above every guest
 *   address);
 * - `<module>.sym`: each module's functions at their offsets from its
 *   start (`ADDR T NAME` lines, with `__func_end`/`__sym_end` markers
 *   closing each function that another does not follow at once);
 * - `<tid>.dat`: a vCPU's entry and exit records (16 bytes each: the
 *   time, then type, magic 5, depth and the function's address in one
 *   64-bit word).
 *
 * Time is the guest's instruction count, one instruction a nanosecond: a
 * function's duration is the instructions executed while it was on the
 * stack, the same on every run. Tasks are numbered from 100 in the order
 * they start (vCPU 0 first; a thread that ends and one that reuses its
 * vCPU are two tasks), all in process 100. Frames open at the end (the root
 * function that calls `exit`, its callers) are closed at the last
 * instruction. Frames deeper than 1024 are not recorded (uftrace's
 * default `--max-stack`).
 *
 * Writing a directory needs a write permission: as a built-in, uftrace
 * gets write access to exactly the directory its `dir=` names, refused
 * when that is an existing directory that is neither empty nor a uftrace
 * data directory (the loader's `builtinGrants`); a copy loaded from a file
 * needs `-plugin-allow write=DIR` like any plugin.
 *
 * @module
 */

import {
  type PluginId,
  qemu_plugin_bool_parse,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  type QemuInfo,
} from "qemu-plugin";
import { CallTrace, type Cpu, type Fn, type Frame, type Module } from "./_calltrace.ts";

/** Plugin API version this plugin is written for. */
export const qemu_plugin_version = 7;

/** uftrace's default directory. */
const DEFAULT_DIR = "uftrace.data";

/** Frames up to this depth are recorded (uftrace's default `--max-stack`; the record's depth has 10 bits). */
const MAX_DEPTH = 1024;

/** Records kept per vCPU before they are written out (16 bytes each: 16 MiB), and the first batch's room. */
const FLUSH_RECORDS = 1 << 20, FIRST_RECORDS = 1 << 10;

/** uftrace's record types and the magic of format version 4 (`uftrace.h`). */
const ENTRY = 0, EXIT = 1, RECORD_MAGIC = 5;

/** The `info` header's fields (`struct uftrace_file_header`). */
const FILE_VERSION = 4, HEADER_SIZE = 40;
const FEAT = { TASK_SESSION: 1 << 1, SYM_REL_ADDR: 1 << 5, MAX_STACK: 1 << 6 } as const;
/** EXE_NAME … LOADINFO (bits 0–9), RECORD_DATE, PATTERN_TYPE, VERSION (bits 11–13): what uftrace 0.13 writes. */
const INFO_MASK = 0x3bff;

const PID = 100;

/** One vCPU's records, written to `<tid>.dat` a batch at a time. */
class Task {
  readonly tid: number;
  /** When its first record was made. */
  readonly since: number;
  private file: Deno.FsFile;
  /** Grows to {@link FLUSH_RECORDS}: a program may start many short threads. */
  private buf = new Uint32Array(4 * FIRST_RECORDS);
  private n = 0;
  /** Records already written out. */
  private flushed = 0;

  constructor(dir: string, tid: number, since: number) {
    this.tid = tid;
    this.since = since;
    this.file = Deno.openSync(`${dir}/${this.tid}.dat`, { write: true, create: true, truncate: true });
  }

  /** Appends a record; returns its index. */
  add(time: number, type: number, depth: number, addr: number): number {
    if (4 * this.n === this.buf.length) {
      if (this.n < FLUSH_RECORDS) {
        const bigger = new Uint32Array(2 * this.buf.length);
        bigger.set(this.buf);
        this.buf = bigger;
      } else this.flush();
    }
    const b = this.buf, i = 4 * this.n++;
    b[i] = time >>> 0;
    b[i + 1] = Math.floor(time / 2 ** 32);
    b[i + 2] = (type | RECORD_MAGIC << 3 | depth << 6 | (addr & 0xffff) << 16) >>> 0;
    b[i + 3] = Math.floor(addr / 2 ** 16) >>> 0;
    return this.flushed + this.n - 1;
  }

  /** Changes the address of record `index` if it is not written out yet. */
  readdress(index: number, addr: number): void {
    const i = 4 * (index - this.flushed);
    if (i < 0) return;
    this.buf[i + 2] = ((this.buf[i + 2] & 0xffff) | (addr & 0xffff) << 16) >>> 0;
    this.buf[i + 3] = Math.floor(addr / 2 ** 16) >>> 0;
  }

  flush(): void {
    const bytes = new Uint8Array(this.buf.buffer, 0, 16 * this.n);
    for (let done = 0; done < bytes.length;) done += this.file.writeSync(bytes.subarray(done));
    this.flushed += this.n;
    this.n = 0;
  }

  close(): void {
    this.flush();
    this.file.close();
  }
}

/** `SEC.NSEC` of a time in nanoseconds (instructions). */
const seconds = (ns: number) => `${Math.floor(ns / 1e9)}.${String(ns % 1e9).padStart(9, "0")}`;

/** A date as C's `ctime` writes it (UTC), as in uftrace's `record_date:`. */
function ctime(d: Date): string {
  const day = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][d.getUTCDay()];
  const month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][d.getUTCMonth()];
  const two = (n: number) => String(n).padStart(2, "0");
  return `${day} ${month} ${String(d.getUTCDate()).padStart(2)} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${
    two(d.getUTCSeconds())
  } ${d.getUTCFullYear()}`;
}

/** The `info` file: header, then the lines of each bit of {@link INFO_MASK}, in bit order. */
function infoFile(trace: CallTrace, tasks: Task[], vcpus: number, date: Date): Uint8Array {
  const first = trace.sessions[0];
  const lines = [
    `exename:${first?.exe ?? ""}`,
    `build_id:${"0".repeat(40)}`,
    // A wait status, as uftrace records its child's; when the guest made no exit call (it died of a signal), a
    // stopped one (0x7f), which uftrace shows as unknown.
    `exit_status:${trace.exitStatus === undefined ? 0x7f : trace.exitStatus << 8}`,
    `cmdline:${first?.argv.join(" ") ?? ""}`,
    "cpuinfo:lines=2",
    `cpuinfo:nr_cpus=${vcpus} / ${vcpus} (online/possible)`,
    "cpuinfo:desc=RISC-V 64-bit (plume)",
    "meminfo:0.0 / 0.0 GB (free / total)",
    "osinfo:lines=3",
    "osinfo:kernel=Linux (plume)",
    "osinfo:hostname=plume",
    'osinfo:distro="unknown"',
    "taskinfo:lines=2",
    `taskinfo:nr_tid=${tasks.length}`,
    `taskinfo:tids=${tasks.map((t) => t.tid).join(",")}`,
    "usageinfo:lines=6",
    "usageinfo:systime=0.000000",
    "usageinfo:usrtime=0.000000",
    "usageinfo:ctxsw=0 / 0 (voluntary / involuntary)",
    "usageinfo:maxrss=0",
    "usageinfo:pagefault=0 / 0 (major / minor)",
    "usageinfo:iops=0 / 0 (read / write)",
    "loadinfo:0.00 / 0.00 / 0.00",
    `record_date:${ctime(date)}`,
    `elapsed_time:${seconds(trace.insns)} sec`,
    "pattern_type:regex",
    "uftrace_version:v0.13 ( riscv64 plume )",
  ];
  const text = new TextEncoder().encode(lines.join("\n") + "\n");
  const out = new Uint8Array(HEADER_SIZE + text.length), h = new DataView(out.buffer);
  out.set(new TextEncoder().encode("Ftrace!\0"));
  h.setUint32(8, FILE_VERSION, true);
  h.setUint16(12, HEADER_SIZE, true);
  h.setUint8(14, 1); // little-endian
  h.setUint8(15, 2); // ELFCLASS64
  h.setBigUint64(16, BigInt(FEAT.TASK_SESSION | FEAT.SYM_REL_ADDR | FEAT.MAX_STACK), true);
  h.setBigUint64(24, BigInt(INFO_MASK), true);
  h.setUint16(32, MAX_DEPTH, true);
  out.set(text, HEADER_SIZE);
  return out;
}

/** A module's symbol file: its functions at their offsets from its start, sorted. */
function symbolFile(m: Module, fns: Fn[]): string {
  const sorted = fns.filter((f) => f.name !== null).sort((a, b) => a.start - b.start || b.end - a.end);
  const hex = (a: number) => (a - m.base).toString(16).padStart(16, "0");
  let s = `# symbols: ${sorted.length}\n# path name: ${m.path}\n`;
  sorted.forEach((f, i) => {
    s += `${hex(f.start)} T ${f.name}\n`;
    const next = sorted[i + 1];
    if (!next) s += `${hex(f.end)} ? __sym_end\n`;
    else if (f.end < next.start) s += `${hex(f.end)} ? __func_end\n`;
  });
  return s;
}

/** Installs the plugin. */
export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  let dir = DEFAULT_DIR;
  for (const opt of argv) {
    const eq = opt.indexOf("="), key = eq < 0 ? opt : opt.slice(0, eq), value = opt.slice(eq + 1);
    if (key === "dir" && eq > 0) dir = value;
    else if (key === "trace-privilege-level" && qemu_plugin_bool_parse(key, value) !== undefined) continue;
    else {
      qemu_plugin_outs(`uftrace: option parsing failed: ${opt}\n`);
      return -1;
    }
  }
  // As `uftrace record`: the directory is made anew.
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  Deno.mkdirSync(dir);
  const date = new Date();

  /** Every task, in the order they started (tids from 100 on), and the live one of each vCPU. */
  const tasks: Task[] = [], live: Task[] = [];
  let vcpus = 0;
  const task = (cpu: Cpu) => {
    vcpus = Math.max(vcpus, cpu.index + 1);
    return live[cpu.index] ??= tasks[tasks.push(new Task(dir, PID + tasks.length, trace.insns)) - 1];
  };
  const trace = new CallTrace(id, {
    enter(cpu: Cpu, frame: Frame) {
      const depth = cpu.stack.length - 1;
      if (depth < MAX_DEPTH) frame.mark = task(cpu).add(trace.insns, ENTRY, depth, frame.entry);
    },
    exit(cpu: Cpu, frame: Frame) {
      const depth = cpu.stack.length - 1;
      if (depth < MAX_DEPTH) task(cpu).add(trace.insns, EXIT, depth, frame.entry);
    },
    retarget(cpu: Cpu, frame: Frame) {
      if (frame.mark >= 0) task(cpu).readdress(frame.mark, frame.entry);
    },
    cpuExit(cpu: Cpu) {
      live[cpu.index]?.close();
      delete live[cpu.index];
    },
  });

  qemu_plugin_register_atexit_cb(id, () => {
    trace.finish();
    for (const t of live) t?.close();
    const write = (name: string, text: string | Uint8Array) =>
      typeof text === "string"
        ? Deno.writeTextFileSync(`${dir}/${name}`, text)
        : Deno.writeFileSync(`${dir}/${name}`, text);
    write("info", infoFile(trace, tasks, vcpus, date));
    let tasksTxt = "";
    const written = new Set<string>();
    trace.sessions.forEach((s, i) => {
      const sid = (i + 1).toString(16).padStart(16, "0");
      tasksTxt += `SESS timestamp=${seconds(s.since)} pid=${PID} sid=${sid} exename="${s.exe}"\n`;
      if (i === 0) {
        for (const t of tasks) tasksTxt += `TASK timestamp=${seconds(t.since)} tid=${t.tid} pid=${PID}\n`;
      }
      let map = "";
      for (const m of s.modules) {
        map += `${m.base.toString(16)}-${m.end.toString(16)} r-xp 00000000 00:00 0 ${m.path}\n`;
        // Symbol files are found by the module's name: the first module of a name has it.
        const name = `${m.path.slice(m.path.lastIndexOf("/") + 1)}.sym`;
        if (written.has(name)) continue;
        written.add(name);
        write(name, symbolFile(m, m.program ? [...s.programFns.values()] : m.symbols ?? []));
      }
      // As QEMU's plugin in system mode: a stack at the top of the address space keeps uftrace's
      // guess of the kernel's start above every guest address.
      map += "ffffffffffff-ffffffffffff rw-p 00000000 00:00 0 [stack]\n";
      write(`sid-${sid}.map`, map);
    });
    write("task.txt", tasksTxt);
  }, null);
  return 0;
}
