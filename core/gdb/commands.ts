/**
 * The packets of GDB's remote protocol plume answers, one handler per
 * packet, looked up by the packet's first character (and, for `q`/`Q`/`v`,
 * its name). A handler gets the packet and the {@link Target} and returns
 * a reply or an action for the stub (resume, detach, kill). Anything not
 * understood gets the empty reply, which tells GDB "not supported"; a
 * malformed packet gets `E22` (EINVAL), an unreadable or unwritable
 * address `E14` (EFAULT), as qemu's stub answers.
 *
 * @module
 */

import type { AddressSpace } from "../mem/address_space.ts";
import type { ThreadState } from "../linux/thread.ts";
import { fromHex, MAX_PACKET, toHex } from "./packet.ts";
import { readGeneral, readRegister, writeGeneral, writeRegister } from "./registers.ts";
import { readMemory, writeMemory } from "./memory.ts";
import { targetXml, xferChunk } from "./target_xml.ts";

/** Kinds of `Z`/`z` points: 0 software breakpoint, 1 hardware breakpoint, 2 write, 3 read, 4 access watchpoint. */
export type PointType = 0 | 1 | 2 | 3 | 4;

/** How one thread resumes (from `c`, `s`, `C`, `S` or a `vCont` action). */
export interface ResumeAction {
  /** The thread, or undefined for "every thread without an action of its own". */
  tid: number | undefined;
  /** Single-step (else continue). */
  step: boolean;
  /** GDB's number of the signal to pass on (0: none). */
  signal: number;
}

/** What the stub does after a packet. */
export type Action =
  | { kind: "reply"; data: string }
  | { kind: "resume"; actions: ResumeAction[] }
  | { kind: "detach" }
  /** End the run (`k`, or `vKill`, which is answered `OK` first). */
  | { kind: "kill"; reply?: string };

/** What the handlers see of the debugged process and the stub. */
export interface Target {
  /** Guest memory. */
  readonly mem: AddressSpace;
  /** The process id. */
  readonly pid: number;
  /** The debugger announced `multiprocess+`: thread ids are `pPID.TID`. */
  multiprocess: boolean;
  /** The live threads, main thread first. */
  threads(): ThreadState[];
  /** The thread `g`/`G`/`p`/`P` use (set by `Hg`). */
  regThread: ThreadState;
  /** The thread `c`/`s` resume (`Hc`; undefined: every thread). */
  resumeThread: number | undefined;
  /** The reply to `?`: why the guest is stopped. */
  stopReply(): string;
  /** The auxiliary vector, as the guest's stack holds it. */
  auxv(): Uint8Array;
  /** Sets a breakpoint or watchpoint; false when it cannot. */
  insertPoint(type: PointType, addr: number, len: number): boolean;
  /** Removes one; false when there was none. */
  removePoint(type: PointType, addr: number, len: number): boolean;
}

const reply = (data: string): Action => ({ kind: "reply", data });
const OK = reply("OK");
const EINVAL = reply("E22");
const EFAULT = reply("E14");
const UNSUPPORTED = reply("");

/** A hex number (the protocol's addresses and lengths) below 2^53, or undefined. */
function hexNumber(s: string | undefined): number | undefined {
  if (s === undefined || !/^[0-9a-fA-F]{1,16}$/.test(s)) return undefined;
  const v = BigInt(`0x${s}`);
  return v < 1n << 53n ? Number(v) : undefined;
}

/**
 * A thread id as the debugger writes it (`TID`, `pPID.TID`, `-1` for all,
 * `0` for any): the thread id, -1, 0, or undefined when malformed.
 */
export function parseThreadId(s: string): number | undefined {
  const m = /^(?:p(-1|[0-9a-fA-F]+)\.)?(-1|[0-9a-fA-F]+)$/.exec(s);
  if (!m) return undefined;
  if (m[2] === "-1") return -1;
  return hexNumber(m[2]);
}

/**
 * A thread id as plume writes it.
 *
 * @param t the target (multiprocess or not, its pid)
 * @param tid the thread id
 * @returns `pPID.TID` or `TID`, in hex
 */
export function formatThreadId(t: Pick<Target, "multiprocess" | "pid">, tid: number): string {
  return t.multiprocess ? `p${t.pid.toString(16)}.${tid.toString(16)}` : tid.toString(16);
}

function findThread(t: Target, tid: number): ThreadState | undefined {
  return t.threads().find((th) => th.tid === tid);
}

