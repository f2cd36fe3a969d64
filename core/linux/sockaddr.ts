/**
 * Socket addresses between guest memory and the host: reading one the
 * guest passes (`bind`, `connect`, `sendto`), writing one back with
 * Linux's length rules (`accept`, `getsockname`, `recvfrom`), and printing
 * one as qemu's `-strace` does.
 *
 * `sockaddr_in`, `sockaddr_in6`, `sockaddr_un` and `sockaddr_nl` have the
 * same bytes on riscv64 and x86-64 Linux, so addresses cross as they are;
 * only a relative unix-socket path is made absolute when the guest's
 * working directory is not plume's (plume keeps each process's own).
 *
 * @module
 */

import type { AddressSpace } from "../mem/address_space.ts";
import { E, SyscallError } from "./errno.ts";
import { readI32 } from "./guest_struct.ts";

/** `AF_UNIX`. */
export const AF_UNIX = 1;
/** `AF_INET`. */
export const AF_INET = 2;
/** `AF_INET6`. */
export const AF_INET6 = 10;
/** `AF_NETLINK`. */
export const AF_NETLINK = 16;
/** `sizeof(struct sockaddr_storage)`: the longest address Linux takes. */
export const SOCKADDR_MAX = 128;
/** `sizeof(sun_path)`. */
const UNIX_PATH_MAX = 108;

/**
 * A copy of the address the guest passes at `addr`, `len` bytes (Linux's
 * `move_addr_to_kernel`: `EINVAL` for a length outside 0..128, `EFAULT`
 * for memory that cannot be read).
 *
 * @param cwd the guest's working directory, for relative unix-socket paths
 */
export function readSockaddr(mem: AddressSpace, addr: number, len: number, cwd: string): Uint8Array {
  if (len < 0 || len > SOCKADDR_MAX) throw new SyscallError(E.EINVAL, `Bad address length ${len}`);
  const bytes = len === 0 ? new Uint8Array(0) : mem.readBytes(addr, len);
  return absoluteUnixPath(bytes, cwd);
}

/**
 * The addresses the guest named by a relative path, by the absolute path
 * plume used for them, so that the names the host reports back
 * (`getsockname`, `accept`, `recvfrom`) are the guest's own again.
 */
const relativeNames = new Map<string, Uint8Array>();

/** The path of a unix-socket address, as a string of its bytes (undefined for other families and unnamed sockets). */
function unixPath(sa: Uint8Array): string | undefined {
  if (sa.length <= 2 || sa[0] + (sa[1] << 8) !== AF_UNIX || sa[2] === 0) return undefined;
  let end = 2;
  while (end < sa.length && sa[end] !== 0) end++;
  return String.fromCharCode(...sa.subarray(2, end));
}

/** A unix-socket address whose relative path is made absolute when the guest's cwd is not the host's. */
function absoluteUnixPath(sa: Uint8Array, cwd: string): Uint8Array {
  if (sa.length <= 2 || sa[0] + (sa[1] << 8) !== AF_UNIX || sa[2] === 0 || sa[2] === 0x2f) return sa;
  let hostCwd: string;
  try {
    hostCwd = Deno.cwd();
  } catch {
    hostCwd = "";
  }
  if (cwd === hostCwd) return sa;
  let end = 2;
  while (end < sa.length && sa[end] !== 0) end++;
  const path = new TextEncoder().encode(`${cwd.endsWith("/") ? cwd : cwd + "/"}`);
  const full = new Uint8Array(2 + path.length + (end - 2) + 1);
  full.set(sa.subarray(0, 2));
  full.set(path, 2);
  full.set(sa.subarray(2, end), 2 + path.length);
  if (full.length - 2 > UNIX_PATH_MAX) throw new SyscallError(E.ENAMETOOLONG, "Unix socket path too long from here");
  // As Linux reports a bound path: the family, the path and its NUL.
  const named = new Uint8Array(end + 1);
  named.set(sa.subarray(0, end));
  relativeNames.set(unixPath(full)!, named);
  return full;
}

/**
 * Writes the address `host` to the guest as Linux's `move_addr_to_user`
 * does: reads the capacity at `lenAddr` (`EINVAL` when negative), writes
 * at most that many bytes at `addr`, and the address's full length at
 * `lenAddr`. A unix-socket path plume made absolute is written as the
 * guest named it.
 *
 * @example
 * ```ts
 * import { writeSockaddr } from "./sockaddr.ts";
 * import { AddressSpace, PROT_READ, PROT_WRITE } from "../mem/address_space.ts";
 * import { strictEqual } from "node:assert";
 * const mem = new AddressSpace(1 << 20);
 * const a = mem.mmap(0, 4096, PROT_READ | PROT_WRITE, { name: "" });
 * mem.writeU32(a, 4); // room for 4 bytes
 * writeSockaddr(mem, a + 8, a, new Uint8Array([2, 0, 0x1f, 0x90, 127, 0, 0, 1]));
 * strictEqual(mem.readU32(a), 8); // the full length
 * strictEqual(mem.readBytes(a + 8, 8)[4], 0); // only 4 bytes written
 * ```
 */
