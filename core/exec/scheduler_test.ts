import { assert, assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { decode } from "../isa/decoder.ts";
import { disassemble } from "../isa/disasm.ts";
import { makeRuntime } from "../jit/runtime.ts";
import { TbCache } from "../jit/tb_cache.ts";
import { Process } from "../linux/process.ts";
import { SYS } from "../linux/syscall_names.ts";
import { AddressSpace, PROT_EXEC, PROT_READ, PROT_WRITE } from "../mem/address_space.ts";
import { Log } from "../util/log.ts";
import { add, addi, amoaddW, beq, bne, ecall, emit, li, lrW, lw, scW, slli, sw } from "../cpu/_asm_testing.ts";
import { DEADLOCK_STATUS, Scheduler } from "./scheduler.ts";
import { Cpu } from "../cpu/state.ts";

const CODE = 0x10000, DATA = 0x20000;

/** A log whose error messages are kept instead of printed. */
class CapturingLog extends Log {
  errors = "";
  override error(text: string): void {
    this.errors += text;
  }
}

/** A process with code and data pages and a main thread at `CODE`. */
function machine(): { proc: Process; cache: TbCache; main: Cpu; log: CapturingLog } {
  const mem = new AddressSpace(1 << 24);
  mem.mmap(CODE, 0x4000, PROT_READ | PROT_EXEC, { name: "code", fixed: true });
  mem.mmap(DATA, 0x40000, PROT_READ | PROT_WRITE, { name: "data", fixed: true });
  const log = new CapturingLog();
  const proc = new Process(mem, log);
  proc.pid = 1000;
  const main = new Cpu();
  main.pc = CODE;
  proc.thread(main);
  const cache = new TbCache(mem, makeRuntime(mem));
  cache.warmupMs = 0; // compiled code too, as before the warm-up existed
  return { proc, cache, main, log };
}

/** A second thread starting at `pc` with registers `regs`. */
function spawn(proc: Process, pc: number, regs: Record<number, number>): Cpu {
  const cpu = new Cpu();
  cpu.pc = pc;
  for (const [r, v] of Object.entries(regs)) cpu.setXNumber(Number(r), v);
  proc.addThread(cpu);
  return cpu;
}

/**
 * Each iteration appends the thread's marker (s5) to a shared log through
 * an atomic index (at s3; the log at s4) and makes a system call (getpid),
 * so that every iteration is a dispatch; after s0 iterations the thread exits.
 */
const LOGGER = [
  li(5, 1), // t0 = 1
  amoaddW(6, 5, 19), // t1 = index++ (s3)
  slli(6, 6, 2),
  add(6, 6, 20), // &log[t1] (s4)
  sw(21, 6, 0), // log[t1] = s5
  li(17, SYS.getpid),
  ecall,
  addi(8, 8, -1),
  bne(8, 0, -32),
  li(10, 0),
  li(17, SYS.exit),
  ecall,
];

function loggingRun(seed: number | undefined, quantum: number): number[] {
  const { proc, cache, main } = machine();
  emit(proc.mem, CODE, LOGGER);
  const regs = { 8: 3000, 19: DATA, 20: DATA + 8 };
  for (const [r, v] of Object.entries({ ...regs, 21: 1 })) main.setXNumber(Number(r), v);
  spawn(proc, CODE, { ...regs, 21: 2 });
  spawn(proc, CODE, { ...regs, 21: 3 });
  assertEquals(new Scheduler(proc, cache, undefined, { seed, quantum }).runSync(), 0);
  const n = proc.mem.view.getInt32(DATA, true);
  return Array.from({ length: n }, (_, i) => proc.mem.view.getInt32(DATA + 8 + 4 * i, true));
}

Deno.test("the test encoders produce the instructions they are named after", () => {
  const cases: [number, string][] = [
    [li(5, 1), "li t0,1"],
    [amoaddW(6, 5, 19), "amoadd.w t1,t0,(s3)"],
    [slli(6, 6, 2), "sll t1,t1,0x2"], // objdump's alias
    [add(6, 6, 20), "add t1,t1,s4"],
    [sw(21, 6, 8), "sw s5,8(t1)"],
    [lw(10, 19, 4), "lw a0,4(s3)"],
    [bne(8, 0, -32), "bnez s0,ffe0"],
    [ecall, "ecall"],
    [lrW(5, 19), "lr.w t0,(s3)"],
    [scW(6, 5, 19), "sc.w t1,t0,(s3)"],
  ];
  for (const [w, text] of cases) assertEquals(disassemble(decode(w)!, 0x10000), text);
});

Deno.test("Scheduler runs threads round-robin in slices of the quantum, the same way every time", () => {
  const log = loggingRun(undefined, 1024);
  assertEquals(log.length, 9000);
  for (const id of [1, 2, 3]) assertEquals(log.filter((v) => v === id).length, 3000);
  // Runs of one thread: switches happen, in the order threads were made.
  const runs: number[] = [];
  for (const v of log) if (runs[runs.length - 1] !== v) runs.push(v);
  assert(runs.length >= 6, `only ${runs.length} runs`);
  assertEquals(runs.slice(0, 3), [1, 2, 3]);
  assertEquals(loggingRun(undefined, 1024), log, "a second run interleaves identically");
});

Deno.test("Scheduler with -seed varies slices reproducibly", () => {
  const a = loggingRun(7, 1000), b = loggingRun(7, 1000), c = loggingRun(8, 1000);
  assertEquals(a, b);
  assert(JSON.stringify(a) !== JSON.stringify(c), "another seed interleaves differently");
  assert(JSON.stringify(a) !== JSON.stringify(loggingRun(undefined, 1000)));
});

Deno.test("Scheduler: a futex waiter sleeps until another thread wakes it", () => {
  const { proc, cache, main } = machine();
  // main: futex(DATA, FUTEX_WAIT, 0, NULL); exit_group(40 + *DATA)
  const mainCode = [
    li(10, 0),
    addi(10, 19, 0),
    li(11, 0),
    li(12, 0),
    li(13, 0),
    li(17, SYS.futex),
    ecall,
    lw(10, 19, 0),
    addi(10, 10, 40),
    li(17, SYS.exit_group),
    ecall,
  ];
  // other: *DATA = 2; futex(DATA, FUTEX_WAKE, 1); exit(0)
  const other = CODE + 0x100;
  emit(proc.mem, CODE, mainCode);
  emit(proc.mem, other, [
    li(5, 2),
    sw(5, 19, 0),
    addi(10, 19, 0),
    li(11, 1),
    li(12, 1),
    li(17, SYS.futex),
    ecall,
    li(10, 0),
    li(17, SYS.exit),
    ecall,
  ]);
  main.setXNumber(19, DATA);
  spawn(proc, other, { 19: DATA });
  assertEquals(new Scheduler(proc, cache).runSync(), 42);
});

Deno.test("Scheduler reports a deadlock instead of hanging", () => {
  const { proc, cache, main, log } = machine();
  emit(proc.mem, CODE, [addi(10, 19, 0), li(11, 0), li(12, 0), li(13, 0), li(17, SYS.futex), ecall]);
  main.setXNumber(19, DATA);
  assertEquals(new Scheduler(proc, cache).runSync(), DEADLOCK_STATUS);
  assertStringIncludes(log.errors, "plume: deadlock: every thread of the guest waits forever\n");
  assertStringIncludes(log.errors, `  thread 1000 (pc 0x${(CODE + 24).toString(16)}): futex wait on 0x20000\n`);
});

Deno.test("Scheduler sleeps while every thread waits for a timeout", () => {
  const { proc, cache, main } = machine();
  // nanosleep({0, 30 ms}); exit_group(3)
  proc.mem.view.setBigInt64(DATA + 8, 30_000_000n, true);
  emit(proc.mem, CODE, [
    addi(10, 19, 0),
    li(11, 0),
    li(17, SYS.nanosleep),
    ecall,
    li(10, 3),
    li(17, SYS.exit_group),
    ecall,
  ]);
  main.setXNumber(19, DATA);
  const t0 = performance.now();
  assertEquals(new Scheduler(proc, cache).runSync(), 3);
  assert(performance.now() - t0 >= 29);
});

Deno.test("Scheduler raises a timer's signal, which interrupts a wait and runs the handler", () => {
  const { proc, cache, main } = machine();
  const handler = CODE + 0x200;
  // rt_sigsuspend(&zero_mask, 8); exit_group(1) — the handler exits with 5 first.
  emit(proc.mem, CODE, [
    addi(10, 19, 0),
    li(11, 8),
    li(17, SYS.rt_sigsuspend),
    ecall,
    li(10, 1),
    li(17, SYS.exit_group),
    ecall,
  ]);
  emit(proc.mem, handler, [li(11, 5), add(10, 0, 11), li(17, SYS.exit_group), ecall]);
  main.setXNumber(19, DATA);
  main.setXNumber(2, DATA + 0x30000);
  proc.signals.actions[14] = { handler: BigInt(handler), flags: 0n, mask: 0n };
  proc.timers.set(0, 10, 0, performance.now(), 0);
  assertEquals(new Scheduler(proc, cache).runSync(), 5);
});

Deno.test("Scheduler announces each vCPU to plugins once, and its end", () => {
  const { proc, cache, main } = machine();
  emit(proc.mem, CODE, LOGGER);
  const regs = { 8: 10, 19: DATA, 20: DATA + 8 };
  for (const [r, v] of Object.entries({ ...regs, 21: 1 })) main.setXNumber(Number(r), v);
  const other = spawn(proc, CODE, { ...regs, 21: 2 });
  other.vcpuIndex = 1;
  const events: string[] = [];
  const hooks = {
    vcpuInit: (c: Cpu) => events.push(`init ${c.vcpuIndex}`),
    vcpuExit: (c: Cpu) => events.push(`exit ${c.vcpuIndex}`),
    syscall: () => undefined,
    syscallRet: () => {},
    discon: () => {},
    flush: () => events.push("flush"),
    atexit: () => {},
  };
  assertEquals(new Scheduler(proc, cache, hooks).runSync(), 0);
  assertEquals(events, ["init 0", "init 1", "exit 0", "exit 1"]);
});

/**
 * lr.w; a block boundary; sc.w of the loaded value + 1; the sc result goes
 * to DATA+8 and the thread exits. With one dispatch per slice, another
 * thread runs between the LR and the SC.
 */
const LR_SC = [
  lrW(5, 19),
  addi(5, 5, 1),
  beq(0, 0, 4),
  scW(6, 5, 19),
  sw(6, 19, 8),
  li(10, 0),
  li(17, SYS.exit),
  ecall,
];

Deno.test("a switch of vCPU between LR and SC breaks the reservation, as Linux's return to user mode does", () => {
  for (const other of [false, true]) {
    const { proc, cache, main } = machine();
    emit(proc.mem, CODE, LR_SC);
    proc.mem.view.setInt32(DATA, 41, true);
    proc.mem.view.setInt32(DATA + 8, -1, true);
    main.setXNumber(19, DATA);
    // The other thread only touches an unrelated word: the value check alone would let the SC succeed.
    const code2 = CODE + 0x100;
    emit(proc.mem, code2, [li(5, 7), sw(5, 19, 64), li(10, 0), li(17, SYS.exit), ecall]);
    if (other) spawn(proc, code2, { 19: DATA });
    assertEquals(new Scheduler(proc, cache, undefined, { quantum: 1 }).runSync(), 0);
    const sc = proc.mem.view.getInt32(DATA + 8, true), word = proc.mem.view.getInt32(DATA, true);
    assertEquals([sc, word], other ? [1, 41] : [0, 42], other ? "switched: sc fails" : "alone: sc succeeds");
  }
});

Deno.test("SC fails when another vCPU changed the reserved word, even when it keeps the reservation", () => {
  const { proc, cache } = machine();
  const mem = proc.mem;
  const a = new Cpu(), rt = cache.rt;
  mem.view.setInt32(DATA, 5, true);
  rt.lr(a, DATA, 0, 4);
  // Another vCPU stores to the word (a plain store: no reservation of its own involved).
  mem.view.setInt32(DATA, 6, true);
  assertEquals(rt.sc(a, DATA, 0, 4, 99, 0), 1);
  assertEquals(mem.view.getInt32(DATA, true), 6);
  rt.lr(a, DATA, 0, 4);
  assertEquals(rt.sc(a, DATA, 0, 4, 99, 0), 0);
  assertEquals(mem.view.getInt32(DATA, true), 99);
});
