/**
 * The built-in port of QEMU 7.2's `lockstep` against QEMU's own
 * (`.cache/qemu-plugins/liblockstep.so`): two runs of one program talk
 * over a unix socket, the first listening, the second connecting, and
 * compare the blocks they execute.
 *
 * - plume against plume, with plume's blocks: the same program finishes
 *   with `No divergence :-)` on both sides and the same counts; programs
 *   whose argv takes them down other branches report the divergence,
 *   give up, and exit with their own status (the plugin does not end the
 *   run);
 * - QEMU against QEMU and plume against plume, with one instruction per
 *   block (`-singlestep`, `-one-insn-per-tb`; QEMU ends its blocks at CSR
 *   instructions where plume does not), print the same text byte for
 *   byte, in step, diverging, and diverging with `verbose=on`: each
 *   side's block is then one instruction, and
 *   both guests run the same instructions at the same addresses
 *   (position-dependent programs, plume with `tests/plugins/qemu72_syscalls.ts`
 *   answering as QEMU 7.2 does, both in one directory with one
 *   environment, as in `plugins_qemu_ports_b_test.ts`). Nothing is
 *   normalised;
 * - plume against QEMU, on the same terms, is one lockstep: QEMU's wire
 *   format is plume's (two 64-bit words in the host's byte order).
 *
 * Every run leaves its socket file removed (the listener removes it).
 *
 * @module
 */

import { assert, assertEquals, assertMatch } from "./assert.ts";
import {
  GUEST_BIN,
  guestEnv,
  qemuPlugin,
  qemuPluginMissing,
  ROOT,
  type RunOptions,
  runPlume,
  runQemu,
  type RunResult,
  tempDir,
} from "./harness.ts";
import { join } from "node:path";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** One side of a lockstep pair: the emulator and the guest's arguments (after the program). */
interface Side {
  emulator: "plume" | "qemu";
  args: string[];
  /** The program, when not {@link PROGRAM}. */
  program?: string;
  /** Options of the plugin besides `sockpath=`. */
  options?: string[];
}

/** The program both sides run: `exit_codes STATUS [how]` takes other branches for other arguments. */
const PROGRAM = join(GUEST_BIN, "exit_codes");

/** Forks children, a grandchild and a vfork child; it catches no signal, so both sides run the same instructions. */
const FORKING = join(GUEST_BIN, "fork_tree");

/** The directory every run uses, its HOME: the guests' initial stacks then hold the same strings. */
let home: string | undefined;

/** Runs `side` with lockstep on `sock`, one instruction per block when `oneInsn`. */
function run(side: Side, sock: string, oneInsn: boolean): Promise<RunResult> {
  const opts: RunOptions = { cwd: home, env: guestEnv(home!), timeoutMs: 300_000 };
  const argv = [side.program ?? PROGRAM, ...side.args];
  const step = oneInsn ? ["-one-insn-per-tb"] : [];
  if (side.emulator === "qemu") {
    return runQemu(argv, {
      ...opts,
      flags: [
        ...step,
        "-d",
        "plugin",
        "-plugin",
        [qemuPlugin("lockstep"), `sockpath=${sock}`, ...side.options ?? []].join(","),
      ],
    });
  }
  // With one-instruction blocks plume is compared with QEMU: glibc must take QEMU's branches.
  const asQemu = oneInsn
    ? ["-plugin", join(ROOT, "tests/plugins/qemu72_syscalls.ts"), "-plugin-allow", "guest=write"]
    : [];
  return runPlume(argv, {
    ...opts,
    flags: [
      ...step,
      "-plugin-watchdog",
      "60",
      "-d",
      "plugin",
      ...asQemu,
      "-plugin",
      ["lockstep", `sockpath=${sock}`, ...side.options ?? []].join(","),
    ],
  });
}

/** True once `path` exists. */
async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs two sides in lockstep: the first, which finds no socket and
 * listens, then, once its socket exists, the second, which connects.
 * Checks that no socket file is left.
 */
