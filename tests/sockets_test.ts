/**
 * Sockets against qemu-riscv64: the project's own `sockets` program (TCP
 * over IPv4 and IPv6, UDP, unix stream and datagram sockets, socketpair,
 * SCM_RIGHTS, non-blocking calls, poll/select/epoll readiness, options,
 * errors) prints the same under both emulators, and its socket calls print
 * the same `-strace` lines; Debian's busybox `nc` client and server, and
 * `httpd` serving `wget`, talk to each other on localhost under each
 * emulator with the same results.
 *
 * Each run of a server and its client uses a port free on the host at that
 * moment (the host picks it); runs print no port numbers, and the `-strace`
 * comparison masks them.
 *
 * @module
 */

import { assert, assertEquals } from "./assert.ts";
import {
  busyboxPath,
  differential,
  GUEST_BIN,
  guestEnv,
  plumeAvailable,
  qemuAvailable,
  type RunOptions,
  runPlume,
  runQemu,
  type RunResult,
  tempDir,
} from "./harness.ts";
import { join } from "node:path";

const dec = new TextDecoder();
const enc = new TextEncoder();
const SOCKETS = join(GUEST_BIN, "sockets");
const BUSYBOX = busyboxPath();
const missing = !qemuAvailable() ? " (skipped: qemu-riscv64 not found)" : "";
const ignore = !qemuAvailable() || !plumeAvailable();
const bbMissing = missing || (BUSYBOX ? "" : " (skipped: busybox not found; build/fetch_debian.sh busybox-static)");

Deno.test(`sockets: the sockets program prints what it prints under qemu-riscv64${missing}`, { ignore }, async () => {
  const r = await differential("sockets", [SOCKETS]);
  const out = dec.decode(r.stdout);
  // The oracle itself: a few facts known without it.
  assert(out.includes("tcp4 server read 14 bytes: hello over tcp\n"), out);
  assert(out.includes("scm pipe carries 7 bytes: via scm\n"), out);
  assert(out.endsWith("done\n"), out);
});

/** The socket calls' `-strace` lines, with ports, addresses and pids masked (they differ from run to run). */
function socketCalls(stderr: Uint8Array): string[] {
  const names = new Set([
    "socket",
    "socketpair",
    "bind",
    "listen",
    "accept",
    "accept4",
    "connect",
    "getsockname",
    "getpeername",
    "sendto",
    "recvfrom",
    "setsockopt",
    "getsockopt",
    "shutdown",
    "sendmsg",
    "recvmsg",
    "sendmmsg",
    "recvmmsg",
  ]);
  return dec.decode(stderr).split("\n").map((l) => l.replace(/^\d+ /, "")).filter((l) =>
    names.has(l.slice(0, l.indexOf("(")))
  ).map((l) =>
    l.replace(/htons\(\d+\)/g, "htons(P)")
      // Stack addresses differ between the emulators (qemu's stack is near 2^38, plume's below 2^31).
      .replace(/0x[0-9a-f]{6,}/g, "ADDR").replace(/\b\d{7,}\b/g, "N")
  );
}

Deno.test(`sockets: -strace lines of socket calls equal qemu-riscv64's${missing}`, { ignore }, async () => {
  const dir = await tempDir("plume-sockets-strace-");
  const opts: RunOptions = { cwd: dir, env: guestEnv(dir), flags: ["-strace"] };
  const q = await runQemu([SOCKETS, "nofork"], opts);
  const p = await runPlume([SOCKETS, "nofork"], opts);
  assertEquals(p.status, q.status);
  assertEquals(dec.decode(p.stdout), dec.decode(q.stdout));
  const qc = socketCalls(q.stderr), pc = socketCalls(p.stderr);
  assert(qc.length > 50, `qemu printed ${qc.length} socket calls`);
  assertEquals(pc, qc);
});

/** A port nothing listens on now (the host's pick). */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** The inode of the socket listening on `port` (IPv4 or IPv6, any local address), from the host's tables. */
function listenerInode(port: number): string | undefined {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  const rows = ["/proc/net/tcp", "/proc/net/tcp6"].flatMap((t) => {
    try {
      return Deno.readTextFileSync(t).split("\n");
    } catch {
      return [];
    }
  });
  return rows.map((l) => l.trim().split(/\s+/)).find((f) => f[1]?.endsWith(`:${hex}`) && f[3] === "0A")?.[9];
}

/** True once a socket listens on `port` (read from the host's table: a probe connection would be the server's one). */
function listening(port: number): boolean {
  return listenerInode(port) !== undefined;
}