/** `m addr,len`: hex of the readable bytes, `E14` when none. */
function readMem(t: Target, args: string): Action {
  const [a, l] = args.split(",");
  const addr = hexNumber(a), len = hexNumber(l);
  if (addr === undefined || len === undefined) return EINVAL;
  if (len === 0) return reply("");
  const bytes = readMemory(t.mem, addr, Math.min(len, (MAX_PACKET - 4) >> 1));
  return bytes.length === 0 ? EFAULT : reply(toHex(bytes));
}

/** `M addr,len:hex` and `X addr,len:binary`. */
function writeMem(t: Target, args: string, binary: boolean): Action {
  const colon = args.indexOf(":");
  if (colon < 0) return EINVAL;
  const [a, l] = args.slice(0, colon).split(",");
  const addr = hexNumber(a), len = hexNumber(l);
  if (addr === undefined || len === undefined) return EINVAL;
  const body = args.slice(colon + 1);
  const data = binary ? Uint8Array.from(body, (c) => c.charCodeAt(0) & 0xff) : fromHex(body);
  if (data === undefined || data.length !== len) return EINVAL;
  return writeMemory(t.mem, addr, data) ? OK : EFAULT;
}

/** `p n`. */
function readReg(t: Target, args: string): Action {
  const n = hexNumber(args);
  const v = n === undefined ? undefined : readRegister(t.regThread.cpu, n);
  return v === undefined ? EFAULT : reply(v);
}

/** `P n=hex`. */
function writeReg(t: Target, args: string): Action {
  const [r, v] = args.split("=");
  const n = hexNumber(r);
  if (n === undefined || v === undefined) return EINVAL;
  return writeRegister(t.regThread.cpu, n, v) ? OK : EFAULT;
}

/** `Hg tid`, `Hc tid`. */
function setThread(t: Target, args: string): Action {
  const which = args[0], tid = parseThreadId(args.slice(1));
  if ((which !== "g" && which !== "c") || tid === undefined) return EINVAL;
  const th = tid > 0 ? findThread(t, tid) : undefined;
  if (tid > 0 && th === undefined) return EINVAL;
  if (which === "g") t.regThread = th ?? t.regThread;
  else t.resumeThread = tid > 0 ? tid : undefined;
  return OK;
}

/** `Z type,addr,kind` and `z type,addr,kind`. */
function point(t: Target, args: string, insert: boolean): Action {
  const [ty, a, k] = args.split(";")[0].split(",");
  const type = Number(ty), addr = hexNumber(a), len = hexNumber(k);
  if (!/^[0-4]$/.test(ty ?? "") || addr === undefined || len === undefined) return EINVAL;
  const done = insert ? t.insertPoint(type as PointType, addr, len) : t.removePoint(type as PointType, addr, len);
  return done ? OK : EINVAL;
}

/** `c [addr]`, `s [addr]`, `C sig[;addr]`, `S sig[;addr]`: GDB no longer sends the address; it is refused. */
function resume(t: Target, args: string, step: boolean, withSignal: boolean): Action {
  let signal = 0;
  let rest = args;
  if (withSignal) {
    const [s, addr] = args.split(";");
    const n = hexNumber(s);
    if (n === undefined || n > 0xff) return EINVAL;
    signal = n;
    rest = addr ?? "";
  }
  if (rest !== "") return EINVAL;
  return { kind: "resume", actions: [{ tid: t.resumeThread, step, signal }] };
}

/** `vCont;action[:tid]…`. */
function vCont(args: string): Action {
  if (args === "?") return reply("vCont;c;C;s;S");
  if (!args.startsWith(";")) return EINVAL;
  const actions: ResumeAction[] = [];
  for (const part of args.slice(1).split(";")) {
    const [act, id] = part.split(":");
    const tid = id === undefined ? undefined : parseThreadId(id);
    if (id !== undefined && tid === undefined) return EINVAL;
    const kind = act[0];
    let signal = 0;
    if (kind === "C" || kind === "S") {
      const n = hexNumber(act.slice(1));
      if (n === undefined || n > 0xff) return EINVAL;
      signal = n;
    } else if ((kind !== "c" && kind !== "s") || act.length !== 1) return UNSUPPORTED;
    actions.push({ tid: tid === undefined || tid <= 0 ? undefined : tid, step: kind === "s" || kind === "S", signal });
  }
  return actions.length === 0 ? EINVAL : { kind: "resume", actions };
}

