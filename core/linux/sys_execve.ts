/**
 * `execve` and `execveat`: the process runs another RV64 program in place.
 *
 * Everything that can fail is checked before the old image is touched
 * (the file, its permission, its format, a `#!` interpreter, the dynamic
 * loader, the size of the arguments), so a failed call returns an errno
 * to an intact caller: `ENOENT`, `EACCES`, `ENOEXEC`, `ENOTDIR`, `ELOOP`,
 * `E2BIG`. Then, as Linux does: the other threads end, the caller becomes
 * the only one with the pid as its tid, the address space is emptied and
 * the new image loaded (its interpreter found under `-L` first), handled
 * signals go back to their default action (ignored ones stay ignored, the
 * mask and pending signals are kept), close-on-exec descriptors close,
 * the alternate stack, robust list and futex queues are forgotten, and
 * every translation is dropped (plugins are told through `flush`).
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import { decodeGuestString, encodeGuestString } from "../util/guest_string.ts";
import { ElfError, type ElfFile, parseElf } from "../elf/elf.ts";
import { checkLayout, interpreterPath, loadProgram } from "../elf/loader.ts";
import { ProgramFileError, readProgramFile } from "../elf/program_file.ts";
import { E, hostCall, SyscallError } from "./errno.ts";
import { isHostProgram, runOnHost } from "./host_exec.ts";
import { PATH_MAX, readPath } from "./guest_struct.ts";
import { AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, resolvePath } from "./paths.ts";
import type { ExecImage, Process } from "./process.ts";
import { SIG_DFL, SIG_IGN } from "./signals.ts";
import { S_IFLNK, S_IFMT, S_IFREG, statPath } from "./stat.ts";
import { fmtPointer, fmtString } from "./strace.ts";
import { permitted, X_OK } from "./sys_fs.ts";
import { def, type SyscallDef } from "./syscall_table.ts";
import { SS_DISABLE, type ThreadState } from "./thread.ts";

/** Most `#!` scripts in a chain before the program that runs them (Linux's `exec_binprm`: ELOOP past depth 5). */
const MAX_INTERPRETERS = 5;
/** Linux's `MAX_ARG_STRLEN`: one argument or variable string at most. */
const MAX_ARG_STRLEN = 32 * 4096;
/** Most bytes of argument and environment strings (a quarter of the 8 MiB stack, as Linux allows). */
const MAX_ARG_BYTES = 2 << 20;
/** Most characters of a `#!` line Linux reads (`BINPRM_BUF_SIZE`). */
const BINPRM_BUF_SIZE = 256;

/**
 * Reads a NULL-terminated array of string pointers (argv, envp); a null
 * array is empty. `budget.left` is what argv and envp may still take
 * ({@link checkArgumentSize}'s count): it stops at the first string past
 * it, as Linux's `copy_strings` does, before decoding more (40,000 pointers
 * to one 128 KiB string were 5 GB of JavaScript strings, and V8 ended plume).
 */
function readStrings(proc: Process, addr: number, budget: { left: number }): string[] {
  const out: string[] = [];
  if (addr === 0) return out;
  for (let p = addr;; p += 8) {
    const s = Number(proc.mem.readU64(p));
    if (s === 0) return out;
    let bytes: Uint8Array;
    try {
      bytes = proc.mem.readCStringBytes(s, MAX_ARG_STRLEN + 1);
    } catch (err) {
      // No NUL within MAX_ARG_STRLEN + 1 bytes (Linux's strnlen_user gives up the same way).
      if (err instanceof RangeError) throw new SyscallError(E.E2BIG, "Argument string too long");
      throw err;
    }
    if (bytes.length >= MAX_ARG_STRLEN) throw new SyscallError(E.E2BIG, "Argument string too long");
    budget.left -= bytes.length + ARG_OVERHEAD;
    if (budget.left < 0) {
      throw new SyscallError(E.E2BIG, `More than ${MAX_ARG_BYTES} bytes of arguments and environment`);
    }
    // Kept byte for byte: an argument need not be UTF-8.
    out.push(decodeGuestString(bytes));
  }
}

