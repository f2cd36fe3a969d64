/**
 * Entry point of the plugin side, bundled into
 * `runtime_bundle_generated.ts` as one script that defines `plumeRuntime`.
 * The sandbox evaluates that script in the plugin's worker and calls
 * {@link main}.
 *
 * @module
 */

import { type RuntimeFailed, type RuntimeInit, type RuntimeReady, start } from "./dispatcher.ts";
import { apiObject } from "./binding_generated.ts";

/**
 * Evaluates the plugin in `init` with the API bound, reports with `post`,
 * then serves the channel until the worker is terminated.
 */
export function main(init: RuntimeInit, post: (m: RuntimeReady | RuntimeFailed) => void): void {
  start(init, apiObject(), post);
}