async function waitListening(port: number, server: Promise<RunResult>): Promise<void> {
  let ended = false;
  server.finally(() => ended = true);
  for (let i = 0; i < 600 && !ended; i++) {
    if (listening(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!ended) throw new Error(`Nothing listens on port ${port} after 30 s`);
}

type Run = (argv: string[], opts?: RunOptions) => Promise<RunResult>;

/**
 * busybox `nc -l` and busybox `nc` under `run`, each sending what its
 * stdin holds: their outputs and statuses. busybox nc exits as soon as the
 * network side ends, so each side's data fits in one read of its stdin
 * (nc's buffer is larger than 1 KiB): it is sent before the peer's end can
 * be seen.
 */
async function ncSession(run: Run): Promise<string> {
  const dir = await tempDir("plume-nc-");
  const opts: RunOptions = { cwd: dir, env: guestEnv(dir), timeoutMs: 60_000 };
  const port = freePort();
  const request = Array.from({ length: 20 }, (_, i) => `line ${i} the client sends\n`).join("");
  const reply = "the server's reply\n";
  const server = run([BUSYBOX!, "nc", "-l", "-p", String(port)], { ...opts, stdin: enc.encode(reply) });
  await waitListening(port, server);
  const client = await run([BUSYBOX!, "nc", "127.0.0.1", String(port)], { ...opts, stdin: enc.encode(request) });
  const s = await server;
  assertEquals(dec.decode(s.stdout), request);
  assertEquals(dec.decode(client.stdout), reply);
  return `server: ${s.status} ${dec.decode(s.stdout)} ${dec.decode(s.stderr)}\n` +
    `client: ${client.status} ${dec.decode(client.stdout)} ${dec.decode(client.stderr)}`;
}

Deno.test(`sockets: busybox nc server and client as under qemu-riscv64${bbMissing}`, {
  ignore: ignore || !BUSYBOX,
}, async () => {
  assertEquals(await ncSession(runPlume), await ncSession(runQemu));
});

/** busybox `httpd` serving three requests of busybox `wget`, all under `run`. */
async function httpSession(run: Run): Promise<string> {
  const dir = await tempDir("plume-httpd-");
  const www = join(dir, "www");
  Deno.mkdirSync(www);
  Deno.writeTextFileSync(join(www, "index.html"), "<p>served by busybox httpd</p>\n");
  const big = new Uint8Array(300_000).map((_, i) => (i * 2654435761) >>> 24);
  Deno.writeFileSync(join(www, "big.bin"), big);
  const opts: RunOptions = { cwd: dir, env: guestEnv(dir), timeoutMs: 60_000 };
  const port = freePort();
  // httpd -f runs until killed (killListener below); its result is not compared.
  const server = run([BUSYBOX!, "httpd", "-f", "-p", `127.0.0.1:${port}`, "-h", www], { ...opts, timeoutMs: 90_000 });
  await waitListening(port, server);
  const url = `http://127.0.0.1:${port}`;
  const results: string[] = [];
  try {
    const a = await run([BUSYBOX!, "wget", "-q", "-O", "-", `${url}/index.html`], opts);
    results.push(`index: ${a.status} ${dec.decode(a.stdout)}`);
    const b = await run([BUSYBOX!, "wget", "-q", "-O", "big.out", `${url}/big.bin`], opts);
    const got = Deno.readFileSync(join(dir, "big.out"));
    results.push(`big: ${b.status} ${got.length} same ${got.every((v, i) => v === big[i])}`);
    const c = await run([BUSYBOX!, "wget", "-O", "-", `${url}/missing`], opts);
    // wget names the port in its progress line.
    results.push(`missing: ${c.status} ${dec.decode(c.stderr).replaceAll(String(port), "PORT")}`);
  } finally {
    killListener(port);
    await server.catch(() => {});
  }
  return results.join("\n");
}

/** Ends the server listening on `port` (the emulator running it), found through the host's socket table. */
function killListener(port: number): void {
  const inode = listenerInode(port);
  if (inode === undefined) return;
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      for (const fd of Deno.readDirSync(`/proc/${e.name}/fd`)) {
        if (Deno.readLinkSync(`/proc/${e.name}/fd/${fd.name}`) === `socket:[${inode}]`) {
          Deno.kill(Number(e.name), "SIGTERM");
          return;
        }
      }
    } catch {
      // A process that ended meanwhile, or one not ours.
    }
  }
}

Deno.test(`sockets: busybox httpd serves busybox wget as under qemu-riscv64${bbMissing}`, {
  ignore: ignore || !BUSYBOX,
}, async () => {
  const q = await httpSession(runQemu);
  assert(q.includes("big: 0 300000 same true"), q);
  assertEquals(await httpSession(runPlume), q);
});
