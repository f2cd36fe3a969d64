import { assertEquals } from "../tests/assert.ts";
import { demoModule } from "./gen_demo.ts";
import { demoProgram } from "../core/plugin/demo_program_generated.ts";
import { fileUrlToPath } from "../core/util/file_url.ts";

const ROOT = fileUrlToPath(new URL("../", import.meta.url));

Deno.test("the embedded demo program is current (run `deno task gen` after rebuilding tests/guest/bin/demo)", async () => {
  const bytes = await Deno.readFile(ROOT + "tests/guest/bin/demo");
  assertEquals(await Deno.readTextFile(ROOT + "core/plugin/demo_program_generated.ts"), demoModule(bytes));
  assertEquals(demoProgram(), bytes);
});
