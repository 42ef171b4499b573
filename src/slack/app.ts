/**
 * `buildApp(config, deps)`: the Bolt app with every listener registered, on whichever receiver
 * the entry point gives it (AwsLambdaReceiver on Lambda, HTTPReceiver or Socket Mode locally).
 */
import { App, type CodedError, type LogLevel, type Logger as BoltLogger, type Receiver } from '@slack/bolt';
import type { FoxopsConfig } from '../config/load.js';
import type { Logger } from '../log.js';
import { register as registerActions } from './actions/index.js';
import { register as registerCommands } from './commands/index.js';
import { register as registerEvents } from './events/index.js';
import { register as registerViews } from './views/index.js';
import { guardReceiver } from './guard.js';
import { inboundKind, inboundUser } from './inbound.js';
import { slackLogger } from './logger.js';
import type { SlackDeps } from './deps.js';

export type { SlackDeps } from './deps.js';

/** Options for {@link buildApp}. */
export interface BuildAppOptions {
  receiver?: Receiver;
  /** Socket Mode instead of a receiver (local runs with SLACK_APP_TOKEN). */
  socketMode?: boolean;
}

export { scrubSecrets } from './logger.js';

/** Bolt logs through foxops' structured logger, so one log stream tells the whole story (see src/slack/logger.ts). */
export function boltLogger(logger: Logger, level: FoxopsConfig['logLevel']): BoltLogger {
  return slackLogger(logger, level, 'bolt');
}

/** Builds the Bolt app for `config` with all of foxops' listeners. */
export function buildApp(config: FoxopsConfig, deps: SlackDeps, options: BuildAppOptions): App {
  const app = new App({
    token: config.slack.botToken,
    // With both ids known, Bolt skips `auth.test` on the first event: one Slack round trip less at cold start.
    ...(config.slack.botId && config.slack.botUserId ? { botId: config.slack.botId, botUserId: config.slack.botUserId } : {}),
    // Every signed request is checked for shape before Bolt reads it, and nothing it throws becomes a 500.
    ...(options.receiver ? { receiver: guardReceiver(options.receiver, deps.logger) } : { signingSecret: config.slack.signingSecret }),
    ...(options.socketMode ? { socketMode: true, appToken: config.slack.appToken } : {}),
    clientOptions: config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {},
    logger: boltLogger(deps.logger, config.logLevel),
    logLevel: config.logLevel as LogLevel,
    // The error handler also gets the request, so its line says what kind of request failed and for whom.
    extendedErrorHandler: true,
  });
  registerCommands(app, deps);
  registerActions(app, deps);
  registerEvents(app, deps);
  registerViews(app, deps);
  app.error(async ({ error, body }: { error: CodedError; body: unknown }) => {
    deps.logger.error('slack.unhandled_error', { err: error.original ?? error, code: error.code, kind: inboundKind(body), user: inboundUser(body) });
  });
  return app;
}
