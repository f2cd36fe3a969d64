/**
 * Python's networking under plume, against qemu-riscv64: Debian's riscv64
 * `python3.13` (a `-L` sysroot made by `build/fetch_debian.sh --with-deps
 * python3.13`) runs `python3 -m http.server` on a port the guest's kernel
 * picks, bound to 127.0.0.1, and a host client fetches from it; and a
 * guest script uses `urllib.request` against a server in this test
 * process. No fixed ports: the guest server binds port 0 and prints the
 * one it got, the host server listens on port 0.
 *
 * Python compiles its standard library to bytecode on first import, which
 * under an emulator takes minutes; every run here shares one temporary
 * `PYTHONPYCACHEPREFIX`, and qemu-riscv64 (where installed) runs first, so
 * plume imports from its cached bytecode (which is the same whatever runs
 * it). Each direction runs Python once under plume.
 *
 * @module
 */

import { assert, assertEquals } from "./assert.ts";
import {
  guestEnv,
  plumeAvailable,
  plumeTaskFlags,
  qemuAvailable,
  ROOT,
  type RunOptions,
  runPlume,
  runQemu,
  type RunResult,
  tempDir,
} from "./harness.ts";
import { join } from "node:path";

const dec = new TextDecoder();
const SYSROOT = join(ROOT, ".cache", "debian", "python3.13");
const PYTHON = join(SYSROOT, "usr", "bin", "python3.13");

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

const missing = !plumeAvailable()
  ? " (skipped: main.ts not present)"
  : !isFile(PYTHON)
  ? " (skipped: no python3.13 sysroot; build/fetch_debian.sh --with-deps python3.13)"
  : "";

/** The bytecode cache every run shares (made once, removed with the test's temporary directories). */
let pycache: string | undefined;
async function pythonEnv(home: string): Promise<Record<string, string>> {
  pycache ??= await tempDir("plume-pycache-");
  return guestEnv(home, { PYTHONPYCACHEPREFIX: pycache });
}

/** Most time one Python run under plume may take (its start-up alone is ~10 s; more on a loaded machine). */
const PLUME_MS = 240_000;

/** Deterministic bytes of length `n` (several socket buffers' worth, so that sends and receives are partial). */
function pattern(n: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(n).map((_, i) => (i * 2654435761) >>> 24);
}

/** What a run of the guest server gave: the host client's results and the server's output, ports masked. */
interface Served {
  fetched: string;
  stdout: string;
  stderr: string[];
  status: number;
}

/**
 * Starts `python3 -m http.server 0 --bind 127.0.0.1` under `emulator` (a
 * command line ending with the emulator's options), waits for the line
 * naming its port, fetches a file, a large file and a missing one with the
 * host's `fetch`, and ends the server with SIGINT as Ctrl-C would.
 */
async function serve(emulator: string[], label: string, timeoutMs: number): Promise<Served> {
  const dir = await tempDir("plume-pyserver-");
  const www = join(dir, "www");
  Deno.mkdirSync(www);
  Deno.writeTextFileSync(join(www, "hello.txt"), "hello from the guest's http.server\n");
  const big = pattern(300_000);
  Deno.writeFileSync(join(www, "big.bin"), big);
  const child = new Deno.Command(emulator[0], {
    args: [...emulator.slice(1), "-L", SYSROOT, PYTHON, "-u", "-S", "-m", "http.server", "0"].concat(
      ["--bind", "127.0.0.1", "--directory", www],
    ),
    cwd: dir,
    env: await pythonEnv(dir),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const killer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.getReader();
  let stdout = "";
  try {
    // "Serving HTTP on 127.0.0.1 port N (http://127.0.0.1:N/) ..."
    let port: string | undefined;
    while (port === undefined) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`${label}: the server ended before it served: ${stdout} ${await stderr}`);
      stdout += dec.decode(value);
      port = /port (\d+) /.exec(stdout)?.[1];
    }
    const url = `http://127.0.0.1:${port}`;
    const get = (path: string) => fetch(`${url}${path}`, { signal: AbortSignal.timeout(60_000) });
    const hello = await get("/hello.txt");
    const helloText = await hello.text();
    const b = await get("/big.bin");
    const got = new Uint8Array(await b.arrayBuffer());
    const sameBig = got.length === big.length && got.every((v, i) => v === big[i]);
    const none = await get("/missing");
    await none.body?.cancel();
    const fetched = `hello: ${hello.status} ${hello.headers.get("content-type")} ${helloText}` +
      `big: ${b.status} ${got.length} same ${sameBig}\nmissing: ${none.status}\n`;
    child.kill("SIGINT");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += dec.decode(value);
    }
    const { code } = await child.status;
    const mask = (s: string) => s.replaceAll(port!, "PORT");
    // Log lines: "127.0.0.1 - - [date] "GET /hello.txt HTTP/1.1" 200 -", the date left out.
    const lines = (await stderr).split("\n").filter((l) => l !== "").map((l) => mask(l.replace(/\[[^\]]*\] /, "")));
    return { fetched, stdout: mask(stdout), stderr: lines, status: code };
  } finally {
    clearTimeout(killer);
    try {
      child.kill("SIGKILL");
    } catch { /* ended already */ }
    await child.status;
    await stderr.catch(() => {});
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});
  }
}