async function lockstep(first: Side, second: Side, oneInsn = false): Promise<[RunResult, RunResult]> {
  home ??= await tempDir("plume-lockstep-");
  const sock = join(home, "lockstep.sock");
  const a = run(first, sock, oneInsn);
  let aDone = false;
  a.finally(() => aDone = true);
  while (!await exists(sock)) {
    if (aDone) throw new Error(`The first run ended without listening: ${text((await a).stderr)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const b = run(second, sock, oneInsn);
  const both = await Promise.all([a, b]);
  assert(!await exists(sock), "the socket file is removed");
  return both;
}

/** What each side prints after a run in step: QEMU's text. */
const NO_DIVERGENCE = /^No divergence :-\)\nExecuted (\d+)\/\1 blocks\nExecuted ~(\d+) instructions\n$/;

/** The report of a run that gave up: three divergences in a row, the last with the instruction counts and 5 blocks. */
const GAVE_UP = new RegExp(
  "^@ (0x[0-9a-f]{16}) vs (0x[0-9a-f]{16}) \\(2/1 since last\\)\n" +
    "@ (0x[0-9a-f]{16}) vs (0x[0-9a-f]{16}) \\(3/1 since last\\)\n" +
    "Δ insn_count @ \\3 \\((\\d+)\\) vs \\4 \\((\\d+)\\)\n" +
    "(  previously @ 0x[0-9a-f]{16}/\\d+ \\(\\d+ insns\\)\n){5}" +
    "too much divergence\\.\\.\\. giving up\\.$",
);

/** Checks a pair's texts: each side's role line, then what `rest` says of the remainder. */
function roles(a: RunResult, b: RunResult): [string, string] {
  const ta = text(a.stderr), tb = text(b.stderr);
  assert(ta.startsWith("setup_socket::ready\n"), `first side: ${ta}`);
  assert(tb.startsWith("connect_socket::ready\n"), `second side: ${tb}`);
  return [ta.slice("setup_socket::ready\n".length), tb.slice("connect_socket::ready\n".length)];
}

/** Checks that two sides that ran the same program in step said so, with the same counts, and exited with its status. */
function assertInStep(a: RunResult, b: RunResult, status: number): void {
  const [ra, rb] = roles(a, b);
  assertMatch(ra, NO_DIVERGENCE);
  assertEquals(rb, ra, "both sides count the same blocks and instructions");
  assertEquals([a.status, b.status], [status, status]);
}

/** Checks that two sides that diverged gave up with QEMU's report, each seeing the other's blocks, and exited with their own status. */
function assertGaveUp(a: RunResult, b: RunResult, statuses: [number, number]): void {
  const [ra, rb] = roles(a, b);
  const ma = GAVE_UP.exec(ra), mb = GAVE_UP.exec(rb);
  assert(ma, `first side: ${ra}`);
  assert(mb, `second side: ${rb}`);
  // What one side calls ours, the other calls theirs.
  assertEquals([mb[1], mb[2], mb[3], mb[4], mb[5], mb[6]], [ma[2], ma[1], ma[4], ma[3], ma[6], ma[5]]);
  assertEquals([a.status, b.status], statuses, "each guest's own exit status: the plugin only uninstalls");
}

const SAME: [Side, Side] = [{ emulator: "plume", args: ["3"] }, { emulator: "plume", args: ["3"] }];
const DIVERGING: [Side, Side] = [{ emulator: "plume", args: ["3"] }, { emulator: "plume", args: ["4", "_exit"] }];
const qemu = (s: Side): Side => ({ ...s, emulator: "qemu" });
const verbose = (s: Side): Side => ({ ...s, options: ["verbose=on"] });

/** With `verbose=on`, the first divergence of a report that ends as {@link GAVE_UP}'s. */
const FIRST_DIVERGENCE = /^@ 0x[0-9a-f]{16} vs 0x[0-9a-f]{16} \(1\/0 since last\)\n/;

Deno.test("lockstep: two plume runs of one program stay in step and say so as QEMU's plugin does", async () => {
  const [a, b] = await lockstep(...SAME);
  assertInStep(a, b, 3);
  assertEquals(text(a.stdout), "exiting with 3 via exit\n");
});

Deno.test("lockstep: two plume runs whose arguments take other branches report the divergence and give up", async () => {
  const [a, b] = await lockstep(...DIVERGING);
  assertGaveUp(a, b, [3, 4]);
});

Deno.test("lockstep: a forked process's copy of the plugin stops at once, its parent stays in step", async () => {
  const side: Side = { emulator: "plume", args: [], program: FORKING };
  const [a, b] = await lockstep(side, side);
  // The connection is the first process's: each child's copy finds it closed, says so and uninstalls.
  const [ra, rb] = roles(a, b);
  const children = /^(?:problem writing to socket)+/.exec(ra)?.[0];
  assert(children, ra);
  assertEquals(rb, ra, "both sides: the same children stopped, the same counts");
  assertMatch(ra.slice(children.length), NO_DIVERGENCE);
  assertEquals([a.status, b.status], [0, 0]);
});

Deno.test(
  `lockstep: QEMU against QEMU prints what plume against plume prints, one instruction per block${
    qemuPluginMissing("lockstep")
  }`,
  {
    ignore: qemuPluginMissing("lockstep") !== "",
  },
  async () => {
    for (const [first, second] of [SAME, DIVERGING, DIVERGING.map(verbose)]) {
      const [qa, qb] = await lockstep(qemu(first), qemu(second), true);
      const [pa, pb] = await lockstep(first, second, true);
      const label = `${[...first.args, ...first.options ?? []].join(" ")} / ${second.args.join(" ")}`;
      assertEquals(text(pa.stderr), text(qa.stderr), `${label}: the first side's text`);
      assertEquals(text(pb.stderr), text(qb.stderr), `${label}: the second side's text`);
      assertEquals([pa.status, pb.status], [qa.status, qb.status], `${label}: exit statuses`);
      if (first.args.join() === second.args.join()) assertInStep(pa, pb, 3);
      else if (first.options === undefined) assertGaveUp(pa, pb, [3, 4]);
      else {
        // verbose=on also prints the first divergence, which may not last.
        const [ra, rb] = roles(pa, pb);
        const strip = (r: RunResult, rest: string) => ({ ...r, stderr: new TextEncoder().encode(rest) });
        const [fa, fb] = [FIRST_DIVERGENCE.exec(ra), FIRST_DIVERGENCE.exec(rb)];
        assert(fa && fb, `${label}: ${ra}`);
        assertGaveUp(
          strip(pa, "setup_socket::ready\n" + ra.slice(fa[0].length)),
          strip(pb, "connect_socket::ready\n" + rb.slice(fb[0].length)),
          [3, 4],
        );
      }
    }
  },
);

Deno.test(
  `lockstep: plume and QEMU run in lockstep with each other, one instruction per block${qemuPluginMissing("lockstep")}`,
  {
    ignore: qemuPluginMissing("lockstep") !== "",
  },
  async () => {
    // plume listens, QEMU connects; then the other way round, diverging.
    const [pa, qb] = await lockstep(SAME[0], qemu(SAME[1]), true);
    assertInStep(pa, qb, 3);
    const [qa, pb] = await lockstep(qemu(DIVERGING[0]), DIVERGING[1], true);
    assertGaveUp(qa, pb, [3, 4]);
  },
);
