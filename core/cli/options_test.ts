import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { parseOptions, parsePluginSpec, UsageError } from "./options.ts";

Deno.test("parseOptions stops at the program and passes the rest to the guest", () => {
  const o = parseOptions(["-strace", "-d", "in_asm,unimp", "prog", "-strace", "x"], {});
  assertEquals(o.program, "prog");
  assertEquals(o.args, ["-strace", "x"]);
  assertEquals(o.strace, true);
  assertEquals([...o.logItems], ["in_asm", "unimp"]);
});

Deno.test("parseOptions reads -E/-U lists, -0, -L, -D, -seed, -one-insn-per-tb and -jit-warmup", () => {
  const o = parseOptions(
    [
      "-E",
      "A=1,B=x=y",
      "-E",
      "C=",
      "-U",
      "X,Y",
      "-0",
      "name",
      "-L",
      "/sys",
      "-D",
      "log",
      "-seed",
      "42",
      "-one-insn-per-tb",
      "-jit-warmup",
      "0",
      "p",
    ],
    {},
  );
  assertEquals(o.envChanges, [["A", "1"], ["B", "x=y"], ["C", ""], ["X", undefined], ["Y", undefined]]);
  assertEquals(o.argv0, "name");
  assertEquals(o.sysroot, "/sys");
  assertEquals(o.logFile, "log");
  assertEquals(o.seed, 42);
  assertEquals(o.oneInsnPerTb, true);
  assertEquals(o.jitWarmupMs, 0);
  assertEquals(parseOptions(["p"], {}).jitWarmupMs, undefined);
});

Deno.test("parseOptions takes QEMU_* environment variables, the command line winning", () => {
  const o = parseOptions(["-L", "/cli", "p"], { QEMU_LD_PREFIX: "/env", QEMU_STRACE: "1", QEMU_SET_ENV: "A=1" });
  assertEquals(o.sysroot, "/cli");
  assertEquals(o.strace, true);
  assertEquals(o.envChanges, [["A", "1"]]);
});

Deno.test("parseOptions takes -g PORT or a socket path, and QEMU_GDB", () => {
  assertEquals(parseOptions(["p"], {}).gdb, undefined);
  assertEquals(parseOptions(["-g", "1234", "p"], {}).gdb, "1234");
  assertEquals(parseOptions(["-g", "/tmp/gdb.sock", "p"], {}).gdb, "/tmp/gdb.sock");
  assertEquals(parseOptions(["p"], { QEMU_GDB: "4321" }).gdb, "4321");
  assertEquals(parseOptions(["-g", "1234", "p"], { QEMU_GDB: "4321" }).gdb, "1234");
  assertThrows(() => parseOptions(["-g", "", "p"], {}), UsageError, "Invalid gdb port or path ''");
});

Deno.test("parseOptions rejects bad input with one clear message", () => {
  const cases: [string[], string][] = [
    [["-bogus", "p"], "Unknown option '-bogus'"],
    [["-L"], "Missing argument for option '-L'"],
    [[], "No program specified"],
    [["-d", "nonsense", "p"], "Unknown log item 'nonsense'"],
    [["-seed", "abc", "p"], "Invalid seed number 'abc'"],
    [["-jit-warmup", "-5", "p"], "Invalid JIT warm-up '-5'"],
    [["-E", "=x", "p"], "Invalid environment assignment '=x'"],
    [["-s", "12q", "p"], "Invalid stack size '12q'"],
    [["-cpu", "sifive-u54", "p"], "Unable to find CPU definition 'sifive-u54'"],
    [["-cpu", "rv64,zfoo=on", "p"], "Unknown CPU property 'zfoo'"],
    [["-cpu", "rv64,zba=maybe", "p"], "Invalid value 'maybe' for CPU property 'zba'"],
    [["-cpu", "rv64,Zba=off", "p"], "Unknown CPU property 'Zba'"],
    [["-cpu", "rv64,zba", "p"], "Expected key=value format in -cpu, found 'zba'"],
    [["demo", "extra"], "Unexpected argument 'extra' after 'demo'"],
  ];
  for (const [argv, msg] of cases) assertThrows(() => parseOptions(argv, {}), UsageError, msg);
});

