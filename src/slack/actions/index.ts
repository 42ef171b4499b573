/** Registers the card buttons. */
import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import { registerAlarmRollback } from './alarm-rollback.js';
import { registerApprove } from './approve.js';
import { registerCancel } from './cancel.js';
import { registerHomeFailureDm } from './home-failure-dm.js';
import { registerReject } from './reject.js';
import { registerRetry } from './retry.js';

/** Registers every block action listener on `app`. */
export function register(app: App, deps: SlackDeps): void {
  registerApprove(app, deps);
  registerReject(app, deps);
  registerRetry(app, deps);
  registerCancel(app, deps);
  registerHomeFailureDm(app, deps);
  registerAlarmRollback(app, deps);
}
