/** Registers the dialog (view submission) listeners. */
import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import { registerRejectReason } from './reject-reason.js';

/** Registers every view listener on `app`. */
export function register(app: App, deps: SlackDeps): void {
  registerRejectReason(app, deps);
}