/** What each string costs of the argument space besides its bytes: its NUL and its pointer. */
const ARG_OVERHEAD = 9;

/** What will run: the host file, its parsed ELF, and the final argv (after `#!` rewriting). */
interface Image {
  path: string;
  elf: ElfFile;
  interp: { path: string; bytes: Uint8Array } | undefined;
  argv: string[];
}

/** What Linux's `open_exec` checks of host file `path`: a regular file the process may execute. */
function checkExecutable(proc: Process, path: string): void {
  const st = statPath(path, false);
  if ((st.mode & S_IFMT) !== S_IFREG) {
    throw new SyscallError(E.EACCES, `${path} is not a regular file`);
  }
  if (!permitted(proc, st, X_OK, true)) throw new SyscallError(E.EACCES, `${path} is not executable`);
}

/** Reads host file `path` as a program the guest may execute ({@link checkExecutable}). */
function readExecutable(proc: Process, path: string): Uint8Array {
  checkExecutable(proc, path);
  return readFileToRun(path);
}

/** Reads a file to run (a regular file of bounded size), as a system call's error otherwise. */
function readFileToRun(path: string): Uint8Array {
  try {
    return hostCall(() => readProgramFile(path));
  } catch (err) {
    if (err instanceof ProgramFileError) throw new SyscallError(E[err.errno], `${path}: ${err.message}`);
    throw err;
  }
}

/**
 * Parses a `#!` line: the interpreter and its optional single argument.
 * Linux reads the first {@link BINPRM_BUF_SIZE} bytes: a line without its
 * end there whose interpreter runs to the end of them is `ENOEXEC` (its name
 * may be cut short); a cut argument is taken as it is.
 */
function parseShebang(bytes: Uint8Array): { interp: string; arg: string | undefined } {
  const head = new TextDecoder().decode(bytes.subarray(2, BINPRM_BUF_SIZE));
  const ends = head.includes("\n") || bytes.length <= BINPRM_BUF_SIZE;
  if (!ends && !/^[ \t]*[^ \t\0]+[ \t\0]/.test(head)) {
    throw new Unloadable("#! interpreter name longer than the line Linux reads");
  }
  const line = head.split("\n")[0].replace(/^[ \t]+/, "").replace(/[ \t]+$/, "");
  const sp = line.search(/[ \t]/);
  const interp = sp < 0 ? line : line.slice(0, sp);
  const arg = sp < 0 ? undefined : line.slice(sp).replace(/^[ \t]+/, "");
  // Not for the host to run either: its kernel refuses it, and a host shell would take it for a script of its own.
  if (interp === "") throw new Unloadable("Empty #! line");
  return { interp, arg: arg === "" ? undefined : arg };
}

/** Host path of a program named by the guest: `-L` first for absolute paths, as for any file it opens. */
function programPath(proc: Process, dirfd: number, name: string): string {
  if (name.length >= PATH_MAX) throw new SyscallError(E.ENAMETOOLONG, "Program path too long");
  return resolvePath(proc, dirfd, name, true);
}

/**
 * `ENOEXEC` for a RISC-V program that cannot be laid out, or a `#!` line
 * Linux cannot parse: unlike a file that is not RISC-V at all, not one for
 * the host to run either.
 */
class Unloadable extends SyscallError {
  constructor(why: string) {
    super(E.ENOEXEC, why);
  }
}

/**
 * Resolves the file to run (host `path`, named `filename` by the guest),
 * following `#!` interpreters, and checks it can be loaded.
 */
