/**
 * callgrind: a call-graph profile in Valgrind's Callgrind format, for
 * `callgrind_annotate` and KCachegrind: for every function, the guest
 * instructions executed in it (event `Ir`, its exclusive cost), and for
 * every caller and callee the number of calls and the instructions
 * executed during them (inclusive cost). QEMU has no such plugin; the
 * file is what `valgrind --tool=callgrind` writes for a program without
 * debug information, by the format's specification (Valgrind's
 * "Callgrind Format Specification", version 1).
 *
 * Calls and returns are followed as the built-in uftrace follows them
 * (`_calltrace.ts`: RISC-V's linking jumps, a shadow stack per vCPU, tail
 * calls, returns that skip frames); names are the program's symbols and
 * the interpreter's and libraries' dynamic symbols, and code in no symbol
 * (PLT stubs, the loader's internals) is a function named by the address
 * it was entered at (`0x…`), as Callgrind names it.
 *
 * The file:
 *
 * ```text
 * # callgrind format
 * version: 1
 * creator: plume callgrind plugin
 * pid: PID
 * cmd: PROGRAM ARGS…
 * part: 1
 *
 * positions: line
 * events: Ir
 * summary: TOTAL
 * totals: TOTAL
 *
 * ob=(1) /path/to/program
 * fl=(1) ???
 * fn=(1) main
 * 0 SELF                  (instructions executed in main)
 * cob=(2) /lib/riscv64-linux-gnu/libc.so.6
 * cfl=(1)
 * cfn=(2) puts
 * calls=3 0               (main called puts three times)
 * 0 INCLUSIVE             (instructions executed during those calls)
 * ```
 *
 * with names compressed (`(n) name` the first time, `(n)` after). Every
 * instruction is counted once, in the function whose code it is (or, for
 * code in no symbol, the function of the frame it runs in), so the
 * functions' `Ir` add up to the instructions the guest executed: the
 * count of the built-in `insn`. Positions are line 0 (no debug
 * information is read); files are `???`, the object is the module's path.
 * A call's inclusive cost is counted for the outermost activation of the
 * callee only, so that a recursive function's inclusive cost is the
 * instructions executed while it was on the stack, not a multiple of
 * them (the recursive calls keep their call counts).
 *
 * Option: `outfile=PATH` (default `callgrind.out.%p`), where `%p` is the
 * guest's process id, as in Valgrind's `--callgrind-out-file`.
 *
 * Forked processes: each process writes its own profile, of what it ran
 * after the fork (the child's counts start at zero, its open frames' costs
 * count from the fork on), as Valgrind's Callgrind does under
 * `--trace-children=yes` with its default name `callgrind.out.<pid>`: so
 * `sh -c 'a | b'` leaves three files, each with the process's `pid:` in its
 * header. A name without `%p` is one file for all: each process writes it
 * at its exit, the last one's profile stays.
 *
 * Writing needs a write permission: as a built-in, callgrind gets write
 * access to the directory a `%p` name's files go to (the pids are not
 * known before), or to exactly the file a name without `%p` names; a copy
 * loaded from a file needs `-plugin-allow write=…` and an explicit
 * `outfile=`.
 *
 * @module
 */

import { type PluginId, qemu_plugin_outs, qemu_plugin_register_atexit_cb, type QemuInfo } from "qemu-plugin";
import { CallTrace, type Cpu, type Fn, type Frame } from "./_calltrace.ts";

/** Plugin API version this plugin is written for. */
export const qemu_plugin_version = 7;

/** Calls from one function to another. */
interface Edge {
  callee: Fn;
  calls: number;
  inclusive: number;
}

/** Compressed names of one kind (`ob`, `fl`, `fn`): `(n) name` the first time, `(n)` after. */
class Names {
  private ids = new Map<string, number>();
  name(s: string): string {
    const id = this.ids.get(s);
    if (id !== undefined) return `(${id})`;
    this.ids.set(s, this.ids.size + 1);
    return `(${this.ids.size}) ${s}`;
  }
}

/** Installs the plugin. */
export function qemu_plugin_install(id: PluginId, info: QemuInfo, argv: string[]): number {
  let outfile: string | undefined;
  for (const opt of argv) {
    if (opt.startsWith("outfile=") && opt.length > "outfile=".length) outfile = opt.slice("outfile=".length);
    else {
      qemu_plugin_outs(`callgrind: option parsing failed: ${opt}\n`);
      return -1;
    }
  }
  if (outfile === undefined) {
    qemu_plugin_outs(
      "callgrind: outfile unspecified (the built-in has a default; a copy loaded from a file needs one)\n",
    );
    return -1;
  }
  const pathOf = (pid: number) => outfile!.replaceAll("%p", String(pid));
  // Opened now, so that a name that cannot be written fails the install; a forked child opens its own.
  let pid = info.pid, file = Deno.openSync(pathOf(pid), { write: true, create: true, truncate: true });

  /** Calls out of each function, by caller id then callee id. */
  const edges = new Map<number, Map<number, Edge>>();
  const trace = new CallTrace(id, {
    enter() {},
    exit(cpu: Cpu, frame: Frame) {
      const s = cpu.stack;
      if (s.length < 2) return;
      const caller = s[s.length - 2].fn;
      let out = edges.get(caller.id);
      if (!out) edges.set(caller.id, out = new Map());
      let e = out.get(frame.fn.id);
      if (!e) out.set(frame.fn.id, e = { callee: frame.fn, calls: 0, inclusive: 0 });
      e.calls++;
      // Only the outermost activation: a recursive call's instructions are already in its caller's.
      if (frame.fn.active === 1) e.inclusive += cpu.insns - frame.since;
    },
    retarget() {},
    forked() {
      // What the child runs from here is its own profile.
      trace.restartCounts();
      edges.clear();
    },
  });

  qemu_plugin_register_atexit_cb(id, () => {
    trace.finish();
    if (info.pid !== pid) {
      file.close();
      pid = info.pid;
      file = Deno.openSync(pathOf(pid), { write: true, create: true, truncate: true });
    } else if (!outfile!.includes("%p")) {
      // One file for every process: this one's profile replaces what an earlier one wrote.
      file.seekSync(0, Deno.SeekMode.Start);
      file.truncateSync(0);
    }
    const ob = new Names(), fl = new Names(), fn = new Names();
    const object = (f: Fn) => f.module?.path || "???";
    let s = "# callgrind format\nversion: 1\ncreator: plume callgrind plugin\n";
    s += `pid: ${pid}\ncmd: ${trace.sessions.at(-1)?.argv.join(" ") ?? ""}\npart: 1\n\npositions: line\nevents: Ir\n`;
    s += `summary: ${trace.insns}\ntotals: ${trace.insns}\n`;
    for (const f of trace.fns) {
      const out = edges.get(f.id);
      if (f.self === 0 && !out) continue;
      s += `\nob=${ob.name(object(f))}\nfl=${fl.name("???")}\nfn=${fn.name(CallTrace.nameOf(f))}\n0 ${f.self}\n`;
      for (const e of out?.values() ?? []) {
        if (object(e.callee) !== object(f)) s += `cob=${ob.name(object(e.callee))}\n`;
        s += `cfl=${fl.name("???")}\ncfn=${
          fn.name(CallTrace.nameOf(e.callee))
        }\ncalls=${e.calls} 0\n0 ${e.inclusive}\n`;
      }
    }
    const bytes = new TextEncoder().encode(s);
    for (let done = 0; done < bytes.length;) done += file.writeSync(bytes.subarray(done));
    file.close();
  }, null);
  return 0;
}
