/** What listeners need besides Bolt's own arguments. Its own module so that listeners do not import the app that registers them. */
import type { FoxopsConfig } from '../config/load.js';
import type { DeployContext } from '../deploys/context.js';
import type { Logger } from '../log.js';

/** The configuration, the logger and the deploy context of one process. */
export interface SlackDeps {
  config: FoxopsConfig;
  logger: Logger;
  /** The deploy context, created on first use so that `/deploy help` never loads the store. */
  context: () => Promise<DeployContext>;
}