function prepare(proc: Process, path: string, filename: string, argv: string[]): Image {
  for (let depth = 0; depth <= MAX_INTERPRETERS; depth++) {
    const bytes = readExecutable(proc, path);
    if (bytes[0] === 0x23 && bytes[1] === 0x21) {
      const { interp, arg } = parseShebang(bytes);
      // The script's name as the guest gave it (Linux's bprm->filename, not the host path plume opened: under
      // -L that one is the sysroot's) replaces argv[0]; the interpreter and its argument go in front.
      argv = [interp, ...(arg === undefined ? [] : [arg]), filename, ...argv.slice(1)];
      path = programPath(proc, AT_FDCWD, interp);
      filename = interp;
      continue;
    }
    let elf: ElfFile;
    try {
      elf = parseElf(bytes, path);
    } catch (err) {
      if (err instanceof ElfError) throw new SyscallError(E.ENOEXEC, err.message);
      throw err;
    }
    let interp: Image["interp"], interpElf: ElfFile | undefined;
    if (elf.interp !== undefined) {
      const ipath = interpreterPath(proc.sysroot, elf.interp);
      const ibytes = readFileToRun(ipath);
      try {
        interpElf = parseElf(ibytes, ipath);
        if (interpElf.interp !== undefined) throw new ElfError(`${ipath}: an interpreter with one`);
      } catch (err) {
        if (err instanceof ElfError) throw new SyscallError(E.ELIBBAD, err.message);
        throw err;
      }
      interp = { path: ipath, bytes: ibytes };
    }
    // What the loader would refuse is refused now, while the old image is still there.
    try {
      checkLayout(proc.mem.size, { elf, path }, interpElf && { elf: interpElf, path: interp!.path }, proc.stackSize);
    } catch (err) {
      if (err instanceof ElfError) throw new Unloadable(err.message);
      throw err;
    }
    return { path, elf, interp, argv };
  }
  throw new SyscallError(E.ELOOP, "Too many #! interpreters");
}

/** Ends every thread but `keep`, which takes the pid as its tid (Linux's `de_thread`). */
function becomeSingleThreaded(proc: Process, keep: ThreadState): void {
  for (const t of [...proc.threads.values()]) {
    if (t === keep) continue;
    t.call?.waiter.cancel();
    t.call = undefined;
    t.exited = true;
    proc.signals.count -= t.pending.clear();
    proc.threads.delete(t.tid);
    proc.onThreadGone(t);
  }
  if (keep.tid !== proc.pid) {
    proc.threads.delete(keep.tid);
    keep.tid = proc.pid;
    keep.cpu.tid = proc.pid;
    proc.threads.set(proc.pid, keep);
  }
}

/** Resets the per-exec state of the process and its remaining thread. */
function resetForExec(proc: Process, t: ThreadState): void {
  for (const a of proc.signals.actions) {
    if (a.handler !== SIG_IGN) a.handler = SIG_DFL;
    a.flags = 0n;
    a.mask = 0n;
  }
  for (const fd of proc.fds.openIn(0, Number.MAX_SAFE_INTEGER)) {
    if (proc.fds.getCloexec(fd)) {
      try {
        proc.fds.close(fd);
      } catch {
        // A failing close does not stop exec.
      }
    }
  }
  t.altStackSp = 0;
  t.altStackSize = 0;
  t.altStackFlags = SS_DISABLE;
  t.clearChildTid = 0;
  t.robustListHead = 0;
  t.robustListLen = 0;
  t.savedMask = undefined;
  proc.futexes.clear();
  proc.threadName = undefined;
}

