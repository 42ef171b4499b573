/**
 * The deploy context on Lambda: DynamoDB (requests, and jobs in the outbox that the table's stream delivers back
 * to this function) and Slack's Web API. Its own module so that `/deploy help` never loads the AWS SDK.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { WebClient } from '@slack/web-api';
import { awsClientConfig } from '../aws/client-config.js';
import type { Env, FoxopsConfig } from '../config/load.js';
import type { DeployContext } from '../deploys/context.js';
import type { Logger } from '../log.js';
import { slackLogger } from '../slack/logger.js';
import { type ContextTuning, createDeployContext } from '../wiring.js';

/** Creates the deploy context for this function. */
export function createLambdaContext(env: Env, config: FoxopsConfig, logger: Logger, options: ContextTuning): DeployContext {
  // Made on first use: the ack of a command does not call Slack through it (see ContextParts.slackClient).
  const slackClient = () =>
    new WebClient(config.slack.botToken, {
      ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
      logger: slackLogger(logger, config.logLevel, 'slack.web_api'),
    });
  // `env` also says where the deployed services' Lambda API is (AWS_ENDPOINT_URL_LAMBDA in tests), for rollback jobs.
  return createDeployContext({ config, logger, dynamo: new DynamoDBClient(awsClientConfig(env, 'DYNAMODB')), slackClient, env, ...options }).context;
}
