import { assertEquals } from "../tests/assert.ts";
import { createGuest, type Guest } from "./emulator.ts";
import { fileUrlToPath } from "./util/file_url.ts";
import { Log } from "./util/log.ts";

const HELLO = fileUrlToPath(new URL("../tests/guest/bin/hello_asm", import.meta.url));
/** `_start` in hello_asm's symbol table. */
const START = 0x100e8;

function guestOf(path: string): Guest {
  return createGuest({
    program: path,
    argv: [path],
    envp: [],
    sysroot: "",
    log: new Log(),
    strace: false,
    oneInsnPerTb: false,
    seed: undefined,
  });
}

Deno.test("a guest's symbols are read from its file at the first lookup, and never from another file", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/hello`;
    Deno.copyFileSync(HELLO, path);
    assertEquals(guestOf(path).symbols.lookup(START), "_start");
    const replaced = guestOf(path);
    // Another file in its place before the first lookup (the same bytes, but not the file that was loaded).
    Deno.removeSync(path);
    Deno.copyFileSync(HELLO, path);
    assertEquals(replaced.symbols.lookup(START), "");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a program replaced by an endless device before the first symbol lookup is not read", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/hello`;
    Deno.copyFileSync(HELLO, path);
    const guest = guestOf(path);
    Deno.removeSync(path);
    Deno.symlinkSync("/dev/zero", path);
    // Read, /dev/zero would never end: the lookup answers at once with no name.
    assertEquals(guest.symbols.lookup(START), "");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
