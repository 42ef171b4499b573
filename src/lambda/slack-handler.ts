/**
 * The Slack side of the Lambda: Bolt's AwsLambdaReceiver with its signature checks and the app.
 * Its own module so that the entry loads Bolt only when a Slack request arrives.
 */
import { AwsLambdaReceiver } from '@slack/bolt';
import type { FoxopsConfig } from '../config/load.js';
import type { DeployContext } from '../deploys/context.js';
import type { Logger } from '../log.js';
import { buildApp } from '../slack/app.js';
import type { HttpResult } from '../http.js';

/** A Function URL handler for `/slack/events`. */
export type SlackHandler = (event: unknown, context: unknown) => Promise<HttpResult>;

/** Builds the app on an AwsLambdaReceiver and returns the receiver's handler. */
export async function createSlackHandler(config: FoxopsConfig, logger: Logger, context: () => Promise<DeployContext>): Promise<SlackHandler> {
  const receiver = new AwsLambdaReceiver({
    signingSecret: config.slack.signingSecret!,
    invalidRequestSignatureHandler: ({ ts }) => logger.warn('slack.bad_signature', { ts }),
  });
  buildApp(config, { config, logger, context }, { receiver });
  return (await receiver.start()) as unknown as SlackHandler;
}
