/**
 * Dynamically linked programs under `-L`: Debian's riscv64 `lua5.4`,
 * `sqlite3` and `xz` (multi-threaded) with their libraries as sysroots,
 * and the project's own `tests/guest/bin/dyn` programs over a sysroot of
 * Debian's `libc6`. Each runs under `qemu-riscv64 -L` and plume `-L`;
 * stdout, stderr, exit status (and for file-writing runs the working
 * directory) must be identical.
 *
 * Sysroots come from `build/fetch_debian.sh --with-deps PKG` (into
 * `.cache/debian/PKG`); a test whose sysroot is missing is skipped and
 * says which command makes it.
 *
 * @module
 */

import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { differential, GUEST_BIN, plumeAvailable, qemuAvailable, ROOT } from "./harness.ts";
import { join } from "node:path";

/** The sysroot `fetch_debian.sh --with-deps PKG` made, or undefined. */
function sysroot(pkg: string): string | undefined {
  const dir = join(ROOT, ".cache", "debian", pkg);
  try {
    return Deno.readTextFileSync(join(dir, ".plume-fetched")).trim() === "with-deps" ? dir : undefined;
  } catch {
    return undefined;
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** One differential run under a sysroot. */
interface Case {
  /** Test name. */
  name: string;
  /** Package whose `--with-deps` sysroot is used. */
  pkg: string;
  /** Program (inside the sysroot when relative to it, or absolute) and arguments; `$DIR` is the working directory. */
  argv: (root: string) => string[];
  /** Exit status qemu must report. */
  status: number;
  /** Standard input. */
  stdin?: string | Uint8Array;
  /** Files written into the working directory first (a function makes the contents when first needed). */
  files?: Record<string, string | Uint8Array | (() => Uint8Array)>;
  /** Compare the working directory afterwards. */
  compareDir?: boolean;
  /** Extra check of qemu's output (so that both emulators cannot agree on nonsense). */
  expect?: (stdout: string, stderr: string) => void;
}

const LUA_SCRIPT = `-- Deterministic tour of the interpreter and its libraries.
local t = {}
for i = 1, 2000 do t[i] = (i * 7919) % 1009 end
table.sort(t)
print("sorted", t[1], t[1000], t[2000], #t)
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
print("fib", fib(24))
local co = coroutine.wrap(function(a) local b = coroutine.yield(a + 1); return b * 2 end)
print("coroutine", co(1), co(10))
print("format", string.format("%5.2f %d %s %q %x %g", math.pi, 42, "x", "a\\nb", 255, 1e300 * 10))
print("pack", #string.pack("i4i8d", 1, 2, 3.0), string.unpack("<i2", "\\1\\2"))
print("utf8", utf8.len("h\\u{e9}llo"), utf8.char(233, 8364))
print("int", 7 // 2, -7 // 2, 7 % -3, 1 << 62, math.maxinteger, math.mininteger // -1)
print("float", 0.1 + 0.2, 1/3, math.sqrt(2), math.floor(-2.5), 2^53 + 1.0)
math.randomseed(42)
local r = {} for i = 1, 5 do r[i] = math.random(1000) end
print("random", table.concat(r, ","))
print("gsub", ("hello world from lua"):gsub("(%w+)", "<%1>"))
local ok, err = pcall(function() error({code = 7}) end)
print("pcall", ok, type(err), err.code)
print("env", os.getenv("PLUME_LUA") or "unset")
local dir = arg[1]
local f = assert(io.open(dir .. "/data.txt", "w"))
for i = 1, 100 do f:write(i, "\\t", i * i, "\\n") end
f:close()
local sum = 0
for line in io.lines(dir .. "/data.txt") do local a, b = line:match("(%d+)\\t(%d+)"); sum = sum + tonumber(b) end
print("file", sum)
assert(os.rename(dir .. "/data.txt", dir .. "/renamed.txt"))
print("remove", os.remove(dir .. "/renamed.txt"), io.open(dir .. "/renamed.txt") == nil)
package.path = dir .. "/?.lua;" .. package.path
print("require", require("mod").answer)
local input = io.read("a")
print("stdin", #input, select(2, input:gsub("\\n", "")))
local big = {} for i = 1, 200000 do big[i] = tostring(i) end
print("big", #big, big[199999])
print("clock", os.clock() >= 0, os.time() > 1600000000, os.date("!%Y-%m-%d %H:%M", 86400 * 365))
`;

const SQL = `create table t(id integer primary key, name text, v real);
with recursive c(x) as (select 1 union all select x+1 from c where x < 2000)
  insert into t select x, 'n' || (x * 7919 % 1000), x * 1.5 from c;
create index ti on t(name);
select count(*), sum(v), avg(id), min(name), max(name) from t;
select name, count(*) from t group by name order by count(*) desc, name limit 5;
begin; update t set v = v * 2 where id % 3 = 0; commit;
select sum(v) from t;
create table u(k text primary key, t_id int references t(id));
insert into u select 'k' || id, id from t where id % 100 = 0;
select count(*), sum(t.v) from u join t on t.id = u.t_id;
select json_object('a', 1, 'b', json_array(1, 2, 3));
select printf('%.3f|%5d|%s', 3.14159, 42, 'x');
.tables
.schema t
.mode csv
select * from t where id < 4;
.mode box
select id, name from t where id between 10 and 12;
`;

/** 300 KB of text that compresses into several xz blocks, for two threads. */
const XZ_INPUT = (() => {
  const words = ["plume", "riscv", "thread", "futex", "signal", "qemu", "block", "region"];
  let s = 12345, out = "";
  while (out.length < 300_000) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out += words[s % words.length] + (s & 0x100 ? "\n" : " ") + (s % 977);
  }
  return out;
})();

let xzBytes: Uint8Array | undefined;

/** {@link XZ_INPUT} compressed in 64 KiB blocks by Debian's xz under qemu (the oracle), made once. */
function xzFixture(): Uint8Array {
  if (xzBytes === undefined) {
    const root = sysroot("xz-utils")!;
    const input = Deno.makeTempFileSync({ prefix: "plume-xz-" });
    Deno.writeTextFileSync(input, XZ_INPUT);
    const out = new Deno.Command("qemu-riscv64", {
      args: ["-L", root, `${root}/usr/bin/xz`, "--block-size=65536", "-T2", "-c", input],
      stderr: "inherit",
    }).outputSync();
    Deno.removeSync(input);
    if (!out.success) throw new Error("xz under qemu-riscv64 failed to make the fixture");
    xzBytes = out.stdout;
  }
  return xzBytes;
}

const CASES: Case[] = [
  {
    name: "lua5.4 -e print(1)",
    pkg: "lua5.4",
    argv: (r) => [`${r}/usr/bin/lua5.4`, "-e", "print(1)"],
    status: 0,
    expect: (out) => assertEquals(out, "1\n"),
  },
  {
    name: "lua5.4 script (tables, coroutines, string library, files, require, stdin)",
    pkg: "lua5.4",
    argv: (r) => [`${r}/usr/bin/lua5.4`, "test.lua", "$DIR"],
    status: 0,
    files: { "test.lua": LUA_SCRIPT, "mod.lua": "return { answer = 42 }\n" },
    stdin: "line1\nline2\nline3\n",
    compareDir: true,
    expect: (out) => {
      assertStringIncludes(out, "fib\t46368\n");
      assertStringIncludes(out, "file\t338350\n");
      assertStringIncludes(out, "stdin\t18\t3\n");
    },
  },
  {
    name: "lua5.4 uncaught error: message and traceback on stderr, status 1",
    pkg: "lua5.4",
    argv: (r) => [`${r}/usr/bin/lua5.4`, "-e", "local function f() error('boom') end f()"],
    status: 1,
    expect: (_out, err) => assertStringIncludes(err, "boom"),
  },
  {
    name: "lua5.4 reads its program from stdin",
    pkg: "lua5.4",
    argv: (r) => [`${r}/usr/bin/lua5.4`, "-"],
    stdin: "for i = 1, 3 do io.write(i, ' ') end print(#arg)\n",
    status: 0,
    expect: (out) => assertEquals(out, "1 2 3 0\n"),
  },
  {
    name: "sqlite3 queries on a database file",
    pkg: "sqlite3",
    argv: (r) => [`${r}/usr/bin/sqlite3`, "test.db"],
    stdin: SQL,
    status: 0,
    compareDir: true,
    expect: (out) => assertStringIncludes(out, "2000|3001500.0|1000.5|n0|n999\n"),
  },
  {
    name: "sqlite3 reopens the database and reports an error",
    pkg: "sqlite3",
    argv: (r) => [`${r}/usr/bin/sqlite3`, "-bail", "test.db"],
    files: {},
    stdin: "create table a(x); insert into a values (1), (2);\nselect * from nonexistent;\nselect 1;\n",
    status: 1,
    compareDir: true,
    expect: (_out, err) => assertStringIncludes(err, "no such table: nonexistent"),
  },
  {
    name: "xz -T2 compresses in blocks on two threads",
    pkg: "xz-utils",
    argv: (r) => [`${r}/usr/bin/xz`, "-T2", "--block-size=65536", "-6", "-c", "in.txt"],
    files: { "in.txt": XZ_INPUT },
    status: 0,
    expect: (out) => assert(out.slice(1, 6) === "7zXZ\0", "xz magic"),
  },
  {
    name: "xz -T2 -k writes the compressed file",
    pkg: "xz-utils",
    argv: (r) => [`${r}/usr/bin/xz`, "-T2", "--block-size=65536", "-k", "in.txt"],
    files: { "in.txt": XZ_INPUT },
    status: 0,
    compareDir: true,
  },
  {
    name: "xz -d -T2 decompresses blocks on two threads, xz -l lists them",
    pkg: "xz-utils",
    argv: (r) => [`${r}/usr/bin/xz`, "-d", "-T2", "-c", "in.txt.xz"],
    files: { "in.txt.xz": () => xzFixture() },
    status: 0,
    expect: (out) => assert(out === XZ_INPUT, "decompressed text"),
  },
  {
    name: "xz -l lists the blocks of a multi-block file",
    pkg: "xz-utils",
    argv: (r) => [`${r}/usr/bin/xz`, "-l", "--verbose", "in.txt.xz"],
    files: { "in.txt.xz": () => xzFixture() },
    status: 0,
    expect: (out) => assertStringIncludes(out, "Blocks:"),
  },
];

/** The project's dynamically linked programs over Debian's libc6. */
const OWN_CASES: { args: string[]; status: number }[] = [
  { args: ["dynamic"], status: 0 },
  { args: ["threads"], status: 0 },
  { args: ["threads", "exit"], status: 3 },
  { args: ["signals"], status: 0 },
  { args: ["signals", "term"], status: 143 },
  { args: ["execve", "errors", "$DIR"], status: 0 },
  { args: ["fork"], status: 0 },
];

const skipReason = !qemuAvailable() ? "qemu-riscv64 not installed" : !plumeAvailable() ? "main.ts not present" : "";

for (const c of CASES) {
  const root = sysroot(c.pkg);
  const why = skipReason || (root ? "" : `no sysroot: build/fetch_debian.sh --with-deps ${c.pkg}`);
  Deno.test({
    name: why ? `${c.name} (skipped: ${why})` : c.name,
    ignore: why !== "",
    async fn() {
      const argv = c.argv(root!);
      const qemu = await differential(c.name, argv, {
        flags: ["-L", root!],
        // Debian's programs run as users run them, JIT warm-up included (the other suites compile eagerly).
        warmup: true,
        stdin: typeof c.stdin === "string" ? enc.encode(c.stdin) : c.stdin,
        compareDir: c.compareDir,
        setup: (dir) => {
          for (const [name, body] of Object.entries(c.files ?? {})) {
            const bytes = typeof body === "string" ? enc.encode(body) : typeof body === "function" ? body() : body;
            Deno.writeFileSync(join(dir, name), bytes);
          }
        },
      });
      assertEquals(qemu.status, c.status, `qemu-riscv64 exit status of ${c.name}`);
      c.expect?.(dec.decode(qemu.stdout), dec.decode(qemu.stderr));
    },
  });
}

for (const c of OWN_CASES) {
  const root = sysroot("libc6");
  const name = `dyn/${c.args.join(" ")}`;
  const why = skipReason || (root ? "" : "no sysroot: build/fetch_debian.sh --with-deps libc6");
  Deno.test({
    name: why ? `${name} (skipped: ${why})` : name,
    ignore: why !== "",
    async fn() {
      const qemu = await differential(name, [join(GUEST_BIN, "dyn", c.args[0]), ...c.args.slice(1)], {
        flags: ["-L", root!],
      });
      assertEquals(qemu.status, c.status, `qemu-riscv64 exit status of ${name}`);
    },
  });
}