Deno.test(`python3 -m http.server under plume serves the host's fetch as under qemu-riscv64${missing}`, {
  ignore: missing !== "",
}, async () => {
  const plumeArgs = [
    Deno.execPath(),
    "run",
    ...plumeTaskFlags(Deno.readTextFileSync(join(ROOT, "deno.json"))),
    `--config=${join(ROOT, "deno.json")}`,
    join(ROOT, "main.ts"),
  ];
  const oracle = qemuAvailable() ? await serve(["qemu-riscv64"], "qemu", 120_000) : undefined;
  const p = await serve(plumeArgs, "plume", PLUME_MS);
  assertEquals(
    p.fetched,
    "hello: 200 text/plain hello from the guest's http.server\nbig: 200 300000 same true\nmissing: 404\n",
  );
  assertEquals(p.status, 0, p.stderr.join("\n"));
  assert(p.stdout.startsWith("Serving HTTP on 127.0.0.1 port PORT (http://127.0.0.1:PORT/) ...\n"), p.stdout);
  assert(p.stdout.endsWith("Keyboard interrupt received, exiting.\n"), p.stdout);
  assertEquals(p.stderr, [
    '127.0.0.1 - - "GET /hello.txt HTTP/1.1" 200 -',
    '127.0.0.1 - - "GET /big.bin HTTP/1.1" 200 -',
    "127.0.0.1 - - code 404, message File not found",
    '127.0.0.1 - - "GET /missing HTTP/1.1" 404 -',
  ]);
  if (oracle) assertEquals(p, oracle);
});

/** The guest's client: a GET of text and of a large body, a POST, and a 404, each on one line. */
const CLIENT = `import hashlib, sys, urllib.error, urllib.request
base = sys.argv[1]
with urllib.request.urlopen(base + "/text", timeout=60) as r:
    print("text:", r.status, r.headers.get_content_type(), r.headers["X-Plume"], r.read().decode(), end="")
with urllib.request.urlopen(base + "/big", timeout=60) as r:
    body = r.read()
    print("big:", r.status, len(body), hashlib.sha256(body).hexdigest())
data = bytes(range(256)) * 1000
req = urllib.request.Request(base + "/echo", data=data, method="POST")
with urllib.request.urlopen(req, timeout=60) as r:
    print("post:", r.status, r.read().decode())
try:
    urllib.request.urlopen(base + "/missing", timeout=60)
except urllib.error.HTTPError as e:
    print("missing:", e.code, e.reason)
`;

Deno.test(`python urllib.request under plume talks to a host server as under qemu-riscv64${missing}`, {
  ignore: missing !== "",
}, async () => {
  const big = pattern(500_000);
  const bigHash = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", big)))
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (req.method === "GET" && path === "/text") {
      return new Response("from the host\n", { headers: { "content-type": "text/plain", "x-plume": "yes" } });
    }
    if (req.method === "GET" && path === "/big") return new Response(big);
    if (req.method === "POST" && path === "/echo") {
      const body = new Uint8Array(await req.arrayBuffer());
      const sum = body.reduce((a, v) => (a * 31 + v) >>> 0, 0);
      return new Response(`${body.length} bytes, sum ${sum}`);
    }
    return new Response("no such thing\n", { status: 404, statusText: "Not Found" });
  });
  try {
    const dir = await tempDir("plume-pyclient-");
    Deno.writeTextFileSync(join(dir, "client.py"), CLIENT);
    const argv = [PYTHON, "-S", join(dir, "client.py"), `http://127.0.0.1:${server.addr.port}`];
    const opts: RunOptions = { cwd: dir, env: await pythonEnv(dir), flags: ["-L", SYSROOT] };
    const oracle: RunResult | undefined = qemuAvailable() ? await runQemu(argv, opts) : undefined;
    // plume as users run it (its JIT's warm-up and WebAssembly policy): Python's start-up is what takes time here.
    const p = await runPlume(argv, { ...opts, warmup: true, timeoutMs: PLUME_MS });
    const data = new Uint8Array(256_000).map((_, i) => i & 255);
    const sum = data.reduce((a, v) => (a * 31 + v) >>> 0, 0);
    assertEquals(
      dec.decode(p.stdout),
      `text: 200 text/plain yes from the host\nbig: 200 500000 ${bigHash}\npost: 200 256000 bytes, sum ${sum}\n` +
        "missing: 404 Not Found\n",
      dec.decode(p.stderr),
    );
    assertEquals([p.status, dec.decode(p.stderr)], [0, ""]);
    if (oracle) assertEquals([dec.decode(p.stdout), p.status], [dec.decode(oracle.stdout), oracle.status]);
  } finally {
    await server.shutdown();
  }
});
