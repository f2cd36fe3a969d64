import { assert, assertEquals } from "../../tests/assert.ts";
import { E } from "./errno.ts";
import { type SyscallEnv, withEnv } from "./_testing.ts";

const AT_FDCWD = -100;
const O_WRONLY = 0o1, O_RDWR = 0o2, O_CREAT = 0o100, O_EXCL = 0o200, O_TRUNC = 0o1000, O_APPEND = 0o2000;
const O_DIRECTORY = 0o200000, O_NOFOLLOW = 0o400000, O_CLOEXEC = 0o2000000;
const AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_EMPTY_PATH = 0x1000;

/** Opens `name` in the test directory. */
function open(env: SyscallEnv, name: string, flags: number, mode = 0o644): number {
  return env.call("openat", AT_FDCWD, env.str(name), flags, mode);
}

/** `struct stat` fields at `addr`. */
function statAt(env: SyscallEnv, addr: number) {
  const v = env.mem.view;
  return {
    ino: v.getBigUint64(addr + 8, true),
    mode: v.getUint32(addr + 16, true),
    nlink: v.getUint32(addr + 20, true),
    size: Number(v.getBigInt64(addr + 48, true)),
    mtime: Number(v.getBigInt64(addr + 88, true)),
  };
}

/** `stat` of a guest path through newfstatat. */
function stat(env: SyscallEnv, name: string, flags = 0) {
  const buf = env.alloc(128);
  const r = env.call("newfstatat", AT_FDCWD, env.str(name), buf, flags);
  return r < 0 ? r : statAt(env, buf);
}

Deno.test(
  "openat creates a file with the requested mode minus the guest's umask",
  withEnv((env) => {
    env.proc.umask = 0o027;
    const fd = open(env, "a", O_WRONLY | O_CREAT | O_EXCL, 0o666);
    assertEquals(fd, 3);
    assertEquals(Deno.statSync(env.path("a")).mode! & 0o777, 0o640);
    env.proc.umask = 0;
    assert(open(env, "b", O_WRONLY | O_CREAT, 0o777) >= 0);
    assertEquals(Deno.statSync(env.path("b")).mode! & 0o777, 0o777);
  }),
);

Deno.test(
  "openat reports Linux errors for the open flags",
  withEnv((env) => {
    Deno.writeTextFileSync(env.path("f"), "data");
    Deno.symlinkSync("f", env.path("l"));
    const cases: [string, number, number][] = [
      ["f", O_WRONLY | O_CREAT | O_EXCL, -E.EEXIST],
      ["f", O_DIRECTORY, -E.ENOTDIR],
      ["l", O_NOFOLLOW, -E.ELOOP],
      ["missing", 0, -E.ENOENT],
      ["f/x", 0, -E.ENOTDIR],
      [".", O_WRONLY, -E.EISDIR],
      [".", O_CREAT, -E.EISDIR],
      ["", 0, -E.ENOENT],
    ];
    for (const [name, flags, want] of cases) {
      assertEquals(open(env, name, flags), want, `open ${name} 0o${flags.toString(8)}`);
    }
  }),
);

Deno.test(
  "openat with O_TRUNC empties and O_APPEND appends",
  withEnv((env) => {
    Deno.writeTextFileSync(env.path("f"), "0123456789");
    const fd = open(env, "f", O_WRONLY | O_APPEND);
    env.call("lseek", fd, 0, 0);
    assertEquals(env.call("write", fd, env.str("ab"), 2), 2);
    assertEquals(Deno.readTextFileSync(env.path("f")), "0123456789ab");
    env.call("close", fd);
    const t = open(env, "f", O_RDWR | O_TRUNC);
    assertEquals(Deno.readTextFileSync(env.path("f")), "");
    env.call("close", t);
    // O_CREAT on a read-only open still creates the file.
    assert(open(env, "ro", O_CREAT, 0o600) >= 0);
    assertEquals(Deno.statSync(env.path("ro")).size, 0);
  }),
);

