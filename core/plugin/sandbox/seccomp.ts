/**
 * The plugin process's second wall: a seccomp filter, installed before the
 * plugin's code loads, that refuses the system calls through which a
 * process could act on anything but itself — signals to other processes,
 * tracing, new programs and processes (but the plugin's own copy for a
 * forked guest, confined the same way), file-system changes, sockets, SysV
 * shared memory, mounts, clocks, modules — whatever path reaches them
 * (Deno's permissions are the first wall; this one holds even if code
 * found a way around them).
 *
 * It is a deny list, not an allow list: Deno's runtime and V8 use many
 * calls in ways that change between versions, and refusing one of those
 * would break plugins in ways nobody could diagnose. Refused calls fail
 * with `EPERM` (`clone3` with `ENOSYS`, so that the C library falls back
 * to `clone`, whose flags the filter can see); nothing is killed.
 *
 * Grants widen it: `read`/`write` grants allow opening files (Deno's
 * permissions then decide which), `write` also the calls that change the
 * file system, `net` sockets.
 *
 * Only x86-64 has a table yet; on other hosts {@link seccompFilter}
 * returns undefined and the plugin process relies on Deno's permissions,
 * its resource limits and its own session.
 *
 * @module
 */

/** What the filter lets the plugin process do beyond computing. */
export interface FilterPolicy {
  /** The plugin process's own pid: it may signal itself (and its threads), nothing else. */
  pid: number;
  /** Opening files (a `read` or `write` grant). */
  open: boolean;
  /** Writing files by path: truncating them, setting their times (a `write` grant). */
  write: boolean;
  /**
   * Making, removing, renaming and linking entries, changing modes, owners
   * and attributes (a `write` grant of a directory): a grant of one file
   * must not let the plugin turn its name into a directory of its own.
   */
  tree: boolean;
  /** Sockets (a `net` grant). */
  net: boolean;
}

/** How the filter treats one system call. */
type Rule =
  | "deny" // EPERM
  | "enosys" // ENOSYS: the caller falls back to an older call
  | "self" // allowed when argument 0 is the process's own pid
  | "thread" // clone: allowed for threads (CLONE_THREAD in argument 0) and for the plugin's fork (FORK_FLAGS exactly)
  | "query" // prlimit64: allowed when argument 2 (the new limit) is NULL
  | "own" // sched_set*: allowed when argument 0 is 0 (the calling thread)
  | "fcntl" // allowed but for the commands that make the kernel signal someone (F_SETOWN…)
  | "ioctl"; // allowed but for the requests that signal someone or type into a terminal

