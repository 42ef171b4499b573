/**
 * Slack's libraries (Bolt, its receivers, the WebClient) log through foxops' structured logger, so one log stream
 * tells the whole story. Its own module, free of Bolt, so that the WebClient of jobs can use it without loading Bolt.
 */
import type { Logger as SlackLogger, LogLevel as SlackLogLevel } from '@slack/web-api';
import { clip, type Logger, type LogLevel } from '../log.js';

/** Bolt prints whole requests at debug level; a message is cut to this many characters. */
const MAX_MESSAGE = 2000;

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

/**
 * A logger for Slack's libraries that writes their messages as foxops lines named `event` (`bolt` for Bolt and its
 * receivers, `slack.web_api` for a WebClient), masked and cut to a bounded length.
 */
export function slackLogger(logger: Logger, level: LogLevel, event = 'bolt'): SlackLogger {
  let current = level as SlackLogLevel;
  // Masked before it is cut, so that a token cut in half is still recognised as one.
  const write =
    (at: LogLevel) =>
    (...msg: unknown[]) =>
      logger[at](event, { msg: clip(scrubSecrets(msg.map(String).join(' ')), MAX_MESSAGE) });
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    setLevel: (l: SlackLogLevel) => {
      current = l;
    },
    getLevel: () => current,
    setName: () => {},
  };
}
