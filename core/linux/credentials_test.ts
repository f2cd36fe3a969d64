import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { E, SyscallError } from "./errno.ts";
import { ID_UNCHANGED, IdSet } from "./credentials.ts";

const U = ID_UNCHANGED;

function ids(s: IdSet): number[] {
  return [s.real, s.effective, s.saved, s.fs];
}

Deno.test("IdSet follows Linux's rules for an unprivileged process", () => {
  // [operation, args, resulting ids or errno]; start: real 1000, effective 1001, saved 1002.
  const cases: [string, number[], number[] | number][] = [
    ["set", [1000], [1000, 1000, 1002, 1000]],
    ["set", [1002], [1000, 1002, 1002, 1002]],
    ["set", [1001], E.EPERM],
    ["set", [0], E.EPERM],
    ["set", [U], E.EINVAL],
    ["setRe", [U, U], [1000, 1001, 1002, 1001]],
    ["setRe", [1001, U], [1001, 1001, 1001, 1001]],
    ["setRe", [U, 1002], [1000, 1002, 1002, 1002]],
    ["setRe", [1002, U], E.EPERM],
    ["setRes", [1002, 1000, 1001], [1002, 1000, 1001, 1000]],
    ["setRes", [U, U, 5], E.EPERM],
  ];
  for (const [op, args, want] of cases) {
    const s = new IdSet([1000, 1001, 1002, 1001]);
    const run = () => (s[op as "setRes"] as (...a: number[]) => void)(...args);
    if (typeof want === "number") assertEquals(assertThrows(run, SyscallError).errno, want, `${op}(${args})`);
    else {
      run();
      assertEquals(ids(s), want, `${op}(${args})`);
    }
  }
});

Deno.test("IdSet.setFs returns the old fs id and changes it only to a current id", () => {
  const s = new IdSet([1000, 1001, 1002, 1001]);
  assertEquals(s.setFs(1000), 1001);
  assertEquals(s.setFs(5), 1000);
  assertEquals(s.fs, 1000);
  assertEquals(s.setFs(U), 1000);
});
