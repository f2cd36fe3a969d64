import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { E, SyscallError } from "./errno.ts";
import {
  AT_FDCWD,
  magicLink,
  pathTarget,
  procAuxv,
  procCmdline,
  procFdEntries,
  procLimits,
  procMaps,
  procStat,
  resolvePath,
  syntheticFile,
} from "./paths.ts";
import { O_RDONLY } from "./open_file.ts";
import type { PathTarget } from "./paths.ts";
import { RLIMIT_NPROC } from "./rlimits.ts";
import { PROT_READ, PROT_WRITE } from "../mem/address_space.ts";
import { withEnv } from "./_testing.ts";
import type { Process } from "./process.ts";

Deno.test(
  "resolvePath joins relative paths to the working directory or a directory descriptor",
  withEnv((env) => {
    Deno.mkdirSync(env.path("d"));
    const dfd = env.call("openat", AT_FDCWD, env.str("d"), 0o200000);
    assertEquals(resolvePath(env.proc, AT_FDCWD, "a/../b"), `${env.dir}/a/../b`);
    assertEquals(resolvePath(env.proc, dfd, "x"), `${env.dir}/d/x`);
    assertEquals(resolvePath(env.proc, dfd, "/abs"), "/abs");
    const errno = (f: () => unknown) => assertThrows(f, SyscallError).errno;
    assertEquals(errno(() => resolvePath(env.proc, AT_FDCWD, "")), E.ENOENT);
    assertEquals(errno(() => resolvePath(env.proc, 99, "x")), E.EBADF);
    assertEquals(errno(() => resolvePath(env.proc, 1, "x")), E.ENOTDIR);
  }),
);

Deno.test(
  "resolvePath looks absolute paths up in the sysroot first when asked",
  withEnv((env) => {
    Deno.mkdirSync(env.path("root/lib"), { recursive: true });
    Deno.writeTextFileSync(env.path("root/lib/libc.so"), "");
    env.proc.sysroot = env.path("root");
    assertEquals(resolvePath(env.proc, AT_FDCWD, "/lib/libc.so", true), env.path("root/lib/libc.so"));
    // Without the lookup, the host's file, reached through the host's links (/lib is /usr/lib on many systems).
    assertEquals(resolvePath(env.proc, AT_FDCWD, "/lib/libc.so", false), `${Deno.realPathSync("/lib")}/libc.so`);
    assertEquals(resolvePath(env.proc, AT_FDCWD, "/etc/passwd", true), "/etc/passwd");
  }),
);

Deno.test(
  "openat under -L: a sysroot link into /proc leads to the guest's /proc files, never the host's (Deno's memory)",
  withEnv((env) => {
    Deno.mkdirSync(env.path("root"));
    env.proc.sysroot = env.path("root");
    Deno.symlinkSync("/proc/self/mem", env.path("root/hm"));
    Deno.symlinkSync("/proc/self/maps", env.path("root/hmaps"));
    const at = env.proc.mem.mmap(0, 4096, PROT_READ | PROT_WRITE, { name: "data" });
    env.proc.mem.u8[at] = 0x5a;
    const mem = env.call("openat", AT_FDCWD, env.str("/hm"), 2);
    assertEquals(env.proc.fds.get(mem).constructor.name, "ProcMemFile");
    const buf = new Uint8Array(1);
    assertEquals(env.proc.fds.get(mem).pread(buf, at), 1);
    assertEquals(buf[0], 0x5a);
    const maps = env.call("openat", AT_FDCWD, env.str("/hmaps"), 0);
    const text = new Uint8Array(4096);
    const n = env.proc.fds.get(maps).read(text);
    assertEquals(new TextDecoder().decode(text.subarray(0, n)), procMaps(env.proc));
  }),
);