Deno.test(
  "openat relative to a directory descriptor and with O_CLOEXEC",
  withEnv((env) => {
    Deno.mkdirSync(env.path("d"));
    const dfd = open(env, "d", O_DIRECTORY);
    const fd = env.call("openat", dfd, env.str("inner"), O_WRONLY | O_CREAT | O_CLOEXEC, 0o644);
    assertEquals(env.call("fcntl", fd, 1), 1);
    assert(Deno.statSync(env.path("d/inner")).isFile);
    assertEquals(env.call("openat", fd, env.str("x"), 0), -E.ENOTDIR);
    assertEquals(env.call("openat", 99, env.str("x"), 0), -E.EBADF);
  }),
);

Deno.test(
  "fstat and newfstatat fill struct stat from the host",
  withEnv((env) => {
    Deno.writeTextFileSync(env.path("f"), "hello");
    Deno.symlinkSync("f", env.path("l"));
    const host = Deno.statSync(env.path("f"));
    const fd = open(env, "f", 0);
    const buf = env.alloc(128);
    assertEquals(env.call("fstat", fd, buf), 0);
    const st = statAt(env, buf);
    assertEquals([st.ino, st.mode, st.nlink, st.size], [BigInt(host.ino!), host.mode!, 1, 5]);
    assertEquals(st.mtime, Math.floor(host.mtime!.getTime() / 1000));
    const viaLink = stat(env, "l");
    const link = stat(env, "l", AT_SYMLINK_NOFOLLOW);
    assert(typeof viaLink !== "number" && typeof link !== "number");
    assertEquals(viaLink.ino, st.ino);
    assertEquals(link.mode & 0o170000, 0o120000);
    // AT_EMPTY_PATH stats the descriptor itself.
    assertEquals(env.call("newfstatat", fd, env.str(""), buf, AT_EMPTY_PATH), 0);
    assertEquals(statAt(env, buf).ino, st.ino);
    assertEquals(env.call("newfstatat", fd, env.str(""), buf, 0), -E.ENOENT);
    assertEquals(env.call("newfstatat", AT_FDCWD, env.str("f"), buf, 0x8000), -E.EINVAL);
  }),
);

Deno.test(
  "statx fills struct statx with the basic fields",
  withEnv((env) => {
    Deno.writeTextFileSync(env.path("f"), "hello!");
    const buf = env.alloc(256);
    assertEquals(env.call("statx", AT_FDCWD, env.str("f"), 0, 0xfff, buf), 0);
    const v = env.mem.view;
    assertEquals(v.getUint32(buf, true) & 0x7ff, 0x7ff);
    assertEquals(v.getUint16(buf + 28, true), Deno.statSync(env.path("f")).mode!);
    assertEquals(v.getBigUint64(buf + 32, true), BigInt(Deno.statSync(env.path("f")).ino!));
    assertEquals(v.getBigUint64(buf + 40, true), 6n);
    assertEquals(env.call("statx", AT_FDCWD, env.str("f"), 0x6000, 0xfff, buf), -E.EINVAL);
  }),
);

