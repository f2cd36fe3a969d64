/**
 * Facts about the host process and kernel. Linux's `/proc` has them all,
 * and plume, which runs with `--allow-all`, reads them there. Deno refuses
 * `/proc` (and `/sys`, `/dev/fd`) to code with fewer permissions (the unit
 * tests, for instance), so each reader falls back to Deno's APIs
 * (`Deno.uid`, `Deno.osUptime`, `Deno.loadavg`, …) or, where none exists,
 * to Linux's defaults.
 *
 * @module
 */

function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

/** The `Key:` lines of `/proc/self/status`. */
function statusField(key: string): string | undefined {
  const m = readText("/proc/self/status")?.match(new RegExp(`^${key}:[ \\t]*(.*)$`, "m"));
  return m?.[1];
}

/** Real, effective, saved and file-system ids from a `Uid:`/`Gid:` line. */
export interface HostIds {
  /** Real, effective, saved, fs user ids. */
  uids: [number, number, number, number];
  /** Real, effective, saved, fs group ids. */
  gids: [number, number, number, number];
  /** Supplementary groups. */
  groups: number[];
}

/**
 * The host process's user and group ids.
 *
 * @example
 * ```ts
 * import { hostIds } from "./host_info.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(hostIds().uids.length, 4); // real, effective, saved, fs
 * ```
 */
export function hostIds(): HostIds {
  const four = (line: string | undefined, fallback: number): [number, number, number, number] => {
    const v = line?.trim().split(/\s+/).map(Number) ?? [];
    return v.length === 4 && v.every(Number.isInteger)
      ? [v[0], v[1], v[2], v[3]]
      : [fallback, fallback, fallback, fallback];
  };
  const groups = (statusField("Groups") ?? "").trim().split(/\s+/).filter((s) => s !== "").map(Number);
  const uids = four(statusField("Uid"), -1), gids = four(statusField("Gid"), -1);
  if (uids[0] < 0) {
    // Deno knows only the real ids; /proc is missing only in a restricted sandbox.
    const uid = Deno.uid() ?? 0, euid = uid;
    uids.splice(0, 4, uid, euid, euid, euid);
  }
  if (gids[0] < 0) {
    const gid = Deno.gid() ?? 0, egid = gid;
    gids.splice(0, 4, gid, egid, egid, egid);
  }
  return { uids, gids, groups };
}

/**
 * The host's capability sets of plume's process (`CapBnd:` and `CapAmb:` of
 * `/proc/self/status`), which its guests have as theirs: the bounding set
 * (all of them when unknown) and the ambient set (none when unknown).
 */
export function hostCapabilities(): { bounding: bigint; ambient: bigint } {
  const hex = (key: string) => {
    const v = statusField(key);
    return v !== undefined && /^[0-9a-f]+$/i.test(v) ? BigInt(`0x${v}`) : undefined;
  };
  return { bounding: hex("CapBnd") ?? (1n << BigInt(CAP_LAST_CAP + 1)) - 1n, ambient: hex("CapAmb") ?? 0n };
}

/** The highest capability number (Linux 5.9 and later: `CAP_CHECKPOINT_RESTORE`). */
export const CAP_LAST_CAP = 40;

/** The host's file mode creation mask (`Umask:` of `/proc/self/status`, else `Deno.umask`). */
export function hostUmask(): number {
  const u = statusField("Umask");
  if (u !== undefined) return parseInt(u, 8);
  try {
    return Deno.umask();
  } catch {
    return 0o022;
  }
}

/** Process group, session and terminal foreground group of the host process. */
export interface HostSession {
  /** Process group id. */
  pgrp: number;
  /** Session id. */
  session: number;
  /** Foreground process group of the controlling terminal (-1 without one). */
  tpgid: number;
}

/** Reads `/proc/self/stat` fields 5, 6 and 8; without `/proc`, the process leads its own group and session. */
export function hostSession(): HostSession {
  const stat = readText("/proc/self/stat");
  // The command name (field 2) may contain spaces and parentheses: split after its last ')'.
  const rest = stat?.slice(stat.lastIndexOf(")") + 2).split(" ");
  const pid = Deno.pid;
  if (!rest || rest.length < 6) return { pgrp: pid, session: pid, tpgid: -1 };
  return { pgrp: Number(rest[2]), session: Number(rest[3]), tpgid: Number(rest[5]) };
}

/** Seconds since boot (`/proc/uptime`, else `Deno.osUptime`, whole seconds). */
export function hostUptime(): number {
  const t = readText("/proc/uptime");
  if (t !== undefined) return parseFloat(t.split(" ")[0]);
  try {
    return Deno.osUptime();
  } catch {
    return 0;
  }
}

let uptimeAtStart: { seconds: number; at: number } | undefined;

/**
 * Seconds since boot now, for clocks and start times: {@link hostUptime}
 * read once, then advanced by plume's own clock (never decreasing; each
 * `fork` needs a start time, and `/proc/uptime` was read for each).
 */
