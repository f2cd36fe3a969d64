import { fileURLToPath } from "node:url";
import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { fileUrlToPath } from "./file_url.ts";

Deno.test("fileUrlToPath gives the path node:url's fileURLToPath gives, and refuses what it refuses", () => {
  const urls = [
    "file:///work/main/core/",
    "file:///home/me/my%20plugins/a.ts",
    "file:///tmp/%C3%A9t%C3%A9/x#frag",
    "file:///tmp/a%25b?q=1",
    "file://localhost/etc/hosts",
    "file:///a/%2e%2e/b",
  ];
  for (const url of urls) assertEquals(fileUrlToPath(new URL(url)), fileURLToPath(url), url);
  assertEquals(fileUrlToPath(new URL("./my plugins/p.ts", "file:///repo/")), "/repo/my plugins/p.ts");
  for (const url of ["https://example.com/a", "file://host/a", "file:///a%2Fb", "file:///a%2fb"]) {
    assertThrows(() => fileURLToPath(url), TypeError);
    assertThrows(() => fileUrlToPath(url), TypeError);
  }
});