export function writeSockaddr(mem: AddressSpace, addr: number, lenAddr: number, host: Uint8Array): void {
  const path = relativeNames.size > 0 ? unixPath(host) : undefined;
  const sa = (path !== undefined ? relativeNames.get(path) : undefined) ?? host;
  let len = readI32(mem, lenAddr);
  if (len < 0) throw new SyscallError(E.EINVAL, `Negative address length ${len}`);
  if (len > sa.length) len = sa.length;
  if (len > 0) mem.writeBytes(addr, sa.subarray(0, len));
  mem.writeU32(lenAddr, sa.length);
}

function hex16(v: bigint): string {
  return "0x" + BigInt.asUintN(64, v).toString(16).padStart(16, "0");
}

/**
 * qemu 7.2's `print_sockaddr`: the address at `addr` of `len` bytes, then
 * `, len`.
 *
 * @example
 * ```ts
 * import { formatSockaddr } from "./sockaddr.ts";
 * import { AddressSpace, PROT_READ, PROT_WRITE } from "../mem/address_space.ts";
 * import { strictEqual } from "node:assert";
 * const mem = new AddressSpace(1 << 20);
 * const a = mem.mmap(0, 4096, PROT_READ | PROT_WRITE, { name: "" });
 * mem.writeBytes(a, new Uint8Array([2, 0, 0x1f, 0x90, 127, 0, 0, 1]));
 * strictEqual(
 *   formatSockaddr(mem, BigInt(a), 16n),
 *   '{sin_family=AF_INET,sin_port=htons(8080),sin_addr=inet_addr("127.0.0.1")}, 16',
 * );
 * ```
 */
export function formatSockaddr(mem: AddressSpace, addr: bigint, len: bigint): string {
  const n = BigInt.asIntN(64, len);
  const tail = `, ${n}`;
  const a = addr > 0n && addr < 1n << 53n && n >= 0n && n <= 1n << 20n ? Number(addr) : -1;
  let b: Uint8Array;
  try {
    if (a < 0) throw new RangeError("Unreadable");
    mem.check(a, Number(n), "read");
  } catch {
    // qemu's print_raw_param with its own comma, then the length's.
    return hex16(addr) + "," + tail;
  }
  try {
    // qemu prints from guest memory, past a short length too (up to the 16 bytes of a struct sockaddr).
    b = mem.readBytes(a, Math.max(Number(n), 16));
  } catch {
    b = mem.readBytes(a, Number(n));
  }
  const family = b[0] | (b[1] << 8);
  const at = (i: number) => b[i] ?? 0;
  switch (family) {
    case AF_UNIX: {
      let path = "";
      for (let i = 0; i < Number(n) - 2 && at(2 + i) !== 0; i++) path += String.fromCharCode(at(2 + i));
      return `{sun_family=AF_UNIX,sun_path="${path}"}` + tail;
    }
    case AF_INET:
      return `{sin_family=AF_INET,sin_port=htons(${(at(2) << 8) | at(3)}),sin_addr=inet_addr("${at(4)}.${at(5)}.${
        at(6)
      }.${at(7)}")}` + tail;
    case AF_NETLINK: {
      const v = new DataView(new Uint8Array(Array.from({ length: 12 }, (_, i) => at(i))).buffer);
      return `{nl_family=AF_NETLINK,nl_pid=${v.getUint32(4, true)},nl_groups=${v.getUint32(8, true)}}` + tail;
    }
    case 17: {
      const hx = (i: number) => at(i).toString(16).padStart(2, "0");
      const v = new DataView(new Uint8Array(Array.from({ length: 20 }, (_, i) => at(i))).buffer);
      const types = ["PACKET_HOST", "PACKET_BROADCAST", "PACKET_MULTICAST", "PACKET_OTHERHOST", "PACKET_OUTGOING"];
      const t = at(10);
      return `{sll_family=AF_PACKET,sll_protocol=htons(0x${((at(2) << 8) | at(3)).toString(16).padStart(4, "0")}),if${
        v.getInt32(4, true)
      },pkttype=${types[t] ?? t},sll_addr=${[12, 13, 14, 15, 16, 17, 18, 19].map(hx).join(":")}}` + tail;
    }
    default: {
      const data = Array.from({ length: 14 }, (_, i) => at(2 + i).toString(16).padStart(2, "0"));
      return `{sa_family=${family}, sa_data={${data.join(", ")}}}` + tail;
    }
  }
}