Deno.test(
  "faccessat checks permission bits against the guest's ids",
  withEnv((env) => {
    Deno.writeTextFileSync(env.path("f"), "x");
    Deno.chmodSync(env.path("f"), 0o640);
    const owner = Deno.statSync(env.path("f"));
    const f = env.str("f");
    const { uid, gid } = env.proc.creds;
    // [uid, gid, mode, expected]: owner rw-, group r--, others ---; uid 0 may read and write anything.
    const cases: [number, number, number, number][] = [
      [owner.uid!, owner.gid!, 0, 0],
      [owner.uid!, owner.gid!, 6, 0],
      [owner.uid!, owner.gid!, 1, -E.EACCES],
      [owner.uid! + 1000, owner.gid!, 4, 0],
      [owner.uid! + 1000, owner.gid!, 2, -E.EACCES],
      [owner.uid! + 1000, owner.gid! + 1000, 4, -E.EACCES],
      [owner.uid! + 1000, owner.gid! + 1000, 0, 0],
    ];
    for (const [u, g, mode, want] of cases) {
      uid.real = uid.effective = u;
      gid.real = gid.effective = g;
      assertEquals(env.call("faccessat", AT_FDCWD, f, mode), want, `uid ${u} gid ${g} mode ${mode}`);
    }
    // faccessat checks the real ids, AT_EACCESS the effective ones.
    uid.real = gid.real = 0;
    assertEquals(env.call("faccessat", AT_FDCWD, f, 6), 0);
    assertEquals(env.call("faccessat2", AT_FDCWD, f, 6, 0x200), -E.EACCES);
    uid.effective = gid.effective = 0;
    assertEquals(env.call("faccessat", AT_FDCWD, env.str("missing"), 0), -E.ENOENT);
    assertEquals(env.call("faccessat", AT_FDCWD, f, 8), -E.EINVAL);
    assertEquals(env.call("faccessat2", AT_FDCWD, f, 4, 0x200), 0);
    assertEquals(env.call("faccessat2", AT_FDCWD, f, 4, 0x1), -E.EINVAL);
  }),
);

/** Names and types from getdents64 over `fd` with a buffer of `size` bytes. */
function listing(env: SyscallEnv, fd: number, size: number): [string, number, bigint][] {
  const buf = env.alloc(size);
  const out: [string, number, bigint][] = [];
  for (;;) {
    const n = env.call("getdents64", fd, buf, size);
    assert(n >= 0, `getdents64 returned ${n}`);
    if (n === 0) return out;
    for (let off = 0; off < n;) {
      const reclen = env.mem.view.getUint16(buf + off + 16, true);
      const bytes = env.mem.readBytes(buf + off + 19, reclen - 19);
      const name = new TextDecoder().decode(bytes.subarray(0, bytes.indexOf(0)));
      out.push([name, env.mem.u8[buf + off + 18], env.mem.view.getBigUint64(buf + off, true)]);
      off += reclen;
    }
  }
}

Deno.test(
  "getdents64 lists . and .. and every entry with real inode and type, in pieces",
  withEnv((env) => {
    Deno.mkdirSync(env.path("d"));
    for (let i = 0; i < 20; i++) Deno.writeTextFileSync(env.path(`d/file${i}`), "");
    Deno.mkdirSync(env.path("d/sub"));
    Deno.symlinkSync("file0", env.path("d/link"));
    const fd = open(env, "d", O_DIRECTORY);
    // A small buffer takes several calls.
    const entries = listing(env, fd, 96);
    const names = entries.map((e) => e[0]);
    assertEquals(names.slice(0, 2), [".", ".."]);
    assertEquals(names.length, 24);
    const byName = new Map(entries.map((e) => [e[0], e]));
    assertEquals(byName.get("sub")![1], 4);
    assertEquals(byName.get("link")![1], 10);
    assertEquals(byName.get("file3")![1], 8);
    assertEquals(byName.get("file3")![2], BigInt(Deno.lstatSync(env.path("d/file3")).ino!));
    // Rewinding gives the same listing again.
    assertEquals(env.call("lseek", fd, 0, 0), 0);
    assertEquals(listing(env, fd, 4096).map((e) => e[0]), names);
    assertEquals(env.call("lseek", fd, 0, 0), 0);
    assertEquals(env.call("getdents64", fd, env.alloc(16), 16), -E.EINVAL);
    const file = open(env, "d/file1", 0);
    assertEquals(env.call("getdents64", file, env.alloc(64), 64), -E.ENOTDIR);
  }),
);

