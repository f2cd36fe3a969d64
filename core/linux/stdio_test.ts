import { assertEquals } from "../../tests/assert.ts";
import { O_RDONLY, O_RDWR, O_WRONLY } from "./open_file.ts";
import { ICANON, StdioFile, TerminalState, TERMIOS_SIZE } from "./stdio.ts";

Deno.test("TerminalState starts cooked with Linux's default control characters", () => {
  const t = new TerminalState();
  assertEquals(t.termios.length, TERMIOS_SIZE);
  assertEquals(t.lflag & ICANON, ICANON);
  // VINTR ^C, VQUIT ^\, VERASE DEL, VKILL ^U, VEOF ^D, VMIN 1.
  assertEquals([...t.termios.subarray(17, 24)], [3, 0x1c, 0x7f, 0x15, 4, 0, 1]);
  const [rows, cols] = t.windowSize();
  assertEquals(rows > 0 && cols > 0, true);
});

Deno.test("TerminalState.set keeps what the guest sets", () => {
  const t = new TerminalState();
  const raw = t.termios.slice();
  new DataView(raw.buffer).setUint32(12, 0, true);
  // Only a terminal stdin is switched to raw mode; elsewhere the settings are just kept.
  if (!Deno.stdin.isTerminal()) {
    t.set(raw);
    assertEquals(t.lflag, 0);
    t.restore();
  }
  assertEquals(t.termios.length, TERMIOS_SIZE);
});

Deno.test("StdioFile opens terminals read-write and other streams in their direction", () => {
  const t = new TerminalState();
  const expect = (fd: 0 | 1 | 2, tty: boolean) => (tty ? O_RDWR : fd === 0 ? O_RDONLY : O_WRONLY);
  const streams = [Deno.stdin, Deno.stdout, Deno.stderr];
  for (const fd of [0, 1, 2] as const) {
    const f = new StdioFile(fd, t);
    assertEquals(f.flags, expect(fd, streams[fd].isTerminal()));
    assertEquals(f.isTerminal(), streams[fd].isTerminal());
    assertEquals(f.path, `/proc/self/fd/${fd}`);
  }
});
