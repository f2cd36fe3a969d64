import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { SyscallEnv } from "./_testing.ts";
import { Recorder, RecordingError, Replayer } from "./record_replay.ts";
import type { RecordingHeader } from "./recording_file.ts";

const HEADER: RecordingHeader = {
  plume: "test",
  program: "p",
  exePath: "/p",
  sha256: "",
  argv: ["p"],
  envp: [],
  sysroot: "",
  oneInsnPerTb: false,
  random: "00".repeat(16),
  uid: 0,
  gid: 0,
  pid: 4242,
};

const AT_FDCWD = -100;

/** The calls both runs make, in the same order (the scratch area's addresses come out the same in both). */
function script(env: SyscallEnv) {
  const path = env.str("input.txt");
  const buf = env.alloc(64);
  const ts = env.alloc(16);
  const fd = env.call("openat", AT_FDCWD, path, 0, 0);
  const n = env.call("read", fd, buf, 64);
  const clock = env.call("clock_gettime", 0, ts);
  const brk = env.call("brk", 0);
  const closed = env.call("close", fd);
  return { fd, n, clock, brk, closed, data: env.text(buf, Math.max(n, 0)), time: env.mem.readBytes(ts, 16) };
}

Deno.test("Replayer gives the calls of a Recorder's run their results and memory writes, without the file", () => {
  const rec = Deno.makeTempFileSync({ prefix: "plume_rr_" });
  const first = new SyscallEnv();
  const second = new SyscallEnv();
  try {
    Deno.writeTextFileSync(first.path("input.txt"), "recorded contents\n");
    const recorder = new Recorder(rec, "test");
    recorder.start(HEADER);
    recorder.attach(first.proc);
    const recorded = script(first);
    assertEquals(recorded.data, "recorded contents\n");
    assertEquals(recorder.finish(0).records > 0, true);

    // The second process's directory has no input.txt at all.
    const replay = Replayer.open(rec, "test");
    replay.attach(second.proc);
    const replayed = script(second);
    assertEquals(replayed, recorded);
    replay.finish(0);
  } finally {
    first.dispose();
    second.dispose();
    Deno.removeSync(rec);
  }
});

Deno.test("Replayer stops with one line when the guest makes another call than the recording has", () => {
  const rec = Deno.makeTempFileSync({ prefix: "plume_rr_" });
  const first = new SyscallEnv();
  const second = new SyscallEnv();
  try {
    const recorder = new Recorder(rec, "test");
    recorder.start(HEADER);
    recorder.attach(first.proc);
    first.call("getuid");
    recorder.finish(0);
    const replay = Replayer.open(rec, "test");
    replay.attach(second.proc);
    const err = assertThrows(() => second.call("getgid"), RecordingError);
    assert(/diverged from the recording at record 0: thread 4242 made system call getgid/.test(err.message));
    assert(err.message.includes("making getuid"), err.message);
    assert(!err.message.includes("\n"));
  } finally {
    first.dispose();
    second.dispose();
    Deno.removeSync(rec);
  }
});

Deno.test("Replayer refuses a recording of another plume, and one whose end is missing", () => {
  const rec = Deno.makeTempFileSync({ prefix: "plume_rr_" });
  try {
    const recorder = new Recorder(rec, "1.0");
    recorder.start({ ...HEADER, plume: "1.0" });
    recorder.finish(0);
    assertThrows(() => Replayer.open(rec, "2.0"), RecordingError, "recorded by plume 1.0, this is plume 2.0");
    const bytes = Deno.readFileSync(rec);
    Deno.writeFileSync(rec, bytes.subarray(0, bytes.length - 1));
    assertThrows(() => Replayer.open(rec, "1.0"), RecordingError, "truncated");
  } finally {
    Deno.removeSync(rec);
  }
});