/** Replaces the image: empty address space, new program, fresh registers. */
function replaceImage(
  proc: Process,
  cpu: Cpu,
  img: Image,
  envp: string[],
  execfn: string,
  given?: Pick<ExecImage, "random" | "uid" | "gid">,
): void {
  const mem = proc.mem;
  const random = given?.random ?? proc.randomBytes();
  const uid = given?.uid ?? proc.creds.uid.real, gid = given?.gid ?? proc.creds.gid.real;
  proc.onImage?.({
    path: img.path,
    bytes: img.elf.bytes,
    interp: img.interp,
    argv: img.argv,
    envp,
    execfn,
    random,
    uid,
    gid,
  });
  // The program's absolute path, for /proc/self/exe and its mappings' names (as it was named, should it be gone).
  let exePath = img.path;
  try {
    exePath = Deno.realPathSync(img.path);
  } catch {
    // Removed since it was read: the name it was run by stands.
  }
  proc.sharedMaps.removeAll(mem);
  mem.munmap(0, mem.size);
  proc.onExec();
  // POSIX timers go with the image (interval timers stay, as in Linux).
  proc.posixTimers.clear();
  // A new program is dumpable again (no set-id programs here) and its parent-death signal is the parent's to keep.
  proc.dumpable = 1;
  const loaded = loadProgram(mem, {
    path: img.path,
    mapName: exePath,
    bytes: img.elf.bytes,
    argv: img.argv,
    envp,
    execfn,
    readInterp: () => img.interp!,
    random,
    uid,
    gid,
    extensions: proc.extensions,
    stackSize: proc.stackSize,
  });
  proc.brkStart = proc.brk = loaded.brk;
  proc.startCode = loaded.main.startCode;
  proc.endCode = loaded.main.endCode;
  proc.entry = loaded.main.entry;
  proc.sigreturnAddr = loaded.sigreturn;
  proc.exePath = exePath;
  cpu.x.fill(0);
  cpu.fi.fill(0);
  cpu.fcsr = 0;
  cpu.vec.reset();
  cpu.reservation = -1;
  cpu.pc = loaded.pc;
  cpu.setXNumber(2, loaded.sp);
  proc.argv = img.argv;
  proc.startStack = loaded.sp;
  proc.auxv = loaded.auxv;
}

/**
 * `E2BIG` when the new program's arguments and environment do not fit: each
 * string's bytes (UTF-8, as they go on the stack; not its UTF-16 length,
 * which let 2.4 MB of `€` through), its NUL and its pointer.
 */
function checkArgumentSize(argv: readonly string[], envp: readonly string[]): void {
  const size = [...argv, ...envp].reduce((n, s) => n + encodeGuestString(s).length + ARG_OVERHEAD, 0);
  if (size > MAX_ARG_BYTES) throw new SyscallError(E.E2BIG, `${size} bytes of arguments and environment`);
}

/** The common body of `execve` and `execveat`. */
function doExecve(proc: Process, cpu: Cpu, dirfd: number, pathAddr: number, a: readonly number[], flags: number) {
  const name = readPath(proc.mem, pathAddr);
  let path: string;
  if (name === "" && flags & AT_EMPTY_PATH) {
    path = proc.fds.get(dirfd).path;
    if (path === "") throw new SyscallError(E.ENOENT, `fd ${dirfd} has no path`);
  } else {
    if (name === "") throw new SyscallError(E.ENOENT, "Empty path");
    path = programPath(proc, dirfd, name);
    if (flags & AT_SYMLINK_NOFOLLOW && (statPath(path, true).mode & S_IFMT) === S_IFLNK) {
      throw new SyscallError(E.ELOOP, `${path} is a symbolic link`);
    }
  }
  // Read once the file is known to be one to run (a directory is not: EACCES), as Linux opens it before copying the
  // strings (ENOENT and EACCES before E2BIG).
  checkExecutable(proc, path);
  const budget = { left: MAX_ARG_BYTES };
  const argv = readStrings(proc, a[0], budget);
  const envp = readStrings(proc, a[1], budget);
  let img: Image;
  try {
    // The name Linux gives a script's interpreter: as given, or through /dev/fd for execveat's descriptor.
    const filename = name === ""
      ? `/dev/fd/${dirfd}`
      : name.startsWith("/") || dirfd === AT_FDCWD
      ? name
      : `/dev/fd/${dirfd}/${name}`;
    img = prepare(proc, path, filename, argv);
  } catch (err) {
    if (!(err instanceof SyscallError) || err.errno !== E.ENOEXEC || err instanceof Unloadable) throw err;
    return execOnHost(proc, cpu, path, argv, envp, err);
  }
  checkArgumentSize(img.argv, envp);
  // The point of no return: from here on the old image is gone.
  const t = proc.thread(cpu);
  becomeSingleThreaded(proc, t);
  resetForExec(proc, t);
  proc.execs++;
  replaceImage(proc, cpu, img, envp, name === "" ? `/dev/fd/${dirfd}` : name);
  proc.reschedule = true;
  return 0;
}

