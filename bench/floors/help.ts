/**
 * A benchmark floor (bench/floors/README in docs/benchmarks.md, "Floors"): Bolt alone, on the AwsLambdaReceiver with
 * its signature check, answering `/deploy help` with a fixed text. No foxops code: what any Bolt app on Lambda pays
 * for its first command, which foxops' own cold start cannot go below.
 */
import { App, AwsLambdaReceiver } from '@slack/bolt';

/** Builds the app and answers one Function URL event. */
export async function run(event: unknown): Promise<unknown> {
  const receiver = new AwsLambdaReceiver({ signingSecret: process.env.SLACK_SIGNING_SECRET! });
  // As foxops: both bot ids known, so Bolt skips `auth.test`.
  const app = new App({ token: process.env.SLACK_BOT_TOKEN, botId: process.env.SLACK_BOT_ID, botUserId: process.env.SLACK_BOT_USER_ID, receiver });
  app.command('/deploy', async ({ ack }) => {
    await ack({ response_type: 'ephemeral', text: 'foxops: /deploy <env> [service] [ref]' });
  });
  const handler = await receiver.start();
  return handler(event as never, {});
}