Deno.test(
  "under -L, links into /proc are walked as the host walks them, the guest's /proc taking over where they enter it",
  withEnv((env) => {
    Deno.mkdirSync(env.path("root"));
    env.proc.sysroot = env.path("root");
    Deno.symlinkSync("/proc/self/mem", env.path("root/hm"));
    // A link to /proc/self in the middle: the whole path's real name leaves /proc behind (Deno's descriptor 9).
    Deno.symlinkSync("/proc/self", env.path("root/lself"));
    const O_PATH = 0o10000000, O_NOFOLLOW = 0o400000;
    const mine = env.call("openat", AT_FDCWD, env.str(env.path("root")), 0o200000);
    const viaSelf = env.call("openat", AT_FDCWD, env.str(`/lself/fd/${mine}`), 0o200000);
    assertEquals(env.proc.fds.get(viaSelf).stat().ino, env.proc.fds.get(mine).stat().ino);
    assertEquals(env.call("openat", AT_FDCWD, env.str("/lself/fd/999"), 0), -E.ENOENT);
    // The host's /dev/fd is a link to /proc/self/fd: a sysroot link to it reaches the guest's descriptors too.
    Deno.symlinkSync("/dev/fd", env.path("root/devfd"));
    const viaDev = env.call("openat", AT_FDCWD, env.str(`/devfd/${mine}`), 0o200000);
    assertEquals(env.proc.fds.get(viaDev).stat().ino, env.proc.fds.get(mine).stat().ino);
    assertEquals(env.call("openat", AT_FDCWD, env.str("/devfd/999"), 0), -E.ENOENT);
    // The link itself, as Linux: not followed under O_NOFOLLOW, read and lstat'ed as a link.
    assertEquals(env.call("openat", AT_FDCWD, env.str("/hm"), O_NOFOLLOW), -E.ELOOP);
    const buf = env.str("x".repeat(64));
    assertEquals(env.call("readlinkat", AT_FDCWD, env.str("/hm"), buf, 64), "/proc/self/mem".length);
    // A descriptor of the link itself, opened again: ELOOP (the host followed it to Deno's memory), O_PATH again.
    const link = env.call("openat", AT_FDCWD, env.str("/hm"), O_PATH | O_NOFOLLOW);
    assert(link >= 0);
    assertEquals(env.call("openat", AT_FDCWD, env.str(`/proc/self/fd/${link}`), 2), -E.ELOOP);
    assert(env.call("openat", AT_FDCWD, env.str(`/proc/self/fd/${link}`), O_PATH) >= 0);
  }),
);

Deno.test(
  "resolvePath sends /proc/self links to what they name for the guest",
  withEnv((env) => {
    env.proc.exePath = "/opt/prog";
    Deno.mkdirSync(env.path("d"));
    const dfd = env.call("openat", AT_FDCWD, env.str("d"), 0o200000);
    assertEquals(resolvePath(env.proc, AT_FDCWD, "/proc/self/exe"), "/opt/prog");
    assertEquals(resolvePath(env.proc, AT_FDCWD, `/proc/${env.proc.pid}/cwd/f`), `${env.dir}/f`);
    assertEquals(resolvePath(env.proc, AT_FDCWD, `/proc/self/fd/${dfd}/f`), `${env.dir}/d/f`);
    assertEquals(resolvePath(env.proc, AT_FDCWD, "/proc/self/status"), "/proc/self/status");
    assertEquals(resolvePath(env.proc, AT_FDCWD, "/proc/1/status"), "/proc/1/status");
  }),
);

