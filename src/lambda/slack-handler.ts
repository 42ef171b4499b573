/**
 * The Slack side of the Lambda: Bolt's AwsLambdaReceiver with its signature checks and the app.
 * Its own module so that the entry loads Bolt only when a Slack request arrives.
 */
import { AwsLambdaReceiver } from '@slack/bolt';
import type { FoxopsConfig } from '../config/load.js';
import type { DeployContext } from '../deploys/context.js';
import type { Logger } from '../log.js';
import { boltLogger, buildApp } from '../slack/app.js';
import { refuseBeforeReceiver } from '../slack/guard.js';
import type { HttpEvent, HttpResult } from '../http.js';

/** A Function URL handler for `/slack/events`. */
export type SlackHandler = (event: unknown, context: unknown) => Promise<HttpResult>;

/** Builds the app on an AwsLambdaReceiver and returns the receiver's handler. */
export async function createSlackHandler(config: FoxopsConfig, logger: Logger, context: () => Promise<DeployContext>): Promise<SlackHandler> {
  const signingSecret = config.slack.signingSecret!;
  const receiver = new AwsLambdaReceiver({
    signingSecret,
    logger: boltLogger(logger, config.logLevel),
    invalidRequestSignatureHandler: ({ ts }) => logger.warn('slack.bad_signature', { ts }),
  });
  buildApp(config, { config, logger, context }, { receiver });
  const handle = (await receiver.start()) as unknown as SlackHandler;
  return async (event, lambdaContext) => {
    // The receiver parses the body before it checks the signature, and throws when it cannot: such a body is
    // refused here instead, 401 unless signed (exactly as the receiver refuses any unsigned request), else 400. So is
    // a timestamp more than 5 minutes ahead, which the receiver lets through.
    const { body = '', headers = {} } = event as Partial<HttpEvent>;
    const header = (name: string) => Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
    const refused = refuseBeforeReceiver(body, header, signingSecret, logger);
    return refused ? { ...refused, body: '' } : handle(event, lambdaContext);
  };
}
