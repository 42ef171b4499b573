/**
 * A benchmark floor (docs/benchmarks.md, "Floors"): Bolt alone, as in ./help.ts, whose `/deploy prod` listener makes
 * the two DynamoDB calls that foxops' ack makes (the lock count, then the request's conditional put) through the AWS
 * SDK's DynamoDB client, loaded on first use, before it answers. No foxops code but the client's settings
 * (src/aws/client-config.ts): what the fixed choices alone cost a cold `/deploy prod`.
 */
import '../../src/aws/client-config.js';
import { App, AwsLambdaReceiver } from '@slack/bolt';
import { awsClientConfig } from '../../src/aws/client-config.js';

/** Builds the app and answers one Function URL event. */
export async function run(event: unknown): Promise<unknown> {
  const receiver = new AwsLambdaReceiver({ signingSecret: process.env.SLACK_SIGNING_SECRET! });
  const app = new App({ token: process.env.SLACK_BOT_TOKEN, botId: process.env.SLACK_BOT_ID, botUserId: process.env.SLACK_BOT_USER_ID, receiver });
  app.command('/deploy', async ({ ack, command }) => {
    const { DynamoDBClient, PutItemCommand, QueryCommand } = await import('@aws-sdk/client-dynamodb');
    const client = new DynamoDBClient(awsClientConfig(process.env, 'DYNAMODB'));
    const TableName = process.env.FOXOPS_TABLE!;
    const { Count } = await client.send(
      new QueryCommand({
        TableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :lock)',
        FilterExpression: '#owner <> :me',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':pk': { S: 'ENV#production' }, ':lock': { S: 'LOCK#' }, ':me': { S: command.user_id } },
        Select: 'COUNT',
        ConsistentRead: true,
      }),
    );
    await client.send(
      new PutItemCommand({
        TableName,
        Item: { PK: { S: `FLOOR#${command.trigger_id}` }, SK: { S: '#REQ' }, status: { S: 'preparing' } },
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    );
    await ack({ response_type: 'ephemeral', text: `foxops: Resolving (${Count ?? 0} locks)` });
  });
  const handler = await receiver.start();
  return handler(event as never, {});
}
