import { assertEquals } from "../../tests/assert.ts";
import { direntSize, DT_DIR, DT_LNK, DT_REG, encodeDirents, listDirectory } from "./dirents.ts";

Deno.test("direntSize rounds the record up to 8 bytes", () => {
  assertEquals([direntSize(1), direntSize(4), direntSize(5), direntSize(13)], [24, 24, 32, 40]);
});

Deno.test("encodeDirents fills whole records and resumes at d_off", () => {
  const e = (name: string) => ({ name: new TextEncoder().encode(name), ino: 7n, type: DT_REG });
  const entries = [e("a"), e("bb"), e("ccccccccc")];
  const first = encodeDirents(entries, 0, 50);
  assertEquals([first.bytes.length, first.next], [48, 2]);
  const v = new DataView(first.bytes.buffer);
  assertEquals([v.getBigUint64(0, true), v.getBigInt64(8, true), v.getUint16(16, true), v.getUint8(18)], [
    7n,
    1n,
    24,
    DT_REG,
  ]);
  assertEquals(new TextDecoder().decode(first.bytes.subarray(19 + 24, 21 + 24)), "bb");
  assertEquals(first.bytes[21 + 24], 0);
  const rest = encodeDirents(entries, first.next, 50);
  assertEquals([rest.bytes.length, rest.next], [32, 3]);
  assertEquals(encodeDirents(entries, 3, 50).bytes.length, 0);
});

Deno.test("listDirectory lists . and .. first with real inode numbers and types", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/file`, "x");
    Deno.mkdirSync(`${dir}/sub`);
    Deno.symlinkSync("file", `${dir}/link`);
    const list = listDirectory(dir);
    const names = list.map((d) => new TextDecoder().decode(d.name));
    assertEquals(names.slice(0, 2), [".", ".."]);
    assertEquals(names.slice(2).sort(), ["file", "link", "sub"]);
    const byName = new Map(list.map((d, i) => [names[i], d]));
    assertEquals(byName.get(".")!.ino, BigInt(Deno.statSync(dir).ino!));
    assertEquals(byName.get("file")!.ino, BigInt(Deno.statSync(`${dir}/file`).ino!));
    assertEquals([byName.get("file")!.type, byName.get("sub")!.type, byName.get("link")!.type], [
      DT_REG,
      DT_DIR,
      DT_LNK,
    ]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