/** `qXfer:object:read:annex:offset,length`. */
function xfer(t: Target, args: string): Action {
  const m = /^([a-z-]+):read:([^:]*):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(args);
  if (!m) return UNSUPPORTED;
  const offset = hexNumber(m[3]), length = hexNumber(m[4]);
  if (offset === undefined || length === undefined) return EINVAL;
  const len = Math.min(length, MAX_PACKET - 8);
  if (m[1] === "features") {
    if (m[2] !== "target.xml") return reply("E00");
    return reply(xferChunk(targetXml(), offset, len));
  }
  if (m[1] === "auxv") {
    const auxv = t.auxv();
    // Binary data: each byte as one character (the framing escapes what must be escaped).
    const part = auxv.subarray(offset, offset + len);
    return reply((offset + len >= auxv.length ? "l" : "m") + String.fromCharCode(...part));
  }
  return UNSUPPORTED;
}

/** `qSupported:features`: what plume does; multiprocess ids only when GDB offers them. */
function supported(t: Target, args: string): Action {
  t.multiprocess = args.split(";").includes("multiprocess+");
  const features = [
    `PacketSize=${MAX_PACKET.toString(16)}`,
    "qXfer:features:read+",
    "qXfer:auxv:read+",
    "vContSupported+",
  ];
  if (t.multiprocess) features.push("multiprocess+");
  return reply(features.join(";"));
}

/** `q…` queries, by name. */
function query(t: Target, q: string): Action {
  const name = /^[A-Za-z]+/.exec(q)?.[0] ?? "";
  const rest = q.slice(name.length);
  switch (name) {
    case "Supported":
      return supported(t, rest.slice(1));
    case "Xfer":
      return xfer(t, rest.slice(1));
    case "C":
      return rest === "" ? reply(`QC${formatThreadId(t, t.regThread.tid)}`) : UNSUPPORTED;
    case "fThreadInfo":
      return reply("m" + t.threads().map((th) => formatThreadId(t, th.tid)).join(","));
    case "sThreadInfo":
      return reply("l");
    case "Symbol":
      return OK;
    default:
      // qAttached too, as qemu-user's stub: GDB then takes the process for one it started, and kills it on quit.
      return UNSUPPORTED;
  }
}

/** `v…` packets, by name. */
function vPacket(t: Target, v: string): Action {
  if (v.startsWith("Cont")) return vCont(v.slice(4));
  if (v.startsWith("Kill")) return { kind: "kill", reply: "OK" };
  if (v === "MustReplyEmpty") return UNSUPPORTED;
  void t;
  return UNSUPPORTED;
}

/**
 * The action for one packet.
 *
 * @param t the target
 * @param data the packet's payload (unescaped)
 * @returns a reply, or what the stub must do
 *
 * @example
 * ```ts
 * import { handlePacket, type Target } from "./commands.ts";
 * import { deepStrictEqual } from "node:assert";
 * declare const target: Target; // the stub
 * deepStrictEqual(handlePacket(target, "vMustReplyEmpty"), { kind: "reply", data: "" });
 * ```
 */
export function handlePacket(t: Target, data: string): Action {
  const args = data.slice(1);
  switch (data[0]) {
    case "?":
      return reply(t.stopReply());
    case "g":
      return args === "" ? reply(readGeneral(t.regThread.cpu)) : EINVAL;
    case "G":
      return writeGeneral(t.regThread.cpu, args) ? OK : EINVAL;
    case "p":
      return readReg(t, args);
    case "P":
      return writeReg(t, args);
    case "m":
      return readMem(t, args);
    case "M":
      return writeMem(t, args, false);
    case "X":
      return writeMem(t, args, true);
    case "H":
      return setThread(t, args);
    case "T": {
      const tid = parseThreadId(args);
      return tid !== undefined && tid > 0 && findThread(t, tid) ? OK : reply("E01");
    }
    case "Z":
      return point(t, args, true);
    case "z":
      return point(t, args, false);
    case "c":
      return resume(t, args, false, false);
    case "C":
      return resume(t, args, false, true);
    case "s":
      return resume(t, args, true, false);
    case "S":
      return resume(t, args, true, true);
    case "v":
      return vPacket(t, args);
    case "q":
      return query(t, args);
    case "D":
      return { kind: "detach" };
    case "k":
      return { kind: "kill" };
    default:
      return UNSUPPORTED;
  }
}