Deno.test(
  "pathTarget finds the guest's own /proc directory and descriptors, however the path is spelled",
  withEnv((env) => {
    const p = env.proc;
    Deno.mkdirSync(env.path("d"));
    const dfd = env.call("openat", AT_FDCWD, env.str("d"), 0o200000);
    const fdDir = env.call("openat", AT_FDCWD, env.str("/proc/self/fd"), 0o200000);
    Deno.symlinkSync("/proc/self/fd", env.path("to-fds"));
    Deno.symlinkSync("../../proc/self", env.path("to-self"));
    Deno.symlinkSync("/dev/stdout", env.path("to-stdout"));
    // One more attack: a relative link whose '..'s climb past the root into /proc, and a link to the guest's cwd.
    Deno.symlinkSync(`${"../".repeat(20)}proc/self/fd`, env.path("climb"));
    Deno.symlinkSync("/proc/self/cwd", env.path("to-cwd"));
    const show = (t: PathTarget) =>
      t.kind === "host"
        ? t.path
        : t.kind === "fd"
        ? `fd ${t.fd}`
        : t.kind === "fds" || t.kind === "tasks"
        ? t.kind
        : `proc ${t.name}`;
    const at = (path: string, dirfd = AT_FDCWD, follow = true) => show(pathTarget(p, dirfd, path, follow));
    const cases: [string, string][] = [
      ["/proc/self/maps", "proc maps"],
      ["/proc/self", "proc "],
      ["/proc/thread-self/fd/3", "fd 3"],
      [`/proc/${p.pid}/cmdline`, "proc cmdline"],
      ["/proc/1/status", "/proc/1/status"],
      ["/proc/selfish", "/proc/selfish"],
      ["/tmp/proc/self/exe", "/tmp/proc/self/exe"],
      // The spellings of the red-team report: each named the host's descriptor (Deno's) before.
      ["/dev/fd/1", "fd 1"],
      ["/dev/stdout", "fd 1"],
      ["//proc/self/fd/1", "fd 1"],
      ["/proc//self/fd/1", "fd 1"],
      ["/proc/self/./fd/1", "fd 1"],
      ["/proc/self/fd//1", "fd 1"],
      ["/proc/self/fd/./1", "fd 1"],
      ["/dev//fd/1", "fd 1"],
      ["/dev/./fd/1", "fd 1"],
      ["/../proc/self/fd/1", "fd 1"],
      [`/proc/self/task/${p.pid}/fd/1`, "fd 1"],
      ["/proc/self/fd/../fd/1", "fd 1"],
      ["/proc/self/net/../fd/1", "fd 1"],
      ["/proc/self/net/dev/../../fd/1", "fd 1"],
      ["/proc/self/net/dev", "/proc/self/net/dev"],
      ["/proc/self/fd", "fds"],
      ["/dev/fd/", "fds"],
      [`/proc/self/task/${p.pid}/fd/`, "fds"],
      // '..' after a host directory, and links the guest made: the host resolved them into its own /proc/self
      // (second red-team pass).
      ["/etc/../proc/self/fd/1", "fd 1"],
      ["/tmp/../dev/fd/1", "fd 1"],
      [`${env.dir}/to-fds/1`, "fd 1"],
      [`${env.dir}/to-self/fd/1`, "fd 1"],
      [`${env.dir}/to-stdout`, "fd 1"],
      [`${env.dir}/climb/1`, "fd 1"],
      ["/proc/self/root/proc/self/root/dev/fd/1", "fd 1"],
      // Links go where they lead for the guest, and '..' after one goes up from there (not lexically).
      ["/proc/self/cwd/../x", `${env.dir.slice(0, env.dir.lastIndexOf("/"))}/x`],
      [`/proc/self/fd/${dfd}/../x`, `${env.dir}/x`],
      ["/proc/self/root/etc", "/etc"],
      // Paths that only pass by /proc or /dev are the host's, '..' included.
      ["/proc/self/../../etc/passwd", "/etc/passwd"],
      ["/dev/null", "/dev/null"],
      ["/tmp/no-such-dir/../b/", "/tmp/no-such-dir/../b/"],
    ];
    for (const [path, want] of cases) assertEquals(at(path), want, path);
    // Relative paths from such a directory, as a descriptor or as the working directory.
    assertEquals(at("1", fdDir), "fd 1");
    p.cwd = "/proc/self/fd";
    assertEquals(at("1"), "fd 1");
    // The guest's cwd is its descriptors' directory: a link to /proc/self/cwd leads there, not to the host's cwd.
    assertEquals(at(`${env.dir}/to-cwd/1`), "fd 1");
    assertEquals(at("."), "fds");
    assertEquals(at("../cmdline"), "proc cmdline");
    // Not following a final link: the link itself.
    assertEquals(at("/dev/stdin", AT_FDCWD, false), "/dev/stdin");
    assertEquals(at("/proc/self/cwd", AT_FDCWD, false), "proc cwd");
    assertEquals(at(`/proc/${p.pid}/exe`, AT_FDCWD, false), "proc exe");
    const errno = (f: () => unknown) => assertThrows(f, SyscallError).errno;
    assertEquals(errno(() => pathTarget(p, AT_FDCWD, "/proc/self/fd/03")), E.ENOENT);
    assertEquals(errno(() => pathTarget(p, AT_FDCWD, "/proc/self/fd/999")), E.ENOENT);
    assertEquals(errno(() => pathTarget(p, AT_FDCWD, "/proc/self/fd/1/x")), E.ENOTDIR);
    assertEquals(errno(() => pathTarget(p, AT_FDCWD, "/proc/self/task/999999/fd/1")), E.ENOENT);
    // A loop of links.
    Deno.symlinkSync("loop-b", env.path("loop-a"));
    Deno.symlinkSync("loop-a", env.path("loop-b"));
    assertEquals(errno(() => pathTarget(p, AT_FDCWD, env.path("loop-a"))), E.ELOOP);
  }),
);

