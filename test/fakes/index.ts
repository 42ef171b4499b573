/** Loopback fakes of Slack, GitHub, Lambda and DynamoDB for integration tests and the offline sandbox. */
export * from './slack.js';
export * from './github.js';
export * from './aws.js';
export * from './dynamodb.js';
export * from './dynamodb-streams.js';
