/**
 * Runs before every test file (jest `setupFiles`). Tests build AWS SDK clients of their own (dynalite, the fakes),
 * not only through foxops' wiring, so the module that turns off the SDK's Node version warning is loaded first.
 */
import '../../src/aws/client-config.js';
