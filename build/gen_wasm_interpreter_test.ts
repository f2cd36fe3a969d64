import { assertEquals } from "../tests/assert.ts";
import { generatedInterpreterModule } from "./gen_wasm_interpreter.ts";

Deno.test("the WebAssembly interpreter's generated module is current (run `deno task gen` after changing interpreter_module.ts)", async () => {
  const path = new URL("../core/jit/wasm/interpreter_module_generated.ts", import.meta.url);
  assertEquals(await Deno.readTextFile(path), generatedInterpreterModule());
});
