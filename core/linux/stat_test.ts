import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { E, SyscallError } from "./errno.ts";
import { exactStat, S_IFLNK, S_IFMT, statFile, statPath } from "./stat.ts";

/** A temporary file of `text` whose times the host's touch sets to `at` (seconds, with nine decimals). */
async function touchedFile(dir: string, name: string, at: string): Promise<string> {
  const path = `${dir}/${name}`;
  Deno.writeTextFileSync(path, name);
  const r = await new Deno.Command("touch", { args: ["-d", `@${at}`, path] }).output();
  if (!r.success) throw new Error(new TextDecoder().decode(r.stderr));
  return path;
}

Deno.test("exactStat reads the host's times to the nanosecond, statPath to the millisecond", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = await touchedFile(dir, "a", "1704164645.123456789");
    assertEquals(exactStat(path, false).mtimeNs, 1704164645123456789n);
    assertEquals(exactStat(path, false).atimeNs, 1704164645123456789n);
    assertEquals(statPath(path, false).mtimeNs, 1704164645123000000n);
    // Everything else is the same file's.
    const exact = exactStat(path, false), deno = statPath(path, false);
    for (const k of ["dev", "ino", "mode", "nlink", "uid", "gid", "rdev", "size", "blksize", "blocks"] as const) {
      assertEquals(exact[k], deno[k], k);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("exactStat: device numbers in st_dev's encoding, links not followed when asked, the host's errors", () => {
  // /dev/null is character device 1:3: its rdev as stat(2) encodes it.
  assertEquals(exactStat("/dev/null", false).rdev, statPath("/dev/null", false).rdev);
  assertEquals(exactStat("/dev/null", false).dev, statPath("/dev/null", false).dev);
  const dir = Deno.makeTempDirSync();
  try {
    Deno.symlinkSync("nowhere", `${dir}/link`);
    assertEquals(exactStat(`${dir}/link`, true).mode & S_IFMT, S_IFLNK);
    const missing = assertThrows(() => exactStat(`${dir}/link`, false), SyscallError);
    assertEquals(missing.errno, E.ENOENT);
    Deno.writeTextFileSync(`${dir}/file`, "");
    assertEquals(assertThrows(() => exactStat(`${dir}/file/x`, false), SyscallError).errno, E.ENOTDIR);
    // A C string would end at the NUL and name another file: that path is refused, not cut short.
    assertThrows(() => exactStat(`${dir}/file\0/x`, false));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("statFile: the open file's exact times while its path names it, its own otherwise", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = await touchedFile(dir, "a", "1704164645.123456789");
    const file = Deno.openSync(path);
    try {
      const st = statFile(file, path);
      assertEquals(st.mtimeNs, 1704164645123456789n);
      assertEquals(statFile(file).mtimeNs, 1704164645123000000n);
      // Another file renamed over the path: the open file keeps its own status, not the newcomer's.
      const other = await touchedFile(dir, "b", "1600000000.987654321");
      Deno.renameSync(other, path);
      const after = statFile(file, path);
      assertEquals(after.ino, st.ino);
      assertEquals(after.mtimeNs, 1704164645123000000n);
      // And with the path gone altogether.
      Deno.removeSync(path);
      assertEquals(statFile(file, path).ino, st.ino);
    } finally {
      file.close();
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("HostFile: the guest's fstat is exact after a rename too; plume's own stat stays Deno's", async () => {
  const { entriesChanged, HostFile, O_RDONLY } = await import("./open_file.ts");
  const dir = Deno.makeTempDirSync();
  try {
    const path = await touchedFile(dir, "a", "1704164645.123456789");
    const f = HostFile.open(path, O_RDONLY, 0, 0);
    try {
      assertEquals(f.guestStat().mtimeNs, 1704164645123456789n);
      assertEquals(f.stat().mtimeNs, 1704164645123000000n);
      // As the guest's rename through plume tells it (paths.ts), so that the file is looked for again.
      Deno.renameSync(path, `${dir}/moved`);
      entriesChanged();
      assertEquals(f.guestStat().mtimeNs, 1704164645123456789n);
    } finally {
      f.release();
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
