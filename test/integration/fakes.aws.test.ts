/**
 * The Lambda fake and dynalite driven by the real AWS SDK v3 clients, so the fake's wire format is
 * exactly what @aws-sdk/client-lambda serialises and parses.
 */
import { GetAliasCommand, InvokeCommand, LambdaClient, ListVersionsByFunctionCommand, PublishVersionCommand, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { startDynalite, startFakeLambda, type Dynalite, type FakeLambda } from '../fakes/index.js';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const decode = (bytes: Uint8Array | undefined) => (bytes && bytes.length > 0 ? (JSON.parse(new TextDecoder().decode(bytes)) as unknown) : undefined);

describe('fake Lambda with the real LambdaClient', () => {
  let fake: FakeLambda;
  let lambda: LambdaClient;

  beforeAll(async () => {
    fake = await startFakeLambda();
    lambda = new LambdaClient({ endpoint: fake.url, region: 'us-east-1', credentials });
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    lambda.destroy();
    await fake.close();
  });

  describe('Invoke', () => {
    it('returns the handler result for RequestResponse with X-Amz-Executed-Version', async () => {
      // Prepare
      fake.onInvoke((payload, context) => ({ echo: payload, fn: context.functionName }));

      // Act
      const res = await lambda.send(new InvokeCommand({ FunctionName: 'foxops-api', Payload: encode({ action: 'status' }) }));

      // Assess
      expect(res.StatusCode).toBe(200);
      expect(res.ExecutedVersion).toBe('$LATEST');
      expect(res.FunctionError).toBeUndefined();
      expect(decode(res.Payload)).toEqual({ echo: { action: 'status' }, fn: 'foxops-api' });
      expect(fake.invocations).toEqual([
        expect.objectContaining({ functionName: 'foxops-api', qualifier: undefined, invocationType: 'RequestResponse', payload: { action: 'status' } }),
      ]);
    });

    it('resolves an alias qualifier given as ARN suffix or Qualifier', async () => {
      // Prepare
      fake.addFunction('foxops-worker', { versions: 3, aliases: { live: '2' } });

      // Act
      const byArn = await lambda.send(new InvokeCommand({ FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:foxops-worker:live' }));
      const byQualifier = await lambda.send(new InvokeCommand({ FunctionName: 'foxops-worker', Qualifier: '3' }));
      const unknown = await lambda.send(new InvokeCommand({ FunctionName: 'foxops-worker', Qualifier: 'canary' })).catch((error: Error) => error);

      // Assess
      expect(byArn.ExecutedVersion).toBe('2');
      expect(byQualifier.ExecutedVersion).toBe('3');
      expect(decode(byArn.Payload)).toBeNull(); // no handler registered: Lambda's literal null
      expect(unknown).toMatchObject({ name: 'ResourceNotFoundException' });
      expect(fake.invocations.map((i) => [i.qualifier, i.version])).toEqual([
        ['live', '2'],
        ['3', '3'],
      ]);
    });

    it('answers 202 to Event invocations before running the handler, and idle() waits for it', async () => {
      // Prepare
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const handled: unknown[] = [];
      fake.onInvoke(async (payload) => {
        await gate;
        handled.push(payload);
      });

      // Act (the gate opens only after send() resolved: a fake that awaited the handler would hang here)
      const res = await lambda.send(
        new InvokeCommand({ FunctionName: 'foxops-worker', InvocationType: 'Event', Payload: encode({ job: 'poll-run', runId: 9000001 }) }),
      );
      const handledBeforeIdle = handled.length;
      release();
      await fake.idle();

      // Assess
      expect(res.StatusCode).toBe(202);
      expect(decode(res.Payload)).toBeUndefined();
      expect(handledBeforeIdle).toBe(0);
      expect(handled).toEqual([{ job: 'poll-run', runId: 9000001 }]);
      expect(fake.invocations[0]?.invocationType).toBe('Event');
    });

    it('reports a throwing handler as FunctionError Unhandled, and async ones in asyncErrors', async () => {
      // Prepare
      fake.onInvoke(() => {
        throw new TypeError('boom');
      });

      // Act
      const sync = await lambda.send(new InvokeCommand({ FunctionName: 'foxops-api', Payload: encode({}) }));
      await lambda.send(new InvokeCommand({ FunctionName: 'foxops-api', InvocationType: 'Event', Payload: encode({}) }));
      await fake.idle();

      // Assess
      expect(sync.StatusCode).toBe(200);
      expect(sync.FunctionError).toBe('Unhandled');
      expect(decode(sync.Payload)).toMatchObject({ errorType: 'TypeError', errorMessage: 'boom' });
      expect(fake.asyncErrors).toEqual([expect.any(TypeError)]);
    });

    it('injects AWS-style errors the SDK parses (and retries when allowed)', async () => {
      // Prepare
      const noRetry = new LambdaClient({ endpoint: fake.url, region: 'us-east-1', credentials, maxAttempts: 1 });
      fake.failNext({ status: 429, errorType: 'TooManyRequestsException', message: 'Rate exceeded' });
      fake.failNext({ status: 500, errorType: 'ServiceException' });

      // Act
      const throttled = await noRetry.send(new InvokeCommand({ FunctionName: 'foxops-api' })).catch((error: Error) => error);
      const retried = await lambda.send(new InvokeCommand({ FunctionName: 'foxops-api' }));
      noRetry.destroy();

      // Assess
      expect(throttled).toMatchObject({ name: 'TooManyRequestsException', message: 'Rate exceeded' });
      expect(retried.StatusCode).toBe(200);
      expect(fake.requests).toHaveLength(3);
    });
  });

  describe('versions and aliases', () => {
    it('reads an alias, lists versions, publishes a new one and moves the alias to it', async () => {
      // Prepare
      fake.addFunction('foxops-api', { versions: 3, aliases: { live: '3' } });

      // Act
      const alias = await lambda.send(new GetAliasCommand({ FunctionName: 'foxops-api', Name: 'live' }));
      const listed = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: 'foxops-api' }));
      const published = await lambda.send(new PublishVersionCommand({ FunctionName: 'foxops-api', Description: 'deploy dep-9' }));
      const moved = await lambda.send(
        new UpdateAliasCommand({ FunctionName: 'foxops-api', Name: 'live', FunctionVersion: published.Version, RevisionId: alias.RevisionId }),
      );

      // Assess
      expect(alias).toMatchObject({ Name: 'live', FunctionVersion: '3', AliasArn: 'arn:aws:lambda:us-east-1:123456789012:function:foxops-api:live' });
      expect(listed.Versions?.map((v) => v.Version)).toEqual(['$LATEST', '1', '2', '3']);
      expect(published).toMatchObject({ Version: '4', Description: 'deploy dep-9', FunctionName: 'foxops-api' });
      expect(moved.FunctionVersion).toBe('4');
      expect(moved.RevisionId).not.toBe(alias.RevisionId);
      expect(fake.aliasVersion('foxops-api', 'live')).toBe('4');
      expect(fake.versionsOf('foxops-api')).toEqual(['1', '2', '3', '4']);
    });

    it('rejects a stale RevisionId (412), an unknown version and an unknown alias (404)', async () => {
      // Prepare
      fake.addFunction('foxops-api', { versions: 2, aliases: { live: '2' } });

      // Act
      const stale = await lambda
        .send(new UpdateAliasCommand({ FunctionName: 'foxops-api', Name: 'live', FunctionVersion: '1', RevisionId: 'stale' }))
        .catch((error: Error) => error);
      const badVersion = await lambda
        .send(new UpdateAliasCommand({ FunctionName: 'foxops-api', Name: 'live', FunctionVersion: '9' }))
        .catch((error: Error) => error);
      const badAlias = await lambda.send(new GetAliasCommand({ FunctionName: 'foxops-api', Name: 'nope' })).catch((error: Error) => error);
      const badFunction = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: 'nope' })).catch((error: Error) => error);

      // Assess
      expect(stale).toMatchObject({ name: 'PreconditionFailedException' });
      expect(badVersion).toMatchObject({ name: 'ResourceNotFoundException' });
      expect(badAlias).toMatchObject({ name: 'ResourceNotFoundException' });
      expect(badFunction).toMatchObject({ name: 'ResourceNotFoundException' });
      expect(fake.aliasVersion('foxops-api', 'live')).toBe('2');
    });
  });
});

describe('dynalite with the real DynamoDBClient', () => {
  let db: Dynalite;
  let dynamo: DynamoDBClient;

  beforeAll(async () => {
    db = await startDynalite();
    dynamo = new DynamoDBClient({ endpoint: db.url, region: 'us-east-1', credentials });
  });
  afterAll(async () => {
    dynamo.destroy();
    await db.close();
  });

  it('creates a table and round-trips an item', async () => {
    // Prepare
    await dynamo.send(
      new CreateTableCommand({
        TableName: 'foxops-deploys',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );

    // Act
    await dynamo.send(new PutItemCommand({ TableName: 'foxops-deploys', Item: { pk: { S: 'DEPLOY#dep-1' }, status: { S: 'queued' } } }));
    const got = await dynamo.send(new GetItemCommand({ TableName: 'foxops-deploys', Key: { pk: { S: 'DEPLOY#dep-1' } } }));

    // Assess
    expect(db.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(got.Item).toEqual({ pk: { S: 'DEPLOY#dep-1' }, status: { S: 'queued' } });
  });
});
