// The comparison for the cold-start benchmark: the same handler, with every dependency loaded up
// front as a plain bundle would (Bolt with all receivers, Octokit, four AWS SDK clients).
import '@slack/bolt';
import '@octokit/rest';
import '@aws-sdk/client-lambda';
import '@aws-sdk/client-cloudformation';
import '@aws-sdk/client-cloudwatch';
import '@aws-sdk/client-dynamodb';
export { handler } from '../src/lambda/index.js';