/** Calls refused whatever is granted (x86-64 numbers). */
const ALWAYS_X86_64: Readonly<Record<string, [number, Rule]>> = {
  kill: [62, "self"],
  fcntl: [72, "fcntl"],
  ioctl: [16, "ioctl"],
  tgkill: [234, "self"],
  tkill: [200, "deny"],
  rt_sigqueueinfo: [129, "self"],
  rt_tgsigqueueinfo: [297, "self"],
  pidfd_open: [434, "deny"],
  pidfd_send_signal: [424, "deny"],
  pidfd_getfd: [438, "deny"],
  ptrace: [101, "deny"],
  process_vm_readv: [310, "deny"],
  process_vm_writev: [311, "deny"],
  process_madvise: [440, "deny"],
  process_mrelease: [448, "deny"],
  kcmp: [312, "deny"],
  execve: [59, "deny"],
  execveat: [322, "deny"],
  fork: [57, "deny"],
  vfork: [58, "deny"],
  clone: [56, "thread"],
  clone3: [435, "enosys"],
  setrlimit: [160, "deny"],
  // A copy leaving the plugin's session would be out of plume's sight (it ends unknown copies in that session).
  setsid: [112, "deny"],
  setpgid: [109, "deny"],
  prlimit64: [302, "query"],
  setpriority: [141, "deny"],
  ioprio_set: [251, "deny"],
  sched_setaffinity: [203, "own"],
  sched_setscheduler: [144, "own"],
  sched_setparam: [142, "own"],
  sched_setattr: [314, "own"],
  migrate_pages: [256, "deny"],
  move_pages: [279, "own"],
  setuid: [105, "deny"],
  setgid: [106, "deny"],
  setreuid: [113, "deny"],
  setregid: [114, "deny"],
  setresuid: [117, "deny"],
  setresgid: [119, "deny"],
  setgroups: [116, "deny"],
  setfsuid: [122, "deny"],
  setfsgid: [123, "deny"],
  capset: [126, "deny"],
  personality: [135, "deny"],
  unshare: [272, "deny"],
  setns: [308, "deny"],
  mount: [165, "deny"],
  umount2: [166, "deny"],
  pivot_root: [155, "deny"],
  chroot: [161, "deny"],
  move_mount: [429, "deny"],
  open_tree: [428, "deny"],
  fsopen: [430, "deny"],
  fsconfig: [431, "deny"],
  fsmount: [432, "deny"],
  fspick: [433, "deny"],
  mount_setattr: [442, "deny"],
  swapon: [167, "deny"],
  swapoff: [168, "deny"],
  reboot: [169, "deny"],
  kexec_load: [246, "deny"],
  kexec_file_load: [320, "deny"],
  init_module: [175, "deny"],
  finit_module: [313, "deny"],
  delete_module: [176, "deny"],
  acct: [163, "deny"],
  quotactl: [179, "deny"],
  quotactl_fd: [443, "deny"],
  syslog: [103, "deny"],
  vhangup: [153, "deny"],
  iopl: [172, "deny"],
  ioperm: [173, "deny"],
  settimeofday: [164, "deny"],
  clock_settime: [227, "deny"],
  clock_adjtime: [305, "deny"],
  adjtimex: [159, "deny"],
  sethostname: [170, "deny"],
  setdomainname: [171, "deny"],
  bpf: [321, "deny"],
  perf_event_open: [298, "deny"],
  userfaultfd: [323, "deny"],
  io_uring_setup: [425, "deny"],
  io_uring_enter: [426, "deny"],
  io_uring_register: [427, "deny"],
  keyctl: [250, "deny"],
  add_key: [248, "deny"],
  request_key: [249, "deny"],
  shmget: [29, "deny"],
  shmat: [30, "deny"],
  shmctl: [31, "deny"],
  msgget: [68, "deny"],
  msgsnd: [69, "deny"],
  msgrcv: [70, "deny"],
  msgctl: [71, "deny"],
  semget: [64, "deny"],
  semop: [65, "deny"],
  semctl: [66, "deny"],
  semtimedop: [220, "deny"],
  mq_open: [240, "deny"],
  mq_unlink: [241, "deny"],
  fanotify_init: [300, "deny"],
  name_to_handle_at: [303, "deny"],
  open_by_handle_at: [304, "deny"],
  landlock_create_ruleset: [444, "deny"],
  landlock_add_rule: [445, "deny"],
  landlock_restrict_self: [446, "deny"],
  memfd_secret: [447, "deny"],
};

/** Calls that open files by path: refused unless a `read` or `write` grant needs them. */
const OPEN_X86_64: Readonly<Record<string, number>> = {
  open: 2,
  openat: 257,
  openat2: 437,
  creat: 85,
};

/** Calls that change a file by path: refused unless a `write` grant needs them. */
const WRITE_X86_64: Readonly<Record<string, number>> = {
  truncate: 76,
  utime: 132,
  utimes: 235,
  futimesat: 261,
  utimensat: 280,
};

/**
 * Calls that change the file tree or what a file is (its mode, owner,
 * attributes; by path or by descriptor): refused
 * unless a `write` grant of a directory needs them. With `write=FILE` alone
 * an attacking helper's plugin removed FILE, made a directory of that name,
 * made it writable by everyone and wrote executables into it (Deno's grant
 * of a path covers everything under it).
 */
