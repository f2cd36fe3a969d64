import { assert, assertEquals } from "../../../tests/assert.ts";
import { rulesX86_64, seccompFilter } from "./seccomp.ts";
import { fileUrlToPath } from "../../util/file_url.ts";

const EPERM = -1, ENOSYS = -38;

Deno.test("confineProcess: a leaked C library handle still cannot act outside the process", async () => {
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") return;
  const script = fileUrlToPath(new URL("./testdata/leaked_libc.ts", import.meta.url));
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-config", "--allow-ffi", script, "64"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const [calls, allocation] = new TextDecoder().decode(out.stdout).split("\n");
  const r = JSON.parse(calls);
  for (const [call, result] of Object.entries(r)) {
    if (call.startsWith("getpid")) assert((result as number) > 0, call);
    else if (["kill(self, 0)", "prlimit64(self, DATA, query)", "fcntl(0, F_GETFD)"].includes(call)) {
      assertEquals(result, 0, call);
    } else if (call === "clone3()") assertEquals(result, ENOSYS, call);
    else assertEquals(result, EPERM, call);
  }
  // Beyond the memory limit an allocation fails, or V8 stops the process (SIGTRAP) for want of memory.
  if (out.signal === "SIGTRAP") assertEquals(allocation, "");
  else assertEquals([out.code, allocation], [0, "allocation refused (RangeError)"]);
});

Deno.test("seccompFilter widens only with grants", () => {
  const none = rulesX86_64({ pid: 1, open: false, write: false, tree: false, net: false });
  const all = rulesX86_64({ pid: 1, open: true, write: true, tree: true, net: true });
  // openat, unlinkat, socket: refused without grants, left to Deno's permissions with them.
  for (const nr of [257, 263, 41]) {
    assertEquals(none.get(nr), "deny", `${nr}`);
    assertEquals(all.get(nr), undefined, `${nr}`);
  }
  // Never allowed, whatever the grants: signals to others, exec, ptrace, new processes.
  for (const [nr, rule] of [[62, "self"], [59, "deny"], [101, "deny"], [56, "thread"], [435, "enosys"]] as const) {
    assertEquals(all.get(nr), rule, `${nr}`);
  }
  // A grant of files writes them, truncates them and sets their times; only one of a directory changes the tree.
  const files = rulesX86_64({ pid: 1, open: true, write: true, tree: false, net: false });
  for (const nr of [87, 263, 82, 316, 83, 258, 84, 90, 91, 93, 268, 88, 86, 133]) {
    assertEquals(files.get(nr), "deny", `${nr}`);
  }
  for (const nr of [76, 280, 257]) assertEquals(files.get(nr), undefined, `${nr}`);
  const bytes = seccompFilter("x86_64", { pid: 4242, open: false, write: false, tree: false, net: false })!;
  assertEquals(bytes.length % 8, 0);
  assert(bytes.length / 8 < 256, "BPF jumps must stay in reach");
  assertEquals(seccompFilter("riscv64", { pid: 1, open: false, write: false, tree: false, net: false }), undefined);
});
