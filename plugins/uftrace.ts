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
 * - `task.txt`: a `SESS` line per program (an execve starts a session),
 *   a `TASK` line per vCPU (thread) of each process, and a `FORK` line per
 *   forked process;
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
 * stack, the same on every run. A process's first task has the process's
 * pid (`QemuInfo.pid`), its other tasks the next free numbers, in the
 * order they start (a thread that ends and one that reuses its vCPU are
 * two tasks). Frames open at the end (the root
 * function that calls `exit`, its callers) are closed at the last
 * instruction. Frames deeper than 1024 are not recorded (uftrace's
 * default `--max-stack`).
 *
 * Writing a directory needs a write permission: as a built-in, uftrace
 * gets write access to exactly the directory its `dir=` names, refused
 * when that is an existing directory that is neither empty nor a uftrace
 * data directory (the loader's `builtinGrants`), and read access to it; a
 * copy loaded from a file needs `-plugin-allow write=DIR` like any plugin
 * (and `read=DIR` to follow forks, below).
 *
 * Forked processes: the guest's processes write to the one directory, as
 * `uftrace record` does. Each process's copy of the plugin writes its own
 * tasks' `<tid>.dat` (a task id is taken by creating its file exclusively)
 * and at its exit merges what it has into what the others wrote:
 * `task.txt` (a child's `FORK timestamp=… pid=CHILD ppid=PARENT` line
 * before its `TASK` lines, every line in time order), `info` (every task
 * of `task.txt`, which uftrace opens by the tids `info` lists; a child
 * keeps the first process's program, command line and exit status), the
 * `<module>.sym` files (the functions each process saw) and the maps of
 * the sessions it started. A child's records start at its fork, with its
 * parent's stack: its first records may be returns from frames it did
 * not enter, which uftrace shows as a forked child's.
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
import { CallTrace, type Cpu, type Fn, type Frame, type Module, type Session } from "./_calltrace.ts";

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

/** One vCPU's records, written to `<tid>.dat` a batch at a time. */
class Task {
  readonly tid: number;
  /** When its first record was made. */
  readonly since: number;
  private file!: Deno.FsFile;
  /** Grows to {@link FLUSH_RECORDS}: a program may start many short threads. */
  private buf = new Uint32Array(4 * FIRST_RECORDS);
  private n = 0;
  /** Records already written out. */
  private flushed = 0;

  /**
   * A task whose id is `tid` or the next one no process of the guest took:
   * every process's copy of the plugin writes to one directory, and
   * creating `<tid>.dat` exclusively is what reserves an id among them.
   */
  constructor(dir: string, tid: number, since: number) {
    for (;; tid++) {
      try {
        this.file = Deno.openSync(`${dir}/${tid}.dat`, { write: true, createNew: true });
        break;
      } catch (err) {
        if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
      }
    }
    this.tid = tid;
    this.since = since;
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

  /** In a forked child's copy: the records are the parent's to write; the child's descriptor goes. */
  abandon(): void {
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
function infoFile(trace: CallTrace, tids: number[], vcpus: number, date: Date, kept: Map<string, string>): Uint8Array {
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
    `taskinfo:nr_tid=${tids.length}`,
    `taskinfo:tids=${tids.join(",")}`,
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
  // A forked process keeps what the first process wrote about the run (its command line, exit status, times).
  const text = new TextEncoder().encode(lines.map((l) => kept.get(l.slice(0, l.indexOf(":"))) ?? l).join("\n") + "\n");
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

/**
 * A file another process of the guest wrote in the directory, or null when
 * there is none, or when the plugin may not read it (a copy loaded from a
 * file and granted only `write=DIR`: each process then writes as though it
 * were alone).
 */
function readBack(path: string): Uint8Array | null {
  try {
    return Deno.readFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotCapable) return null;
    throw err;
  }
}

/** What the `info` lines of an existing directory say about the run, by key (the keys a forked process keeps). */
function runLines(dir: string): Map<string, string> {
  const kept = new Map<string, string>();
  const bytes = readBack(`${dir}/info`);
  if (!bytes) return kept;
  for (const line of new TextDecoder().decode(bytes.subarray(HEADER_SIZE)).split("\n")) {
    const key = line.slice(0, line.indexOf(":"));
    if (["exename", "build_id", "exit_status", "cmdline", "record_date", "elapsed_time"].includes(key)) {
      kept.set(key, line);
    }
  }
  return kept;
}

/** A function of a symbol file: its offsets in the module and its name. */
interface SymbolEntry {
  start: number;
  end: number;
  name: string;
}

/** The functions a symbol file already lists (another process of the guest wrote it), or none. */
function readSymbols(path: string): SymbolEntry[] {
  const bytes = readBack(path);
  if (!bytes) return [];
  const lines = new TextDecoder().decode(bytes).split("\n").filter((l) => /^[0-9a-f]{16} /.test(l));
  const out: SymbolEntry[] = [];
  lines.forEach((l, i) => {
    if (l[17] !== "T") return;
    const start = parseInt(l.slice(0, 16), 16), next = lines[i + 1];
    out.push({ start, end: next ? parseInt(next.slice(0, 16), 16) : start + 1, name: l.slice(19) });
  });
  return out;
}

/**
 * A module's symbol file: its functions at their offsets from its start,
 * sorted, with those a file of the same name already lists (every process
 * of the guest adds the functions it saw).
 */
function symbolFile(m: Module, fns: Fn[], known: SymbolEntry[]): string {
  const byStart = new Map<number, SymbolEntry>();
  for (const e of known) byStart.set(e.start, e);
  for (const f of fns) {
    if (f.name === null) continue;
    const start = f.start - m.base, end = f.end - m.base, seen = byStart.get(start);
    byStart.set(start, { start, end: Math.max(end, seen?.end ?? end), name: f.name });
  }
  const sorted = [...byStart.values()].sort((a, b) => a.start - b.start || b.end - a.end);
  const hex = (a: number) => a.toString(16).padStart(16, "0");
  let s = `# symbols: ${sorted.length}\n# path name: ${m.path}\n`;
  sorted.forEach((f, i) => {
    s += `${hex(f.start)} T ${f.name}\n`;
    const next = sorted[i + 1];
    if (!next) s += `${hex(f.end)} ? __sym_end\n`;
    else if (f.end < next.start) s += `${hex(f.end)} ? __func_end\n`;
  });
  return s;
}

/** The time of a `task.txt` line in nanoseconds, and its kind's order among lines of one time. */
function lineOrder(line: string): [number, number] {
  const m = /timestamp=(\d+)\.(\d+)/.exec(line);
  const time = m ? Number(m[1]) * 1e9 + Number(m[2]) : 0;
  return [time, ["SESS", "FORK", "TASK"].indexOf(line.slice(0, 4))];
}

/** A 16-hex-digit session id: the process that started it and the session's number there. */
const sessionId = (pid: number, n: number) => `${pid.toString(16).padStart(8, "0")}${n.toString(16).padStart(8, "0")}`;

/** Installs the plugin. */
export function qemu_plugin_install(id: PluginId, info: QemuInfo, argv: string[]): number {
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

  /** This process: its pid, and when it was forked from which (undefined for the first process). */
  let pid = info.pid, fork: { time: number; ppid: number } | undefined;
  /** Each session's id and the pid that started it, fixed by the process that started it. */
  const sessionIds = new Map<Session, { sid: string; pid: number }>();
  const sessionOf = (s: Session) => {
    let id = sessionIds.get(s);
    if (!id) sessionIds.set(s, id = { sid: sessionId(pid, sessionIds.size + 1), pid });
    return id;
  };
  /** This process's tasks, in the order they started, and the live one of each vCPU. */
  const tasks: Task[] = [], live: Task[] = [];
  let vcpus = 0;
  const task = (cpu: Cpu) => {
    vcpus = Math.max(vcpus, cpu.index + 1);
    // A process's first task has its pid, as a main thread has; the others the next free ids.
    return live[cpu.index] ??= tasks[tasks.push(new Task(dir, tasks.length ? pid + 1 : pid, trace.insns)) - 1];
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
    forked() {
      // The sessions so far are the parent's; the parent writes its own tasks' records.
      for (const s of trace.sessions) sessionOf(s);
      fork = { time: trace.insns, ppid: pid };
      pid = info.pid;
      for (const t of live) t?.abandon();
      live.length = tasks.length = 0;
    },
  });

  qemu_plugin_register_atexit_cb(id, () => {
    trace.finish();
    for (const t of live) t?.close();
    const write = (name: string, text: string | Uint8Array) =>
      typeof text === "string"
        ? Deno.writeTextFileSync(`${dir}/${name}`, text)
        : Deno.writeFileSync(`${dir}/${name}`, text);
    // task.txt: every process's lines, in time order (uftrace reads a child's FORK before its TASK).
    const lines = new Set<string>();
    const before = readBack(`${dir}/task.txt`);
    for (const l of before ? new TextDecoder().decode(before).split("\n") : []) if (l) lines.add(l);
    if (fork) lines.add(`FORK timestamp=${seconds(fork.time)} pid=${pid} ppid=${fork.ppid}`);
    for (const t of tasks) lines.add(`TASK timestamp=${seconds(t.since)} tid=${t.tid} pid=${pid}`);
    const written = new Set<string>();
    trace.sessions.forEach((s) => {
      const { sid, pid: owner } = sessionOf(s);
      lines.add(`SESS timestamp=${seconds(s.since)} pid=${owner} sid=${sid} exename="${s.exe}"`);
      // A process's later program (an execve) is a session its tasks join, as uftrace records it.
      if (owner === pid && s !== trace.sessions[0] && tasks.length) {
        lines.add(`TASK timestamp=${seconds(s.since)} tid=${tasks[0].tid} pid=${pid}`);
      }
      let map = "";
      for (const m of s.modules) {
        map += `${m.base.toString(16)}-${m.end.toString(16)} r-xp 00000000 00:00 0 ${m.path}\n`;
        // Symbol files are found by the module's name: the first module of a name has it.
        const name = `${m.path.slice(m.path.lastIndexOf("/") + 1)}.sym`;
        if (written.has(name)) continue;
        written.add(name);
        const fns = m.program ? [...s.programFns.values()] : m.symbols ?? [];
        write(name, symbolFile(m, fns, readSymbols(`${dir}/${name}`)));
      }
      // As QEMU's plugin in system mode: a stack at the top of the address space keeps uftrace's
      // guess of the kernel's start above every guest address.
      map += "ffffffffffff-ffffffffffff rw-p 00000000 00:00 0 [stack]\n";
      // A session's map is its starter's; another process that had it writes it only when that one did not.
      if (owner === pid) write(`sid-${sid}.map`, map);
      else {
        try {
          using f = Deno.openSync(`${dir}/sid-${sid}.map`, { write: true, createNew: true });
          const bytes = new TextEncoder().encode(map);
          for (let done = 0; done < bytes.length;) done += f.writeSync(bytes.subarray(done));
        } catch (err) {
          if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
        }
      }
    });
    const sorted = [...lines].map((l) => [l, ...lineOrder(l)] as const)
      .sort((a, b) => a[1] - b[1] || a[2] - b[2]).map(([l]) => l);
    write("task.txt", sorted.join("\n") + "\n");
    const tids = sorted.filter((l) => l.startsWith("TASK ")).map((l) => Number(/ tid=(\d+)/.exec(l)![1]));
    write("info", infoFile(trace, [...new Set(tids)], vcpus, date, fork ? runLines(dir) : new Map()));
  }, null);
  return 0;
}