Deno.test(
  "getcwd, chdir and fchdir move the guest's directory, not the host's",
  withEnv((env) => {
    const hostCwd = Deno.cwd();
    Deno.mkdirSync(env.path("d/e"), { recursive: true });
    Deno.symlinkSync("d", env.path("ln"));
    const buf = env.alloc(4096);
    assertEquals(env.call("getcwd", buf, 4096), env.dir.length + 1);
    assertEquals(env.text(buf, env.dir.length), env.dir);
    assertEquals(env.call("getcwd", buf, 2), -E.ERANGE);
    assertEquals(env.call("chdir", env.str("ln")), 0);
    // The kernel reports the directory without the symbolic link.
    assertEquals(env.proc.cwd, env.path("d"));
    assert(open(env, "e", O_DIRECTORY) >= 0);
    const up = open(env, "..", O_DIRECTORY);
    assertEquals(env.call("chdir", env.str("missing")), -E.ENOENT);
    Deno.writeTextFileSync(env.path("file"), "");
    assertEquals(env.call("fchdir", open(env, "../file", 0)), -E.ENOTDIR);
    assertEquals(env.call("fchdir", up), 0);
    assertEquals(env.proc.cwd, env.dir);
    assertEquals(Deno.cwd(), hostCwd);
  }),
);

Deno.test(
  "mkdirat, unlinkat and renameat2 change the tree with Linux's errors",
  withEnv((env) => {
    env.proc.umask = 0o022;
    assertEquals(env.call("mkdirat", AT_FDCWD, env.str("d"), 0o777), 0);
    assertEquals(Deno.statSync(env.path("d")).mode! & 0o777, 0o755);
    assertEquals(env.call("mkdirat", AT_FDCWD, env.str("d"), 0o777), -E.EEXIST);
    Deno.writeTextFileSync(env.path("d/f"), "");
    assertEquals(env.call("unlinkat", AT_FDCWD, env.str("d"), 0), -E.EISDIR);
    assertEquals(env.call("unlinkat", AT_FDCWD, env.str("d"), AT_REMOVEDIR), -E.ENOTEMPTY);
    assertEquals(env.call("unlinkat", AT_FDCWD, env.str("d/f"), AT_REMOVEDIR), -E.ENOTDIR);
    Deno.writeTextFileSync(env.path("g"), "g");
    assertEquals(env.call("renameat2", AT_FDCWD, env.str("g"), AT_FDCWD, env.str("d/f"), 1), -E.EEXIST);
    assertEquals(env.call("renameat2", AT_FDCWD, env.str("g"), AT_FDCWD, env.str("d/f"), 0), 0);
    assertEquals(Deno.readTextFileSync(env.path("d/f")), "g");
    assertEquals(env.call("unlinkat", AT_FDCWD, env.str("d/f"), 0), 0);
    assertEquals(env.call("unlinkat", AT_FDCWD, env.str("d"), AT_REMOVEDIR), 0);
    assertEquals(env.call("unlinkat", AT_FDCWD, env.str("d"), 0x1), -E.EINVAL);
  }),
);

Deno.test(
  "symlinkat, linkat and readlinkat handle links",
  withEnv((env) => {
    Deno.writeTextFileSync(env.path("f"), "x");
    assertEquals(env.call("symlinkat", env.str("../some/where"), AT_FDCWD, env.str("l")), 0);
    const buf = env.alloc(64);
    assertEquals(env.call("readlinkat", AT_FDCWD, env.str("l"), buf, 64), 13);
    assertEquals(env.text(buf, 13), "../some/where");
    // Truncated to the buffer, without a NUL.
    assertEquals(env.call("readlinkat", AT_FDCWD, env.str("l"), buf, 4), 4);
    assertEquals(env.call("readlinkat", AT_FDCWD, env.str("f"), buf, 64), -E.EINVAL);
    assertEquals(env.call("readlinkat", AT_FDCWD, env.str("l"), buf, 0), -E.EINVAL);
    assertEquals(env.call("linkat", AT_FDCWD, env.str("f"), AT_FDCWD, env.str("h"), 0), 0);
    const st = stat(env, "f");
    assert(typeof st !== "number");
    assertEquals(st.nlink, 2);
  }),
);

