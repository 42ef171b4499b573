/** Registers Events API listeners. */
import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import { registerAppHome } from './app-home-opened.js';

/** Registers every event listener on `app`. */
export function register(app: App, deps: SlackDeps): void {
  registerAppHome(app, deps);
}
