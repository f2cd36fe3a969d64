import { assert, assertEquals } from "../../tests/assert.ts";
import { Cpu } from "../cpu/state.ts";
import { AddressSpace, PROT_READ, PROT_WRITE } from "../mem/address_space.ts";
import { Log } from "../util/log.ts";
import { Process } from "./process.ts";
import {
  deliverSignals,
  dequeueSignal,
  forceSignal,
  hasDeliverable,
  sendSignal,
  signalEffect,
  sigreturn,
} from "./signal_delivery.ts";
import { FRAME_SIZE, SIGINFO_SIZE, UC_MCONTEXT, UC_OFFSET, UC_SIGMASK } from "./signal_frame.ts";
import {
  SA_NODEFER,
  SA_ONSTACK,
  SA_RESETHAND,
  SI_KERNEL,
  SI_USER,
  SIG_DFL,
  SIG_IGN,
  sigbit,
  SignalQueue,
} from "./signals.ts";
import { SS_AUTODISARM, SS_DISABLE } from "./thread.ts";

class CapturingLog extends Log {
  errors = "";
  override error(text: string): void {
    this.errors += text;
  }
}

const STACK_TOP = 0x80000, HANDLER = 0x40000, TRAMPOLINE = 0x41000;

function setup() {
  const mem = new AddressSpace(1 << 22);
  mem.mmap(0x10000, 0x70000, PROT_READ | PROT_WRITE, { name: "", fixed: true });
  const log = new CapturingLog();
  const proc = new Process(mem, log);
  proc.pid = 500;
  proc.sigreturnAddr = TRAMPOLINE;
  const cpu = new Cpu();
  cpu.pc = 0x12340;
  cpu.setXNumber(2, STACK_TOP);
  const t = proc.thread(cpu);
  return { proc, cpu, t, log };
}

const kill = (signo: number, tid = 0) => ({ signo, code: SI_USER, pid: 500, uid: 0, tid });

Deno.test("sendSignal drops ignored signals, keeps one of each standard signal, queues real-time ones", () => {
  const { proc, t } = setup();
  sendSignal(proc, kill(17)); // SIGCHLD: ignored by default
  proc.signals.actions[10] = { handler: SIG_IGN, flags: 0n, mask: 0n };
  sendSignal(proc, kill(10));
  assertEquals(proc.signals.count, 0);
  t.blocked = sigbit(10);
  sendSignal(proc, kill(10)); // blocked: kept even though ignored now
  sendSignal(proc, kill(12));
  sendSignal(proc, kill(12));
  sendSignal(proc, kill(40));
  sendSignal(proc, kill(40));
  assertEquals([...proc.signals.pending].map((s) => s.signo), [10, 12, 40, 40]);
  assertEquals(proc.signals.count, 4);
  sendSignal(proc, kill(15, 999)); // no such thread
  assertEquals(proc.signals.count, 4);
});

Deno.test("dequeueSignal takes synchronous faults first, then the lowest unblocked signal, thread queue first", () => {
  const { proc, t } = setup();
  for (const s of [15, 2, 40]) sendSignal(proc, kill(s));
  sendSignal(proc, kill(12, t.tid));
  forceSignal(proc, t, { signo: 11, code: 1, pid: 0, uid: 0, tid: t.tid, addr: 8 });
  t.blocked = sigbit(2);
  const order: number[] = [];
  for (let s = dequeueSignal(proc, t); s; s = dequeueSignal(proc, t)) order.push(s.signo);
  assertEquals(order, [11, 12, 15, 40]);
  assertEquals(proc.signals.count, 1, "SIGINT stays pending while blocked");
  assert(!hasDeliverable(proc, t));
});

Deno.test("forceSignal unblocks a blocked fault and undoes an ignore", () => {
  const { proc, t } = setup();
  proc.signals.actions[11] = { handler: SIG_IGN, flags: 0n, mask: 0n };
  t.blocked = sigbit(11) | sigbit(4);
  forceSignal(proc, t, { signo: 11, code: 2, pid: 0, uid: 0, tid: t.tid, addr: 16 });
  assertEquals(proc.signals.actions[11].handler, SIG_DFL);
  assertEquals(t.blocked, sigbit(4));
  assertEquals(signalEffect(proc, t), "die");
});

Deno.test("deliverSignals pushes a frame and enters the handler with a0..a2, ra at the trampoline", () => {
  const { proc, cpu, t } = setup();
  proc.signals.actions[10] = { handler: BigInt(HANDLER), flags: 0n, mask: sigbit(12) };
  t.blocked = sigbit(3);
  sendSignal(proc, kill(10));
  assert(deliverSignals(proc, t));
  const frame = cpu.getXNumber(2);
  assertEquals(frame, (STACK_TOP - FRAME_SIZE) & ~15);
  assertEquals([cpu.pc, cpu.getXNumber(1)], [HANDLER, TRAMPOLINE]);
  assertEquals([cpu.getXNumber(10), cpu.getXNumber(11), cpu.getXNumber(12)], [10, frame, frame + SIGINFO_SIZE]);
  assertEquals(t.blocked, sigbit(3) | sigbit(10) | sigbit(12), "sa_mask and the signal itself are blocked");
  assertEquals(proc.mem.view.getBigUint64(frame + UC_OFFSET + UC_SIGMASK, true), sigbit(3), "the old mask is saved");
  assertEquals(proc.mem.view.getBigUint64(frame + UC_OFFSET + UC_MCONTEXT, true), 0x12340n, "the interrupted pc");
  // rt_sigreturn with sp at the frame restores pc, sp and the mask.
  sigreturn(proc, t, cpu);
  assertEquals([cpu.pc, cpu.getXNumber(2), t.blocked], [0x12340, STACK_TOP, sigbit(3)]);
});