Deno.test(
  "readlinkat of /proc/self links describes the guest",
  withEnv((env) => {
    env.proc.exePath = "/opt/guest/prog";
    const buf = env.alloc(256);
    const read = (p: string) => {
      const n = env.call("readlinkat", AT_FDCWD, env.str(p), buf, 256);
      return n < 0 ? n : env.text(buf, n);
    };
    assertEquals(read("/proc/self/exe"), "/opt/guest/prog");
    assertEquals(read(`/proc/${env.proc.pid}/exe`), "/opt/guest/prog");
    assertEquals(read("/proc/self/cwd"), env.dir);
    assertEquals(read("/proc/self"), String(env.proc.pid));
    Deno.writeTextFileSync(env.path("f"), "");
    const fd = open(env, "f", 0);
    assertEquals(read(`/proc/self/fd/${fd}`), env.path("f"));
    // No such entry, as Linux and qemu-riscv64 answer (not EBADF: nothing here takes a descriptor).
    assertEquals(read("/proc/self/fd/77"), -E.ENOENT);
  }),
);

Deno.test(
  "openat of /proc/self/maps shows the guest's mappings",
  withEnv((env) => {
    const fd = open(env, "/proc/self/maps", 0);
    const buf = env.alloc(4096);
    const n = env.call("read", fd, buf, 4096);
    const start = env.scratch.toString(16).padStart(8, "0");
    assert(env.text(buf, n).startsWith(`${start}-`), env.text(buf, n));
    assertEquals(env.text(buf, n).split("\n").length, env.mem.mappings.length + 1);
  }),
);

Deno.test(
  "fchmod, fchmodat, fchownat and utimensat change the host file",
  withEnv((env) => {
    Deno.writeTextFileSync(env.path("f"), "x");
    const fd = open(env, "f", 0);
    assertEquals(env.call("fchmod", fd, 0o600), 0);
    assertEquals(Deno.statSync(env.path("f")).mode! & 0o7777, 0o600);
    assertEquals(env.call("fchmodat", AT_FDCWD, env.str("f"), 0o4711), 0);
    assertEquals(Deno.statSync(env.path("f")).mode! & 0o7777, 0o4711);
    const me = Deno.statSync(env.path("f"));
    // Giving a file to its owner and group succeeds on any host.
    assertEquals(env.call("fchownat", AT_FDCWD, env.str("f"), me.uid!, me.gid!, 0), 0);
    assertEquals(env.call("fchown", fd, -1, -1), 0);
    const times = env.alloc(32);
    new DataView(env.mem.buffer).setBigInt64(times, 1000n, true);
    new DataView(env.mem.buffer).setBigInt64(times + 8, 500_000_000n, true);
    new DataView(env.mem.buffer).setBigInt64(times + 16, 2000n, true);
    new DataView(env.mem.buffer).setBigInt64(times + 24, (1n << 30n) - 2n, true);
    const before = Deno.statSync(env.path("f")).mtime!.getTime();
    assertEquals(env.call("utimensat", AT_FDCWD, env.str("f"), times, 0), 0);
    const after = Deno.statSync(env.path("f"));
    assertEquals(after.atime!.getTime(), 1000500);
    assertEquals(after.mtime!.getTime(), before);
    assertEquals(env.call("utimensat", fd, 0, 0, 0), 0);
    assert(Deno.statSync(env.path("f")).mtime!.getTime() >= before);
  }),
);

