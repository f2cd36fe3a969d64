/**
 * The TCP throughput row of `deno task bench`: a guest receiver
 * (`tests/guest/bin/sockbench recv`) and a guest sender (`sockbench send`)
 * exchange 64 MiB over localhost, each under the same emulator in a process
 * of its own; the receiver times the transfer itself (from `accept` to the
 * end of the stream), so start-up is left out.
 *
 * @module
 */

import { fileUrlToPath } from "../core/util/file_url.ts";

/**
 * Runs one transfer of `mib` MiB with both guests under `emulator` (a
 * command line to which the guest's argv is appended).
 *
 * @param emulator e.g. `["qemu-riscv64"]`
 * @param sockbench path of the guest program
 * @param mib MiB to send
 * @returns the receiver's throughput in MB/s (10^6 bytes per second)
 */
async function tcpThroughput(emulator: string[], sockbench: string, mib: number): Promise<number> {
  const recv = new Deno.Command(emulator[0], {
    args: [...emulator.slice(1), sockbench, "recv"],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = recv.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const nextLine = async (): Promise<string> => {
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    const i = text.indexOf("\n");
    const line = i < 0 ? text : text.slice(0, i);
    text = i < 0 ? "" : text.slice(i + 1);
    return line;
  };
  const port = await nextLine();
  const send = await new Deno.Command(emulator[0], {
    args: [...emulator.slice(1), sockbench, "send", String(port), String(mib)],
    stderr: "inherit",
  }).output();
  const last = await nextLine();
  await recv.status;
  const [bytes, ns] = last.split(" ").map(Number);
  if (!send.success || bytes !== mib * 2 ** 20 || !(ns > 0)) {
    throw new Error(`TCP transfer under ${emulator.join(" ")} failed: receiver said ${JSON.stringify(last)}`);
  }
  return bytes / (ns / 1e9) / 1e6;
}

/**
 * The median throughputs of `runs` alternating transfers under qemu-riscv64
 * and under `plume` (a command line).
 *
 * @returns MB/s under qemu and under plume
 */
export async function tcpThroughputRow(
  plume: string[],
  sockbench: string,
  mib: number,
  runs: number,
): Promise<{ qemu: number; plume: number }> {
  const q: number[] = [], p: number[] = [];
  for (let i = 0; i < runs; i++) {
    q.push(await tcpThroughput(["qemu-riscv64"], sockbench, mib));
    p.push(await tcpThroughput(plume, sockbench, mib));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  return { qemu: median(q), plume: median(p) };
}

if (import.meta.main) {
  const bin = fileUrlToPath(new URL("../tests/guest/bin/sockbench", import.meta.url));
  const plume = [
    Deno.execPath(),
    "run",
    "--quiet",
    "--allow-all",
    fileUrlToPath(new URL("../main.ts", import.meta.url)),
  ];
  const r = await tcpThroughputRow(plume, bin, 64, Number(Deno.args[0] ?? 5));
  console.log(
    `qemu ${r.qemu.toFixed(0)} MB/s, plume ${r.plume.toFixed(0)} MB/s, ${(r.plume / r.qemu * 100).toFixed(0)}%`,
  );
}