Deno.test(
  "pathTarget takes the directories it found on trust only until the guest removes, renames or links an entry",
  withEnv((env) => {
    const p = env.proc;
    Deno.mkdirSync(env.path("d"));
    assertEquals(pathTarget(p, AT_FDCWD, env.path("d/1")), { kind: "host", path: env.path("d/1") });
    // The guest makes d a link to its descriptors: the walk must see the link, not the directory it remembers.
    assertEquals(env.call("unlinkat", AT_FDCWD, env.str(env.path("d")), 0x200), 0);
    assertEquals(env.call("symlinkat", env.str("/proc/self/fd"), AT_FDCWD, env.str(env.path("d"))), 0);
    const t = pathTarget(p, AT_FDCWD, env.path("d/1"));
    assertEquals(t.kind === "fd" && t.fd, 1);
  }),
);

Deno.test(
  "magicLink reads the links plume makes, and leaves the rest to the host",
  withEnv((env) => {
    env.proc.exePath = "/opt/prog";
    const link = (path: string) => magicLink(env.proc, AT_FDCWD, path, env.proc.pid + 1);
    assertEquals(link("/proc/self"), String(env.proc.pid));
    // A final slash follows the link: the directory, which is no link (readlink gives EINVAL).
    assertEquals(link("/proc/self/"), undefined);
    assertEquals(link(`/proc/${env.proc.pid}`), undefined);
    assertEquals(link("/proc/thread-self"), `${env.proc.pid}/task/${env.proc.pid + 1}`);
    assertEquals(link("/proc/self/exe"), "/opt/prog");
    assertEquals(link("/proc/self/cwd"), env.dir);
    assertEquals(link("/proc/self/root"), "/");
    assertEquals(link("/dev/stdin"), undefined);
    assertEquals(link("/proc/self/maps"), undefined);
    assertThrows(() => link("/proc/self/fd/999"), SyscallError);
  }),
);

Deno.test(
  "procStat gives qemu-user's /proc/self/stat: pid, name, parent, start time and stack, the rest 0",
  withEnv((env) => {
    env.proc.argv = ["/usr/bin/a-very-long-program-name", "-x"];
    env.proc.startStack = 0x7ffef000;
    const fields = procStat(env.proc).split(" ");
    assertEquals(fields.length, 44);
    assertEquals(fields.slice(0, 4), [String(env.proc.pid), "(a-very-long-pro)", "0", String(Deno.ppid)]);
    assertEquals([fields[21], fields[27]], [String(env.proc.startTime), String(0x7ffef000)]);
    assertEquals(fields[19], "0", "no threads to count");
    assertEquals(fields[43], "0\n");
  }),
);

Deno.test(
  "procCmdline gives the guest's arguments, each ended by a NUL, as qemu-user's /proc/self/cmdline",
  withEnv((env) => {
    env.proc.argv = ["prog", "", "two words", "é"];
    assertEquals(new TextDecoder().decode(procCmdline(env.proc)), "prog\0\0two words\0é\0");
    // Bytes that are not UTF-8, as execve received them, are given back as they were.
    env.proc.argv = ["a\udcff"];
    assertEquals(procCmdline(env.proc), new Uint8Array([0x61, 0xff, 0]));
  }),
);

Deno.test(
  "procAuxv reads the auxiliary vector where the stack holds it, and is empty once that memory is gone",
  withEnv((env) => {
    const at = env.proc.mem.mmap(0, 4096, PROT_READ | PROT_WRITE, { name: "[stack]" });
    env.proc.mem.view.setBigUint64(at + 16, 6n, true); // AT_PAGESZ 4096, then AT_NULL
    env.proc.mem.view.setBigUint64(at + 24, 4096n, true);
    env.proc.auxv = { at: at + 16, bytes: 32 };
    assertEquals([...procAuxv(env.proc)], [6, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, ...new Array(16).fill(0)]);
    env.proc.mem.munmap(at, 4096);
    assertEquals(procAuxv(env.proc).length, 0);
  }),
);