Deno.test("parseOptions takes -cpu as qemu-riscv64: its 7.2 default extensions, max, and toggles", () => {
  assertEquals([...parseOptions(["p"], {}).extensions], ["zba", "zbb", "zbc", "zbs"]);
  assertEquals([...parseOptions(["-cpu", "any", "p"], {}).extensions], ["zba", "zbb", "zbc", "zbs"]);
  assertEquals([...parseOptions(["-cpu", "max", "p"], {}).extensions], [
    "zba",
    "zbb",
    "zbc",
    "zbs",
    "zicond",
    "zicboz",
    "zimop",
    "zawrs",
    "v",
    "zvbb",
    "zfhmin",
    "zfh",
    "zfa",
    "zcmop",
    "zcb",
    "zvfhmin",
    "zvfh",
  ]);
  assertEquals([...parseOptions(["-cpu", "rv64,zba=false,zicond=true", "p"], {}).extensions], [
    "zbb",
    "zbc",
    "zbs",
    "zicond",
  ]);
  // rv64 (QEMU 7.2's) has no V; a toggle adds it. max has it, and Zvbb.
  assertEquals([...parseOptions(["-cpu", "rv64,v=on", "p"], {}).extensions], ["zba", "zbb", "zbc", "zbs", "v"]);
  assertEquals(
    parseOptions(["-cpu", "max,v=false,zvbb=false,zvfhmin=false,zvfh=false", "p"], {}).extensions.has("v"),
    false,
  );
  // Zvbb needs V, as QEMU 10 says (`-cpu rv64,zvbb=true` exits with this message).
  assertEquals([...parseOptions(["-cpu", "rv64,v=on,zvbb=on", "p"], {}).extensions].slice(-2), ["v", "zvbb"]);
  assertThrows(() => parseOptions(["-cpu", "max,v=off", "p"], {}), UsageError, "require V");
  assertThrows(
    () => parseOptions(["-cpu", "rv64,zvbb=on", "p"], {}),
    UsageError,
    "Vector crypto extensions require V or Zve* extensions",
  );
  // Zvfhmin has no instruction of its own; it needs V (QEMU 10's message names the subset Zve32f, which V has).
  assertEquals([...parseOptions(["-cpu", "rv64,v=on,zvfhmin=on", "p"], {}).extensions].slice(-2), ["v", "zvfhmin"]);
  assertEquals(parseOptions(["-cpu", "rva23u64", "p"], {}).extensions.has("zvfhmin"), true);
  assertThrows(
    () => parseOptions(["-cpu", "rva23u64,v=off,zvbb=off", "p"], {}),
    UsageError,
    "Zvfh/Zvfhmin extensions require Zve32f extension",
  );
  // Zvfh implies Zvfhmin (unless turned off: QEMU 10 keeps Zvfh then) and Zfhmin, which may not be turned off.
  assertEquals([...parseOptions(["-cpu", "rv64,v=on,zvfh=on", "p"], {}).extensions].slice(-4), [
    "v",
    "zfhmin",
    "zvfhmin",
    "zvfh",
  ]);
  assertEquals([...parseOptions(["-cpu", "rv64,v=on,zvfh=on,zvfhmin=off", "p"], {}).extensions].slice(-3), [
    "v",
    "zfhmin",
    "zvfh",
  ]);
  assertThrows(
    () => parseOptions(["-cpu", "max,zfhmin=off", "p"], {}),
    UsageError,
    "Zvfh extensions requires Zfhmin extension",
  );
  assertThrows(
    () => parseOptions(["-cpu", "rv64,zvfh=on", "p"], {}),
    UsageError,
    "Zvfh/Zvfhmin extensions require Zve32f extension",
  );
  assertEquals([...parseOptions(["p"], { QEMU_CPU: "max,zbc=off" }).extensions], [
    "zba",
    "zbb",
    "zbs",
    "zicond",
    "zicboz",
    "zimop",
    "zawrs",
    "v",
    "zvbb",
    "zfhmin",
    "zfh",
    "zfa",
    "zcmop",
    "zcb",
    "zvfhmin",
    "zvfh",
  ]);
  // Zfh implies Zfhmin; turning Zfhmin off takes Zfh with it (as QEMU 10: neither fadd.h nor fcvt.s.h runs).
  assertEquals([...parseOptions(["-cpu", "rv64,zfh=on", "p"], {}).extensions], [
    "zba",
    "zbb",
    "zbc",
    "zbs",
    "zfhmin",
    "zfh",
  ]);
  assertEquals([...parseOptions(["-cpu", "rv64,zfhmin=on", "p"], {}).extensions], [
    "zba",
    "zbb",
    "zbc",
    "zbs",
    "zfhmin",
  ]);
  assertEquals([...parseOptions(["-cpu", "rv64,zfh=on,zfhmin=off", "p"], {}).extensions], ["zba", "zbb", "zbc", "zbs"]);
  assertEquals([...parseOptions(["-cpu", "max,zfh=off", "p"], {}).extensions].includes("zfhmin"), true);
  // Zfa stays on without Zfh (only its half-precision forms need Zfh); QEMU 7.2's rv64 has no Zfa.
  assertEquals([...parseOptions(["-cpu", "max,zfh=off", "p"], {}).extensions].includes("zfa"), true);
  assertEquals([...parseOptions(["-cpu", "rv64,zfa=on", "p"], {}).extensions], ["zba", "zbb", "zbc", "zbs", "zfa"]);
});