/**
 * `execve` as a replay runs it (`record_replay.ts`): the image the recorded
 * call loaded (read by the replay from its recorded host path and checked
 * against its SHA-256), with the recorded argv, environment and
 * `AT_RANDOM`, takes the old one's place as {@link doExecve} makes it do.
 *
 * @param proc the process
 * @param cpu the calling thread's vCPU
 * @param img the recorded image
 * @throws {SyscallError} when the image cannot be loaded (the replay reports a divergence)
 */
export function replayExecve(proc: Process, cpu: Cpu, img: ExecImage): void {
  let elf: ElfFile;
  try {
    elf = parseElf(img.bytes, img.path);
  } catch (err) {
    if (err instanceof ElfError) throw new SyscallError(E.ENOEXEC, err.message);
    throw err;
  }
  const t = proc.thread(cpu);
  becomeSingleThreaded(proc, t);
  resetForExec(proc, t);
  proc.execs++;
  replaceImage(proc, cpu, { path: img.path, elf, interp: img.interp, argv: img.argv }, img.envp, img.execfn, img);
  proc.reschedule = true;
}

/**
 * `execve` of a host program (`host_exec.ts`): started on the host, and
 * the calling process, its threads gone, waits for it. `notRunnable` is
 * thrown when the host cannot take it either.
 */
function execOnHost(
  proc: Process,
  cpu: Cpu,
  path: string,
  argv: string[],
  envp: string[],
  notRunnable: SyscallError,
): number {
  if (!isHostProgram(readExecutable(proc, path))) throw notRunnable;
  checkArgumentSize(argv, envp);
  hostCall(() => runOnHost(proc, path, argv, envp));
  // The point of no return: the guest program is gone, the host's runs in its place, holding the
  // descriptors without close-on-exec (through this process, which keeps them until it ends).
  const t = proc.thread(cpu);
  becomeSingleThreaded(proc, t);
  resetForExec(proc, t);
  t.exited = true;
  proc.threads.delete(t.tid);
  proc.onThreadGone(t);
  proc.execs++;
  proc.reschedule = true;
  return 0;
}

function sysExecve(proc: Process, cpu: Cpu, a: readonly number[]): number {
  return doExecve(proc, cpu, AT_FDCWD, a[0], [a[1], a[2]], 0);
}

function sysExecveat(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const flags = a[4] | 0;
  if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) throw new SyscallError(E.EINVAL, `Bad flags ${flags}`);
  return doExecve(proc, cpu, a[0] | 0, a[1], [a[2], a[3]], flags);
}

/** qemu's `print_execve`: the path and the argument strings, not the environment. */
function execveStrace(args: readonly bigint[], mem: Parameters<typeof fmtString>[1]): string {
  let s = `${fmtString(args[0], mem)},{`;
  try {
    for (let p = Number(args[1]); p !== 0; p += 8) {
      const v = mem.readU64(p);
      if (v === 0n) break;
      s += `${fmtString(v, mem)},`;
    }
  } catch {
    return `${fmtString(args[0], mem)},${fmtPointer(args[1])}`;
  }
  return s + "NULL}";
}

/** Program execution. */
export const EXEC_SYSCALLS: readonly SyscallDef[] = [
  def("execve", sysExecve, { args: execveStrace }, true),
  def("execveat", sysExecveat, undefined, true),
];