/** The class of the file {@link syntheticFile} opens for `path` (released at once), or undefined for the host's. */
function openedKind(proc: Process, path: string): string | undefined {
  const f = syntheticFile(proc, AT_FDCWD, path, O_RDONLY);
  f?.release();
  return f?.constructor.name;
}

Deno.test(
  "syntheticFile takes /proc paths as the kernel resolves them: dots, repeated slashes, '..' past the root",
  withEnv((env) => {
    const kind = (path: string) => openedKind(env.proc, path);
    assertEquals(kind("/proc/self/./maps"), "MemFile");
    assertEquals(kind(`/proc//self/${"../".repeat(50)}proc/self/maps`), "MemFile"); // '..' stops at the root
    assertEquals(kind("/proc/self/../self//fd/"), "HostFile");
    // A final slash on a file is the host's ENOTDIR; paths leaving /proc are the host's to open.
    assertEquals(kind("/proc/self/maps/"), undefined);
    assertEquals(kind("/proc/self/../../etc/passwd"), undefined);
  }),
);

Deno.test(
  "syntheticFile: /proc/PID/mem is the guest's memory, smaps made from its maps; the host's memory views are refused",
  withEnv((env) => {
    const kind = (path: string) => openedKind(env.proc, path);
    assertEquals(kind("/proc/self/mem"), "ProcMemFile");
    assertEquals(kind(`/proc/self/task/${env.proc.pid}/mem`), "ProcMemFile");
    assertEquals(kind("/proc/thread-self/mem"), "ProcMemFile");
    assertEquals(kind("/proc/self/smaps"), "MemFile");
    // Each of these was the host's, Deno's: its memory (a guest overwrote plume's code through mem), or its layout.
    for (
      const path of [
        "/proc/self/pagemap",
        "/proc/self/smaps_rollup",
        "/proc/self/numa_maps",
        "/proc/self/map_files",
        "/proc/self/map_files/10000-11000",
        `/proc/${Deno.ppid}/mem`,
        `/proc/${Deno.ppid}/task/${Deno.ppid}/pagemap`,
      ]
    ) {
      const err = assertThrows(() => kind(path), SyscallError);
      assertEquals(err.errno, E.EACCES, path);
    }
  }),
);

Deno.test(
  "procFdEntries lists the guest's open descriptors, ascending, after . and ..",
  withEnv((env) => {
    const names = () => procFdEntries(env.proc).map((e) => new TextDecoder().decode(e.name));
    const open = env.proc.fds.openIn(0, 1000).map(String);
    assertEquals(names(), [".", "..", ...open]);
    env.proc.fds.close(Number(open[0]));
    assertEquals(names(), [".", "..", ...open.slice(1)]);
  }),
);

Deno.test(
  "procLimits is the host's /proc/self/limits for limits as the host's, and shows the guest's own after a change",
  withEnv((env) => {
    // A new process's limits are the host's (this process's): the file must read the same, byte for byte.
    assertEquals(procLimits(env.proc), Deno.readTextFileSync("/proc/self/limits"));
    env.proc.rlimits.lower(RLIMIT_NPROC, 7);
    const line = procLimits(env.proc).split("\n").find((l) => l.startsWith("Max processes"));
    assertEquals(line, `${"Max processes".padEnd(25)} ${"7".padEnd(20)} ${"7".padEnd(20)} ${"processes".padEnd(10)}`);
  }),
);

Deno.test(
  "procMaps lists each mapping in /proc/self/maps format",
  withEnv((env) => {
    env.mem.setName(env.scratch, 1 << 16, "[heap]");
    const line = procMaps(env.proc).split("\n")[0];
    const hex = (n: number) => n.toString(16).padStart(8, "0");
    assertEquals(
      line,
      `${hex(env.scratch)}-${hex(env.scratch + (1 << 16))} rw-p 00000000 00:00 0`.padEnd(73) + "[heap]",
    );
  }),
);