Deno.test("deliverSignals: SA_NODEFER, SA_RESETHAND, ignored and default-ignored signals", () => {
  const { proc, cpu, t } = setup();
  proc.signals.actions[10] = { handler: BigInt(HANDLER), flags: BigInt(SA_NODEFER | SA_RESETHAND), mask: 0n };
  sendSignal(proc, kill(10));
  deliverSignals(proc, t);
  assertEquals(t.blocked, 0n, "SA_NODEFER leaves the signal unblocked");
  assertEquals(proc.signals.actions[10].handler, SIG_DFL, "SA_RESETHAND restores the default");
  const pc = cpu.pc;
  t.blocked = sigbit(28);
  sendSignal(proc, kill(28)); // SIGWINCH, blocked so queued; default action ignores it
  t.blocked = 0n;
  assertEquals(deliverSignals(proc, t), false);
  assertEquals(cpu.pc, pc);
  assertEquals(proc.exitStatus, null);
});

Deno.test("deliverSignals: an uncaught fatal signal ends the process with 128+N, a message only for core dumps", () => {
  for (const [signo, core] of [[15, false], [6, true]] as const) {
    const { proc, t, log } = setup();
    sendSignal(proc, kill(signo));
    deliverSignals(proc, t);
    assertEquals(proc.exitStatus, 128 + signo);
    assertEquals(log.errors, core ? "plume: uncaught target signal 6 (Aborted) - core dumped\n" : "");
  }
});

Deno.test("deliverSignals uses the alternate stack for SA_ONSTACK and disarms it with SS_AUTODISARM", () => {
  const { proc, cpu, t } = setup();
  t.altStackSp = 0x30000;
  t.altStackSize = 0x4000;
  t.altStackFlags = SS_AUTODISARM;
  proc.signals.actions[10] = { handler: BigInt(HANDLER), flags: BigInt(SA_ONSTACK), mask: 0n };
  sendSignal(proc, kill(10));
  deliverSignals(proc, t);
  const frame = cpu.getXNumber(2);
  assert(frame > 0x30000 && frame < 0x34000, "frame on the alternate stack");
  assertEquals(t.altStackFlags, SS_DISABLE, "disarmed while the handler runs");
  sigreturn(proc, t, cpu);
  assertEquals([t.altStackSp, t.altStackSize, t.altStackFlags], [0x30000, 0x4000, SS_AUTODISARM], "re-armed");
});

Deno.test("deliverSignals kills with SIGSEGV when the frame cannot be written", () => {
  const { proc, cpu, t, log } = setup();
  cpu.setXNumber(2, 0x9000); // below the mapping
  proc.signals.actions[10] = { handler: BigInt(HANDLER), flags: 0n, mask: 0n };
  sendSignal(proc, { signo: 10, code: SI_KERNEL, pid: 0, uid: 0, tid: 0 });
  deliverSignals(proc, t);
  assertEquals(proc.exitStatus, 139);
  assertEquals(log.errors, "plume: uncaught target signal 11 (Segmentation fault) - core dumped\n");
});

Deno.test("a mask saved by sigsuspend goes into the frame, or comes back when no handler runs", () => {
  const { proc, cpu, t } = setup();
  t.blocked = 0n;
  t.savedMask = sigbit(10);
  assertEquals(deliverSignals(proc, t), false);
  assertEquals([t.blocked, t.savedMask], [sigbit(10), undefined]);
  proc.signals.actions[12] = { handler: BigInt(HANDLER), flags: 0n, mask: 0n };
  t.savedMask = sigbit(12) | sigbit(10);
  t.blocked = 0n;
  sendSignal(proc, kill(12));
  deliverSignals(proc, t);
  const frame = cpu.getXNumber(2);
  assertEquals(proc.mem.view.getBigUint64(frame + UC_OFFSET + UC_SIGMASK, true), sigbit(12) | sigbit(10));
  assertEquals(t.savedMask, undefined);
});

Deno.test("a signal queue picks as Linux's next_signal does (a linear search of the queue, the oracle), whatever it holds", () => {
  // The search plume made before the queue kept its numbers aside: faults first, then the lowest number, the oldest.
  const FAULTS = new Set([4, 5, 7, 8, 11, 31]);
  const oracle = (queue: number[], blocked: bigint) => {
    let best = -1;
    for (let i = 0; i < queue.length; i++) {
      const s = queue[i];
      if ((blocked >> BigInt(s - 1)) & 1n) continue;
      if (best < 0) best = i;
      else {
        const b = queue[best], fault = FAULTS.has(s), bestFault = FAULTS.has(b);
        if ((fault && !bestFault) || (fault === bestFault && s < b)) best = i;
      }
    }
    return best;
  };
  let seed = 7;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) >>> 0) % n;
  for (let round = 0; round < 2000; round++) {
    const q = new SignalQueue(), model: number[] = [];
    for (let op = rand(40); op > 0; op--) {
      const signo = 1 + rand(64), where = rand(4);
      const sig = { signo, code: 0, pid: 1, uid: 0, tid: 0 };
      if (where === 0 && model.length > 0) {
        const i = rand(model.length);
        assertEquals(q.removeAt(i).signo, model.splice(i, 1)[0]);
      } else if (where === 1) q.unshift(sig), model.unshift(signo);
      else q.push(sig), model.push(signo);
    }
    const blocked = BigInt(rand(2 ** 30)) << BigInt(rand(34)) | BigInt(rand(2 ** 30));
    assertEquals(q.next(blocked), oracle(model, blocked), `queue ${model}, blocked ${blocked.toString(16)}`);
    assertEquals([...q].map((s) => s.signo), model);
    for (let s = 1; s <= 64; s++) assertEquals(q.has(s), model.includes(s));
  }
});
