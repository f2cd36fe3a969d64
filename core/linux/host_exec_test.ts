import { assert, assertEquals } from "../../tests/assert.ts";
import { AddressSpace } from "../mem/address_space.ts";
import { isHostProgram, runOnHost, signalHostProgram } from "./host_exec.ts";
import { PipeEnd } from "./pipe.ts";
import { Process } from "./process.ts";

const enc = new TextEncoder();

Deno.test("isHostProgram takes #! scripts and ELF files of the host's machine, not RISC-V ones", () => {
  assert(isHostProgram(enc.encode("#!/bin/sh\n")));
  assert(isHostProgram(Deno.readFileSync("/bin/sh").subarray(0, 64)));
  const riscv = Deno.readFileSync(new URL("../../tests/guest/bin/hello_asm", import.meta.url)).subarray(0, 64);
  assert(!isHostProgram(riscv));
  assert(!isHostProgram(enc.encode("plain text")));
});

Deno.test("runOnHost: the process ends with the host program's status; output on a guest pipe is copied", async () => {
  const proc = new Process(new AddressSpace(1 << 24));
  const [r, w] = PipeEnd.pair(0);
  proc.fds.installAt(1, w, false);
  runOnHost(proc, "/bin/sh", ["sh", "-c", "echo copied; exit 5"], ["PATH=/usr/bin:/bin"]);
  proc.fds.close(1);
  await proc.hostChild;
  assertEquals([proc.exitStatus, proc.killedBy], [5, 0]);
  const buf = new Uint8Array(64);
  assertEquals(new TextDecoder().decode(buf.subarray(0, r.read(buf))), "copied\n");
  assertEquals(r.read(buf), 0, "end of file once the program and its copy are done");
});

Deno.test("signalHostProgram reaches the host program: the process ends as killed by the signal", async () => {
  const proc = new Process(new AddressSpace(1 << 24));
  assert(!signalHostProgram(proc, 15), "no host program yet");
  runOnHost(proc, "/bin/sleep", ["sleep", "10"], []);
  assert(signalHostProgram(proc, 15));
  await proc.hostChild;
  assertEquals([proc.exitStatus, proc.killedBy], [143, 15]);
  assertEquals(proc.hostProgram, undefined);
});
