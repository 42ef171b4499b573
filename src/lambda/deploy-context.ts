/**
 * The deploy context on Lambda: DynamoDB, async self-invocation for jobs, Slack's Web API.
 * Its own module so that `/deploy help` never loads the AWS SDK.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { WebClient } from '@slack/web-api';
import { awsClientConfig } from '../aws/client-config.js';
import { LambdaInvoker } from '../aws/lambda-invoker.js';
import type { Env, FoxopsConfig } from '../config/load.js';
import type { DeployContext } from '../deploys/context.js';
import { LambdaJobQueue } from '../jobs/queues.js';
import type { Logger } from '../log.js';
import { type ContextTuning, createDeployContext } from '../wiring.js';

/** Creates the deploy context for this function. */
export function createLambdaContext(env: Env, config: FoxopsConfig, logger: Logger, options: ContextTuning): DeployContext {
  if (!config.selfFunction) throw new Error('FOXOPS_SELF_FUNCTION (or AWS_LAMBDA_FUNCTION_NAME) is needed to run async jobs');
  const jobs = new LambdaJobQueue(new LambdaInvoker(new LambdaClient(awsClientConfig(env, 'LAMBDA'))), config.selfFunction, logger);
  const slackClient = new WebClient(config.slack.botToken, config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {});
  return createDeployContext({ config, logger, dynamo: new DynamoDBClient(awsClientConfig(env, 'DYNAMODB')), slackClient, jobs, ...options });
}
