/**
 * Told of each host program plume starts for the guest (`host_exec.ts`),
 * while set. A module of its own, with no imports, so that the plugin
 * loader (`plugin/sandbox/cpus.ts`, which gives such a program back the
 * cores plume's main thread no longer has while plugins run) does not load
 * the emulator's modules before it starts the plugin processes.
 *
 * @module
 */

/**
 * The hook: `started` is called with the host program's pid just after it
 * started.
 *
 * @example
 * ```ts
 * import { hostChildren } from "./host_children.ts";
 * hostChildren.started = (pid) => console.log(`host program ${pid}`);
 * hostChildren.started = undefined;
 * ```
 */
export const hostChildren: { started: ((pid: number) => void) | undefined } = { started: undefined };
