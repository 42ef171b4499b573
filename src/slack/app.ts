/**
 * `buildApp(config, deps)`: the Bolt app with every listener registered, on whichever receiver
 * the entry point gives it (AwsLambdaReceiver on Lambda, HTTPReceiver or Socket Mode locally).
 */
import { App, type LogLevel, type Logger as BoltLogger, type Receiver } from '@slack/bolt';
import type { FoxopsConfig } from '../config/load.js';
import type { Logger } from '../log.js';
import { register as registerActions } from './actions/index.js';
import { register as registerCommands } from './commands/index.js';
import { register as registerEvents } from './events/index.js';
import { register as registerViews } from './views/index.js';
import type { SlackDeps } from './deps.js';

export type { SlackDeps } from './deps.js';

/** Options for {@link buildApp}. */
export interface BuildAppOptions {
  receiver?: Receiver;
  /** Socket Mode instead of a receiver (local runs with SLACK_APP_TOKEN). */
  socketMode?: boolean;
}

/**
 * Bolt's own messages are free text (at debug level it prints whole requests, with Slack's legacy
 * verification token and signatures): tokens and token-like fields are masked before they reach a log.
 */
export function scrubSecrets(text: string): string {
  return text
    .replace(/\bxox[a-z]-[A-Za-z0-9-]+/g, 'xox?-[redacted]')
    .replace(/\bxapp-[A-Za-z0-9-]+/g, 'xapp-[redacted]')
    .replace(/("?(?:token|x-slack-signature|signature)"?\s*[:=]\s*"?)[^"&,\s}]+/gi, '$1[redacted]');
}

/** Bolt logs through foxops' structured logger, so one log stream tells the whole story. */
export function boltLogger(logger: Logger, level: FoxopsConfig['logLevel']): BoltLogger {
  let current = level as LogLevel;
  const write = (at: 'debug' | 'info' | 'warn' | 'error') => (...msg: unknown[]) => logger[at]('bolt', { msg: scrubSecrets(msg.map(String).join(' ')) });
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    setLevel: (l: LogLevel) => {
      current = l;
    },
    getLevel: () => current,
    setName: () => {},
  };
}

/** Builds the Bolt app for `config` with all of foxops' listeners. */
export function buildApp(config: FoxopsConfig, deps: SlackDeps, options: BuildAppOptions): App {
  const app = new App({
    token: config.slack.botToken,
    // With both ids known, Bolt skips `auth.test` on the first event: one Slack round trip less at cold start.
    ...(config.slack.botId && config.slack.botUserId ? { botId: config.slack.botId, botUserId: config.slack.botUserId } : {}),
    ...(options.receiver ? { receiver: options.receiver } : { signingSecret: config.slack.signingSecret }),
    ...(options.socketMode ? { socketMode: true, appToken: config.slack.appToken } : {}),
    clientOptions: config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {},
    logger: boltLogger(deps.logger, config.logLevel),
    logLevel: config.logLevel as LogLevel,
  });
  registerCommands(app, deps);
  registerActions(app, deps);
  registerEvents(app, deps);
  registerViews(app, deps);
  app.error(async (error) => {
    deps.logger.error('slack.unhandled_error', { err: error.original ?? error, code: error.code });
  });
  return app;
}
