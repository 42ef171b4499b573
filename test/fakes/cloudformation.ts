/** Moved: the sandbox's simulator is the one implementation (src/sandbox/sim/cloudformation.ts); tests import it from here. */
export * from '../../src/sandbox/sim/cloudformation.js';
