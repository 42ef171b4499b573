/** Registers the slash commands. */
import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import { registerDeployCommand } from './deploy.js';

/** Registers every slash command listener on `app`. */
export function register(app: App, deps: SlackDeps): void {
  registerDeployCommand(app, deps);
}
