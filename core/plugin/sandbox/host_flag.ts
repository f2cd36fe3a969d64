/**
 * The flag that makes plume's entry point run as a plugin process (the
 * compiled executable starts itself with it), in a module of its own so
 * that `main.ts` can check for it without loading the sandbox.
 *
 * @module
 */

/** The first argument of a plugin process started from the compiled executable. */
export const PLUGIN_HOST_FLAG = "--plume-plugin-host";