export function uptimeNow(): number {
  if (uptimeAtStart === undefined) uptimeAtStart = { seconds: hostUptime(), at: performance.now() };
  return uptimeAtStart.seconds + (performance.now() - uptimeAtStart.at) / 1000;
}

/** What `uname` reports about the host kernel. */
export interface HostUname {
  /** Host name. */
  nodename: string;
  /** Kernel release, e.g. `6.1.0-18-amd64`. */
  release: string;
  /** Kernel build string, e.g. `#1 SMP PREEMPT_DYNAMIC …`. */
  version: string;
  /** NIS domain name, `(none)` when unset. */
  domainname: string;
}

/** Host name, kernel release and version, domain name. */
export function hostUname(): HostUname {
  const line = (path: string, fallback: () => string) => readText(path)?.trimEnd() ?? fallback();
  const safe = (f: () => string, v: string) => () => {
    try {
      return f();
    } catch {
      return v;
    }
  };
  return {
    nodename: line("/proc/sys/kernel/hostname", safe(() => Deno.hostname(), "localhost")),
    release: line("/proc/sys/kernel/osrelease", safe(() => Deno.osRelease(), "6.1.0")),
    // Deno has no uname -v (node:os.version() gives the release).
    version: line("/proc/sys/kernel/version", () => "#1 SMP"),
    domainname: line("/proc/sys/kernel/domainname", () => "(none)"),
  };
}

/** Memory and load figures for `sysinfo`. */
export interface HostLoad {
  /** 1, 5 and 15 minute load averages. */
  loads: [number, number, number];
  /** Number of processes (tasks) on the host. */
  procs: number;
  /** Total RAM in bytes. */
  totalram: number;
  /** Free RAM. */
  freeram: number;
  /** RAM available for new allocations (`MemAvailable`). */
  availram: number;
  /** Shared memory. */
  sharedram: number;
  /** Buffers. */
  bufferram: number;
  /** Total swap. */
  totalswap: number;
  /** Free swap. */
  freeswap: number;
}

/** Reads `/proc/meminfo` and `/proc/loadavg`, else `Deno.systemMemoryInfo` and `Deno.loadavg`. */
export function hostLoad(): HostLoad {
  const mem = new Map<string, number>();
  for (const m of (readText("/proc/meminfo") ?? "").matchAll(/^(\w+):\s+(\d+)/gm)) {
    mem.set(m[1], Number(m[2]) * 1024);
  }
  const kb = (k: string) => mem.get(k) ?? 0;
  let loads: [number, number, number] = [0, 0, 0];
  let procs = 1;
  const la = readText("/proc/loadavg")?.split(" ");
  if (la && la.length >= 4) {
    loads = [Number(la[0]), Number(la[1]), Number(la[2])];
    procs = Number(la[3].split("/")[1]) || 1;
  } else {
    try {
      const [a, b, c] = Deno.loadavg();
      loads = [a, b, c];
    } catch {
      // no load figures
    }
  }
  if (mem.size === 0) {
    try {
      const info = Deno.systemMemoryInfo();
      return {
        loads,
        procs,
        totalram: info.total,
        freeram: info.free,
        availram: info.available,
        sharedram: 0,
        bufferram: info.buffers,
        totalswap: info.swapTotal,
        freeswap: info.swapFree,
      };
    } catch {
      // fall through to zeros
    }
  }
  return {
    loads,
    procs,
    totalram: kb("MemTotal"),
    freeram: kb("MemFree"),
    availram: kb("MemAvailable"),
    sharedram: kb("Shmem"),
    bufferram: kb("Buffers"),
    totalswap: kb("SwapTotal"),
    freeswap: kb("SwapFree"),
  };
}

/** A hard/soft limit pair; `Infinity` is `RLIM_INFINITY`. */
export interface Limit {
  /** Soft limit. */
  cur: number;
  /** Hard limit. */
  max: number;
}

/** Order of `/proc/self/limits` lines, which is the `RLIMIT_*` numbering. */
export const LIMIT_NAMES: readonly string[] = [
  "Max cpu time",
  "Max file size",
  "Max data size",
  "Max stack size",
  "Max core file size",
  "Max resident set",
  "Max processes",
  "Max open files",
  "Max locked memory",
  "Max address space",
  "Max file locks",
  "Max pending signals",
  "Max msgqueue size",
  "Max nice priority",
  "Max realtime priority",
  "Max realtime timeout",
];

/** The host's resource limits by `RLIMIT_*` number, where `/proc/self/limits` gives them. */
export function hostLimits(): Map<number, Limit> {
  const out = new Map<number, Limit>();
  const text = readText("/proc/self/limits") ?? "";
  const parse = (s: string) => (s === "unlimited" ? Infinity : Number(s));
  for (const line of text.split("\n")) {
    const i = LIMIT_NAMES.findIndex((n) => line.startsWith(n + " "));
    if (i < 0) continue;
    const f = line.slice(26).trim().split(/\s+/);
    const cur = parse(f[0]), max = parse(f[1]);
    if (!Number.isNaN(cur) && !Number.isNaN(max)) out.set(i, { cur, max });
  }
  return out;
}