Deno.test("parseOptions recognises help, version and commands", () => {
  assertEquals(parseOptions(["-h"], {}).command, "help");
  assertEquals(parseOptions(["-version"], {}).command, "version");
  assertEquals(parseOptions(["-d", "help"], {}).command, "log-help");
  assertEquals(parseOptions(["demo"], {}).command, "demo");
  assertEquals(parseOptions(["plugins"], {}).command, "plugins");
  assertEquals(parseOptions(["-plugin", "help"], {}).command, "plugin-help");
});

Deno.test("parsePluginSpec accepts QEMU's file= and arg= forms", () => {
  assertEquals(parsePluginSpec("insn"), { file: "insn", args: [], allow: [] });
  assertEquals(parsePluginSpec("file=./p.ts,inline=on,arg=x"), { file: "./p.ts", args: ["inline=on", "x"], allow: [] });
  assertThrows(() => parsePluginSpec(",a=1"), UsageError, "Missing plugin file");
});

Deno.test("parseOptions attaches -plugin-allow grants to the preceding plugin, apart from its arguments", () => {
  const o = parseOptions(
    [
      "-plugin",
      "./a.ts,write=x",
      "-plugin-allow",
      "write=/tmp/out.txt",
      "-plugin-allow",
      "unix=peer.sock",
      "-plugin",
      "insn",
      "-plugin-watchdog",
      "2",
      "p",
    ],
    {},
  );
  assertEquals(o.plugins[0], { file: "./a.ts", args: ["write=x"], allow: ["write=/tmp/out.txt", "unix=peer.sock"] });
  assertEquals(o.plugins[1].allow, []);
  assertEquals(o.pluginWatchdog, 2);
  assertEquals(parseOptions(["p"], {}).pluginWatchdog, 10);
  assertEquals([o.pluginMemory, o.pluginErrors], [512, "unload"]);
  const cases: [string[], string][] = [
    [["-plugin-allow", "read=/x", "p"], "must follow the -plugin"],
    [["-plugin", "insn", "-plugin-allow", "run=ls", "p"], "Invalid plugin permission 'run=ls'"],
    [["-plugin-errors", "maybe", "p"], "Invalid plugin error mode 'maybe'"],
    [["-plugin-memory", "8", "p"], "Invalid plugin memory '8'"],
    [["-plugin-watchdog", "0", "p"], "Invalid plugin watchdog '0'"],
  ];
  for (const [argv, msg] of cases) assertThrows(() => parseOptions(argv, {}), UsageError, msg);
});

Deno.test("parseOptions takes -record FILE with a program and -replay FILE with none", () => {
  const rec = parseOptions(["-record", "run.rec", "prog", "a"], {});
  assertEquals([rec.record, rec.program, rec.args], ["run.rec", "prog", ["a"]]);
  const rep = parseOptions(["-replay", "run.rec", "-plugin", "insn"], {});
  assertEquals([rep.replay, rep.program, rep.command], ["run.rec", "", "run"]);
  assertEquals(parseOptions(["-replay", "run.rec", "prog"], {}).program, "prog");
  const cases: [string[], string][] = [
    [["-record", "a", "-replay", "b", "p"], "-record and -replay exclude each other"],
    [["-record", "a", "-g", "1234", "p"], "-record cannot be used with -g"],
    [["-replay", "a", "p", "x"], "-replay takes the program's arguments from the recording"],
    [["-record", "", "p"], "Invalid -record file ''"],
    [["-record", "a"], "No program specified"],
  ];
  for (const [argv, msg] of cases) assertThrows(() => parseOptions(argv, {}), UsageError, msg);
});
