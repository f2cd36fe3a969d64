import { assertEquals } from "../../tests/assert.ts";
import { Cpu } from "../cpu/state.ts";
import { ThreadState } from "../linux/thread.ts";
import { AddressSpace, PROT_READ, PROT_WRITE } from "../mem/address_space.ts";
import { type Action, formatThreadId, handlePacket, parseThreadId, type PointType, type Target } from "./commands.ts";

/** A target of two threads over a small address space: one read-only page, one writable page. */
function fakeTarget() {
  const mem = new AddressSpace(1 << 24);
  const ro = mem.mmap(0x10000, 0x1000, PROT_READ, { name: "ro", fixed: true });
  const rw = mem.mmap(0x11000, 0x1000, PROT_READ | PROT_WRITE, { name: "rw", fixed: true });
  mem.u8.set([1, 2, 3, 4], ro);
  const threads = [new ThreadState(100, new Cpu()), new ThreadState(101, new Cpu())];
  const points: string[] = [];
  const t: Target = {
    mem,
    pid: 100,
    multiprocess: false,
    threads: () => threads,
    regThread: threads[0],
    resumeThread: undefined,
    stopReply: () => "T05thread:64;",
    auxv: () => new Uint8Array([6, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0]),
    insertPoint: (type: PointType, addr: number, len: number) => (points.push(`${type},${addr},${len}`), true),
    removePoint: (type: PointType, addr: number, len: number) => points.includes(`${type},${addr},${len}`),
  };
  return { t, threads, points, ro, rw };
}

const reply = (data: string): Action => ({ kind: "reply", data });

Deno.test("handlePacket answers memory packets with the guest's protections", () => {
  const { t } = fakeTarget();
  const table: [string, Action][] = [
    ["m10000,4", reply("01020304")],
    ["m10ffe,4", reply("00000000")], // the next page is readable too: all four bytes
    ["m11ffe,4", reply("0000")], // only two bytes before an unmapped page
    ["m0,4", reply("E14")],
    ["m10000,0", reply("")],
    ["mzz,4", reply("E22")],
    ["M10000,1:ff", reply("E14")], // read-only
    ["M11000,2:abcd", reply("OK")],
    ["m11000,2", reply("abcd")],
    ["M11000,2:ab", reply("E22")], // shorter than the length
    ["X11002,2:\x7d\x01", reply("OK")], // binary (the reader undid the escape of 0x7d)
    ["m11002,2", reply("7d01")],
    ["X11000,0:", reply("OK")], // GDB's probe for X
  ];
  for (const [packet, want] of table) assertEquals(handlePacket(t, packet), want, packet);
});

Deno.test("handlePacket reads and writes registers of the thread Hg selects", () => {
  const { t, threads } = fakeTarget();
  threads[1].cpu.setX(10, 0x1122334455667788n);
  threads[1].cpu.pc = 0x10078;
  threads[1].cpu.fcsr = 0x41;
  assertEquals(handlePacket(t, "Hg65"), reply("OK"));
  assertEquals(handlePacket(t, "pa"), reply("8877665544332211"));
  assertEquals(handlePacket(t, "p20"), reply("7800010000000000"));
  assertEquals(handlePacket(t, "p44"), reply("41000000")); // fcsr, GDB's 65 + 3
  assertEquals(handlePacket(t, "p42"), reply("01000000")); // fflags
  assertEquals(handlePacket(t, "p43"), reply("02000000")); // frm
  assertEquals(handlePacket(t, "p999"), reply("E14"));
  assertEquals(handlePacket(t, "P1=0100000000000000"), reply("OK"));
  assertEquals(threads[1].cpu.getX(1), 1n);
  assertEquals(handlePacket(t, "P0=0100000000000000"), reply("OK"));
  assertEquals(threads[1].cpu.getX(0), 0n); // x0 stays zero
  assertEquals(handlePacket(t, "P20=00000000000000ff"), reply("E14")); // a pc beyond 2^53
  const g = handlePacket(t, "g") as { data: string };
  assertEquals(g.data.length, 33 * 16);
  assertEquals(handlePacket(t, "G" + "00".repeat(8 * 33)), reply("OK"));
  assertEquals(threads[1].cpu.pc, 0);
  assertEquals(handlePacket(t, "Gxyz"), reply("E22"));
  assertEquals(handlePacket(t, "Hg999"), reply("E22"));
  assertEquals(handlePacket(t, "Hg0"), reply("OK"));
  assertEquals(t.regThread, threads[1]);
});

