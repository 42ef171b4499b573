/** Moved: the sandbox's simulator is the one implementation (src/sandbox/sim/http.ts); tests import it from here. */
export * from '../../src/sandbox/sim/http.js';
