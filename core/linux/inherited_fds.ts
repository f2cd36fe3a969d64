/**
 * The descriptors above 2 that plume was started with — a shell's `3<file`
 * or `4>&1`, the `/dev/fd/63` of a process substitution `<(…)`, make's
 * jobserver pipe — which the guest's first process gets at the same
 * numbers, as qemu-user's guest, which shares its descriptors, does.
 * Without them `diff <(seq 3) <(seq 4)` under plume said "No such file or
 * directory" (found by a differential sweep of Debian's programs).
 *
 * Deno opens every descriptor of its own close-on-exec; a descriptor
 * passed on purpose is not. So the inherited ones are those without the
 * flag, taken when plume starts ({@link inheritedDescriptors}), before it
 * marks every descriptor close-on-exec for the plugin processes it starts
 * (a look at each descriptor's `/proc/self/fdinfo`: about 1.3 ms for the
 * 21 that Deno has open by then, measured; taken later, descriptors plume
 * made through the C library without close-on-exec would look inherited).
 * Each is opened again through `/proc/self/fd/N` (`HostFile.inherited`): a
 * pipe or a terminal is the same one, a file the same file at the offset
 * it had (a description of its own from then on); a socket cannot be
 * opened so, and is left out.
 *
 * @module
 */

/**
 * `O_CLOEXEC` as `/proc/self/fdinfo` shows it (open_file.ts's constant: not imported, as the command line's front loads
 * this module before the emulator's modules).
 */
const O_CLOEXEC = 0o2000000;

/** A descriptor plume was started with: its number, its open flags and its offset (`/proc/self/fdinfo`). */
export interface InheritedDescriptor {
  readonly fd: number;
  readonly flags: number;
  readonly pos: number;
}

/**
 * The descriptors above 2 this process has that are not close-on-exec,
 * in increasing order; none where `/proc` cannot be read.
 *
 * @example
 * ```ts
 * import { inheritedDescriptors } from "./inherited_fds.ts";
 * for (const d of inheritedDescriptors()) console.log(d.fd, d.flags.toString(8), d.pos);
 * ```
 */
export function inheritedDescriptors(): InheritedDescriptor[] {
  const found: InheritedDescriptor[] = [];
  let names: string[];
  try {
    names = [...Deno.readDirSync("/proc/self/fd")].map((e) => e.name);
  } catch {
    return found;
  }
  for (const name of names) {
    const fd = Number(name);
    if (!Number.isInteger(fd) || fd <= 2) continue;
    // Undefined for one closed since the listing (the listing's own descriptor among them).
    const info = hostFdInfo(fd);
    if (info !== undefined && !(info.flags & O_CLOEXEC)) found.push({ fd, ...info });
  }
  return found.sort((a, b) => a.fd - b.fd);
}

/**
 * Host descriptor `fd`'s open flags (close-on-exec among them) and offset, from `/proc/self/fdinfo`; undefined where
 * that cannot be read.
 *
 * @example
 * ```ts
 * import { hostFdInfo } from "./inherited_fds.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(typeof hostFdInfo(0)?.pos, "number"); // where /proc is mounted
 * ```
 */
export function hostFdInfo(fd: number): { flags: number; pos: number } | undefined {
  try {
    const info = Deno.readTextFileSync(`/proc/self/fdinfo/${fd}`);
    const flags = parseInt(/^flags:\s*([0-7]+)/m.exec(info)?.[1] ?? "", 8);
    return Number.isNaN(flags) ? undefined : { flags, pos: Number(/^pos:\s*(\d+)/m.exec(info)?.[1] ?? 0) };
  } catch {
    return undefined;
  }
}