const TREE_X86_64: Readonly<Record<string, number>> = {
  unlink: 87,
  unlinkat: 263,
  rename: 82,
  renameat: 264,
  renameat2: 316,
  mkdir: 83,
  mkdirat: 258,
  rmdir: 84,
  link: 86,
  linkat: 265,
  symlink: 88,
  symlinkat: 266,
  chmod: 90,
  fchmodat: 268,
  fchmodat2: 452,
  chown: 92,
  lchown: 94,
  fchownat: 260,
  // Through a descriptor too: a plugin granted only a file's writing made it setuid and world-writable with
  // Deno.writeTextFileSync's `mode` (fchmod), as a reviewing helper found.
  fchmod: 91,
  fchown: 93,
  fsetxattr: 190,
  fremovexattr: 199,
  mknod: 133,
  mknodat: 259,
  setxattr: 188,
  lsetxattr: 189,
  removexattr: 197,
  lremovexattr: 198,
};

/** Calls that make sockets: refused unless a `net` grant needs them. */
const NET_X86_64: Readonly<Record<string, number>> = {
  socket: 41,
  socketpair: 53,
};

const AUDIT_ARCH_X86_64 = 0xc000003e;
/** x32 system calls (an alternative ABI on x86-64) have this bit: refused. */
const X32_SYSCALL_BIT = 0x40000000;
const CLONE_THREAD = 0x10000;
/**
 * The one process `clone` the filter allows: the plugin runtime's copy of
 * itself for a forked guest process (`CLONE_PARENT | SIGCHLD`, a sibling
 * of the caller, a child of plume). The copy inherits this filter, its
 * limits, its session and its permissions; no other flag (no namespace,
 * no shared memory or descriptors) gets through.
 */
const FORK_FLAGS = 0x8000 | 17;
/**
 * `fcntl` commands refused: they have the kernel send a signal to a process
 * the caller names when a descriptor gets ready, a lease breaks or a
 * directory changes (F_SETOWN, F_SETSIG, F_SETOWN_EX, F_SETLEASE, F_NOTIFY).
 */
const FCNTL_SIGNALLING = [8, 10, 15, 1024, 1026];
/**
 * `ioctl` requests refused: setting the process to signal (FIOSETOWN,
 * SIOCSPGRP), faking terminal input (TIOCSTI), taking a controlling
 * terminal (TIOCSCTTY).
 */
const IOCTL_SIGNALLING = [0x8901, 0x8902, 0x5412, 0x540e];
const EPERM = 1, ENOSYS = 38;

const RET_ALLOW = 0x7fff0000, RET_ERRNO = 0x00050000;
const LD_ABS_W = 0x20, JEQ = 0x15, JSET = 0x45, JGE = 0x35, RET = 0x06;

/** Offsets in `struct seccomp_data`. */
const NR = 0, ARCH = 4, ARG_LO = (i: number) => 16 + 8 * i, ARG_HI = (i: number) => 20 + 8 * i;

/** One BPF instruction, with jumps to labels resolved at the end. */
interface Insn {
  code: number;
  k: number;
  jt?: string;
  jf?: string;
  label?: string;
}

/**
 * Assembles BPF instructions, resolving label jumps (BPF jumps are
 * forward only, at most 255 instructions).
 */
function assemble(prog: Insn[]): Uint8Array {
  const at = new Map<string, number>();
  prog.forEach((insn, i) => insn.label !== undefined && at.set(insn.label, i));
  const out = new Uint8Array(prog.length * 8), view = new DataView(out.buffer);
  prog.forEach((insn, i) => {
    const off = (label: string | undefined) => {
      if (label === undefined) return 0;
      const target = at.get(label);
      if (target === undefined || target <= i || target - i - 1 > 255) throw new Error(`Bad BPF jump to ${label}`);
      return target - i - 1;
    };
    view.setUint16(8 * i, insn.code, true);
    view.setUint8(8 * i + 2, off(insn.jt));
    view.setUint8(8 * i + 3, off(insn.jf));
    view.setUint32(8 * i + 4, insn.k >>> 0, true);
  });
  return out;
}