Deno.test("handlePacket turns c, s, C, S and vCont into resume actions", () => {
  const { t } = fakeTarget();
  const table: [string, Action][] = [
    ["c", { kind: "resume", actions: [{ tid: undefined, step: false, signal: 0 }] }],
    ["s", { kind: "resume", actions: [{ tid: undefined, step: true, signal: 0 }] }],
    ["C0b", { kind: "resume", actions: [{ tid: undefined, step: false, signal: 11 }] }],
    ["c1234", reply("E22")], // resuming at an address: refused
    ["vCont?", reply("vCont;c;C;s;S")],
    ["vCont;s:65;c", {
      kind: "resume",
      actions: [{ tid: 0x65, step: true, signal: 0 }, { tid: undefined, step: false, signal: 0 }],
    }],
    ["vCont;C05:p64.64;c:p64.-1", {
      kind: "resume",
      actions: [{ tid: 0x64, step: false, signal: 5 }, { tid: undefined, step: false, signal: 0 }],
    }],
    ["vCont;t", reply("")],
    ["vCont;c:zz", reply("E22")],
    ["vCont", reply("E22")],
  ];
  for (const [packet, want] of table) assertEquals(handlePacket(t, packet), want, packet);
});

Deno.test("handlePacket answers queries: features, target description, auxv, threads", () => {
  const { t } = fakeTarget();
  const sup = handlePacket(t, "qSupported:multiprocess+;swbreak+") as { data: string };
  assertEquals(sup.data.split(";").includes("PacketSize=4000"), true);
  assertEquals(t.multiprocess, true);
  assertEquals(handlePacket(t, "qfThreadInfo"), reply("mp64.64,p64.65"));
  assertEquals(handlePacket(t, "qsThreadInfo"), reply("l"));
  assertEquals(handlePacket(t, "qC"), reply("QCp64.64"));
  assertEquals(handlePacket(t, "Tp64.65"), reply("OK"));
  assertEquals(handlePacket(t, "T99"), reply("E01"));
  const xml = handlePacket(t, "qXfer:features:read:target.xml:0,20") as { data: string };
  assertEquals(xml.data, "m" + '<?xml version="1.0"?>\n<!DOCTYPE target'.slice(0, 0x20));
  assertEquals((handlePacket(t, "qXfer:auxv:read::0,100") as { data: string }).data.length, 17);
  assertEquals(handlePacket(t, "qAttached"), reply("")); // as qemu-user: GDB kills on quit
  assertEquals(handlePacket(t, "qUnknownThing"), reply(""));
  assertEquals(handlePacket(t, "vMustReplyEmpty"), reply(""));
});

Deno.test("handlePacket sets and removes breakpoints and watchpoints, refusing bad ones", () => {
  const { t, points } = fakeTarget();
  assertEquals(handlePacket(t, "Z0,10078,4"), reply("OK"));
  assertEquals(handlePacket(t, "Z2,11000,8"), reply("OK"));
  assertEquals(points, [`0,${0x10078},4`, `2,${0x11000},8`]);
  assertEquals(handlePacket(t, "z2,11000,8"), reply("OK"));
  assertEquals(handlePacket(t, "Z5,0,0"), reply("E22"));
  assertEquals(handlePacket(t, "Z0,,4"), reply("E22"));
});

Deno.test("parseThreadId and formatThreadId read and write GDB's thread ids", () => {
  assertEquals(parseThreadId("-1"), -1);
  assertEquals(parseThreadId("0"), 0);
  assertEquals(parseThreadId("p10.1f"), 0x1f);
  assertEquals(parseThreadId("p10.-1"), -1);
  assertEquals(parseThreadId("q1"), undefined);
  assertEquals(formatThreadId({ multiprocess: true, pid: 0x10 }, 0x1f), "p10.1f");
  assertEquals(formatThreadId({ multiprocess: false, pid: 0x10 }, 0x1f), "1f");
});
