import { assertEquals, assertThrows } from "../../tests/assert.ts";
import * as fs from "node:fs";
import { E, hostCall, hostErrno, strerror, SyscallError } from "./errno.ts";

Deno.test("strerror gives glibc's texts and a fallback for unknown numbers", () => {
  const cases: [number, string][] = [
    [E.EPERM, "Operation not permitted"],
    [E.ENOENT, "No such file or directory"],
    [E.ENOSYS, "Function not implemented"],
    [E.EOPNOTSUPP, "Operation not supported"],
    [41, "Unknown error 41"],
    [4000, "Unknown error 4000"],
  ];
  for (const [n, text] of cases) assertEquals(strerror(n), text);
});

Deno.test("hostErrno maps Deno and node:fs errors by code", () => {
  const dir = Deno.makeTempDirSync();
  Deno.writeTextFileSync(`${dir}/file`, "");
  try {
    const cases: [() => unknown, number][] = [
      [() => Deno.statSync(`${dir}/missing`), E.ENOENT],
      [() => Deno.mkdirSync(dir), E.EEXIST],
      [() => fs.rmdirSync(`${dir}/missing`), E.ENOENT],
      [() => fs.openSync(`${dir}/missing/x`, "r"), E.ENOENT],
      [() => fs.readdirSync(`${dir}/file`), E.ENOTDIR],
    ];
    for (const [op, errno] of cases) {
      let got: number | undefined;
      try {
        op();
      } catch (e) {
        got = hostErrno(e);
      }
      assertEquals(got, errno);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("hostErrno maps Deno error classes without a code", () => {
  assertEquals(hostErrno(new Deno.errors.NotCapable("no")), E.EACCES);
  assertEquals(hostErrno(new Deno.errors.BrokenPipe("gone")), E.EPIPE);
});

Deno.test("hostErrno takes an errno Deno has no class for from its message", () => {
  // A guest's ftruncate to 2^62 bytes: EFBIG, which ended plume with "internal error".
  const dir = Deno.makeTempDirSync();
  try {
    const f = Deno.openSync(`${dir}/big`, { write: true, create: true });
    let got;
    try {
      f.truncateSync(2 ** 62);
    } catch (e) {
      got = hostErrno(e);
    } finally {
      f.close();
    }
    assertEquals(got, E.EFBIG);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
  assertEquals(hostErrno(new Error("No such device or address (os error 6): open '/dev/tty'")), E.ENXIO);
  assertEquals(hostErrno(new Error("Text file busy (os error 26)")), E.ETXTBSY);
});

Deno.test("hostErrno returns undefined for errors that are not the host's", () => {
  assertEquals(hostErrno(new TypeError("bug")), undefined);
  assertEquals(hostErrno(Object.assign(new Error("odd"), { code: "NOT_AN_ERRNO" })), undefined);
  assertEquals(hostErrno("ENOENT"), undefined);
});

Deno.test("hostCall turns host errors into SyscallError and lets bugs through", () => {
  const err = assertThrows(() => hostCall(() => Deno.lstatSync("/no/such/path")), SyscallError);
  assertEquals(err.errno, E.ENOENT);
  assertThrows(() => hostCall(() => JSON.parse("{")), SyntaxError);
  assertThrows(() => hostCall(() => new Uint8Array(-1)), RangeError);
  assertEquals(hostCall(() => 5), 5);
});