/** The system calls and rules of `policy` on x86-64: number → rule. */
export function rulesX86_64(policy: FilterPolicy): Map<number, Rule> {
  const rules = new Map<number, Rule>();
  for (const [nr, rule] of Object.values(ALWAYS_X86_64)) rules.set(nr, rule);
  if (!policy.open) { for (const nr of Object.values(OPEN_X86_64)) rules.set(nr, "deny"); }
  if (!policy.write) { for (const nr of Object.values(WRITE_X86_64)) rules.set(nr, "deny"); }
  if (!policy.write || !policy.tree) { for (const nr of Object.values(TREE_X86_64)) rules.set(nr, "deny"); }
  if (!policy.net) { for (const nr of Object.values(NET_X86_64)) rules.set(nr, "deny"); }
  return rules;
}

/**
 * The filter for `policy` on architecture `arch`, as `sock_filter` bytes
 * for {@link Os.seccomp}, or undefined where no table exists yet.
 *
 * @example
 * ```ts
 * import { seccompFilter } from "./seccomp.ts";
 * import { strictEqual } from "node:assert";
 * const policy = { pid: 1234, open: false, write: false, tree: false, net: false };
 * strictEqual(seccompFilter("x86_64", policy)!.length % 8, 0); // 8-byte instructions
 * strictEqual(seccompFilter("aarch64", policy), undefined); // no table yet
 * ```
 */
export function seccompFilter(arch: string, policy: FilterPolicy): Uint8Array | undefined {
  if (arch !== "x86_64") return undefined;
  const rules = rulesX86_64(policy);
  const prog: Insn[] = [
    { code: LD_ABS_W, k: ARCH },
    { code: JEQ, k: AUDIT_ARCH_X86_64, jf: "deny" },
    { code: LD_ABS_W, k: NR },
    { code: JGE, k: X32_SYSCALL_BIT, jt: "deny" },
  ];
  // Calls with a rule jump to its check; everything else is allowed.
  for (const [nr, rule] of rules) prog.push({ code: JEQ, k: nr, jt: rule });
  // Refused when argument i (its low word: an int command) is one of `values`.
  const oneOf = (i: number, values: number[], label: string): Insn[] => [
    { code: LD_ABS_W, k: ARG_LO(i), label },
    ...values.map((v): Insn => ({ code: JEQ, k: v, jt: "deny" })),
    { code: RET, k: RET_ALLOW },
  ];
  const argIs = (i: number, value: number, label: string): Insn[] => [
    { code: LD_ABS_W, k: ARG_LO(i), label },
    { code: JEQ, k: value, jf: "deny" },
    { code: LD_ABS_W, k: ARG_HI(i) },
    { code: JEQ, k: 0, jt: "allow", jf: "deny" },
  ];
  // BPF jumps only forward: the checks come after the chain, the verdicts last.
  prog.push(
    { code: RET, k: RET_ALLOW },
    ...argIs(0, policy.pid, "self"),
    ...argIs(2, 0, "query"),
    ...argIs(0, 0, "own"),
    { code: LD_ABS_W, k: ARG_LO(0), label: "thread" },
    { code: JSET, k: CLONE_THREAD, jt: "allow" },
    { code: JEQ, k: FORK_FLAGS, jt: "allow", jf: "deny" },
    ...oneOf(1, FCNTL_SIGNALLING, "fcntl"),
    ...oneOf(1, IOCTL_SIGNALLING, "ioctl"),
    { code: RET, k: RET_ALLOW, label: "allow" },
    { code: RET, k: RET_ERRNO | ENOSYS, label: "enosys" },
    { code: RET, k: RET_ERRNO | EPERM, label: "deny" },
  );
  return assemble(prog);
}
