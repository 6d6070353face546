/**
 * The first import of src/main.ts: runs before any other module of the gateway is evaluated, so
 * that a re-exec (upstream-request-limit.ts) does not pay for loading them twice. Nothing else may
 * import it: importing it replaces the importing process.
 */
import { reexecWithoutLimit } from "./upstream-request-limit.ts";

reexecWithoutLimit();
