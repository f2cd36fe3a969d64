/**
 * How plume starts a plugin process, in a module of its own so that
 * `main.ts` and the command line reach it without loading the sandbox: the
 * flag that makes the compiled executable run as a plugin process, and the
 * module `deno run` starts otherwise.
 *
 * @module
 */

/** The first argument of a plugin process started from the compiled executable. */
export const PLUGIN_HOST_FLAG = "--plume-plugin-host";

let hostModule: string | undefined;

/**
 * Makes plugin processes run `path` (plume's own modules bundled, see
 * `core/app/own_bundle.ts`) instead of `host.ts` from the sources.
 */
export function useHostModule(path: string): void {
  hostModule = path;
}

/** The module a plugin process runs, when it is not `host.ts` from the sources. */
export function bundledHostModule(): string | undefined {
  return hostModule;
}