Deno.test(
  "truncate and ftruncate set the length; ftruncate needs a writable descriptor",
  withEnv((env) => {
    Deno.writeTextFileSync(env.path("f"), "0123456789");
    assertEquals(env.call("truncate", env.str("f"), 4), 0);
    assertEquals(Deno.readTextFileSync(env.path("f")), "0123");
    const ro = open(env, "f", 0), rw = open(env, "f", O_RDWR);
    assertEquals(env.call("ftruncate", ro, 1), -E.EINVAL);
    assertEquals(env.call("ftruncate", rw, 2), 0);
    assertEquals(env.call("ftruncate", rw, -1), -E.EINVAL);
    assertEquals(Deno.readTextFileSync(env.path("f")), "01");
  }),
);

Deno.test(
  "umask returns the old mask and keeps the permission bits",
  withEnv((env) => {
    env.proc.umask = 0o022;
    assertEquals(env.call("umask", 0o7077), 0o022);
    assertEquals(env.call("umask", 0), 0o077);
  }),
);

Deno.test(
  "statfs and fstatfs describe the file system",
  withEnv((env) => {
    const buf = env.alloc(120);
    assertEquals(env.call("statfs", env.str("."), buf), 0);
    assert(env.mem.view.getBigInt64(buf + 8, true) > 0n);
    assertEquals(env.call("fstatfs", open(env, ".", O_DIRECTORY), buf), 0);
    assertEquals(env.call("statfs", env.str("missing"), buf), -E.ENOENT);
  }),
);

Deno.test(
  "path system calls answer EFAULT for unmapped path pointers and buffers",
  withEnv((env) => {
    const bad = 0x3000000;
    Deno.writeTextFileSync(env.path("f"), "x");
    assertEquals(env.call("openat", AT_FDCWD, bad, 0), -E.EFAULT);
    assertEquals(env.call("newfstatat", AT_FDCWD, env.str("f"), bad, 0), -E.EFAULT);
    assertEquals(env.call("fstat", open(env, "f", 0), bad), -E.EFAULT);
    assertEquals(env.call("getcwd", bad, 4096), -E.EFAULT);
    assertEquals(env.call("readlinkat", AT_FDCWD, env.str("/proc/self/cwd"), bad, 10), -E.EFAULT);
    // A path longer than PATH_MAX.
    assertEquals(env.call("openat", AT_FDCWD, env.str("a".repeat(5000)), 0), -E.ENAMETOOLONG);
  }),
);

Deno.test(
  "getdents64 of an O_PATH descriptor is EBADF, as Linux answers: such a descriptor only names its directory",
  withEnv((env) => {
    Deno.mkdirSync(env.path("d"));
    const O_PATH = 0o10000000, O_DIRECTORY = 0o200000;
    const fd = env.call("openat", AT_FDCWD, env.str("d"), O_PATH | O_DIRECTORY);
    assertEquals(env.call("getdents64", fd, env.alloc(4096), 4096), -E.EBADF);
    const listed = env.call("openat", AT_FDCWD, env.str("d"), O_DIRECTORY);
    assertEquals(env.call("getdents64", listed, env.alloc(4096), 4096) > 0, true);
  }),
);

Deno.test(
  "extended attributes: none kept, EOPNOTSUPP once the file is found (Python's shutil.copy2 skips them then)",
  withEnv((env) => {
    Deno.writeTextFileSync(env.path("f"), "data");
    const buf = env.alloc(64);
    assertEquals(env.call("listxattr", env.str("f"), buf, 64), -E.EOPNOTSUPP);
    assertEquals(env.call("lgetxattr", env.str("f"), env.str("user.x"), buf, 64), -E.EOPNOTSUPP);
    assertEquals(env.call("setxattr", env.str("f"), env.str("user.x"), buf, 1, 0), -E.EOPNOTSUPP);
    assertEquals(env.call("getxattr", env.str("missing"), env.str("user.x"), buf, 64), -E.ENOENT);
    const fd = open(env, "f", 0);
    assertEquals(env.call("fremovexattr", fd, env.str("user.x")), -E.EOPNOTSUPP);
    assertEquals(env.call("flistxattr", 99, buf, 64), -E.EBADF);
  }),
);
