/**
 * The two adapters of the alarm graph with the real SDK clients against the loopback fakes: CloudWatchMetricGraphs
 * (GetMetricWidgetImage over AWS JSON 1.0, its errors told apart into refused and unavailable) and the thread upload
 * of SlackFileDelivery (the same three steps as the audit export's, with `thread_ts`, Slack's refusals told apart).
 */
import { perRegion } from '../../src/aws/client-config.js';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { WebClient } from '@slack/web-api';
import { CloudWatchMetricGraphs } from '../../src/aws/metric-graphs.js';
import { MetricGraphError } from '../../src/domain/alarm-graph.js';
import { FileRefusedError } from '../../src/domain/errors.js';
import { memoryLogger } from '../../src/log.js';
import { SlackFileDelivery } from '../../src/slack/files.js';
import { GRAPH_PNG, startFakeCloudWatch, type FakeCloudWatch } from '../fakes/cloudwatch.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack.js';

/** Attempts the SDK makes per call here (its default is 3). */
const ATTEMPTS = 2;
const WIDGET = JSON.stringify({ metrics: [['AWS/Lambda', 'Errors', 'FunctionName', 'f']], start: '-PT3H', region: 'eu-west-1' });

describe('CloudWatchMetricGraphs', () => {
  let cw: FakeCloudWatch;
  let regions: Array<string | undefined>;
  let graphs: CloudWatchMetricGraphs;
  beforeEach(async () => {
    cw = await startFakeCloudWatch();
    regions = [];
    // As src/wiring.ts makes them: one client per region.
    graphs = new CloudWatchMetricGraphs(
      perRegion((region) => {
        regions.push(region);
        // Few, short retries: the SDK's own retry of a 5xx is part of what is tested, its back-off is not.
        return new CloudWatchClient({
          region: region ?? 'us-east-1',
          endpoint: cw.url,
          credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
          maxAttempts: ATTEMPTS,
        });
      }),
    );
  });
  afterEach(async () => {
    await cw.close();
  });

  it("returns CloudWatch's PNG for the widget, one client per region", async () => {
    // Act
    const first = await graphs.render(WIDGET, 'eu-west-1');
    const second = await graphs.render(WIDGET, 'eu-west-1');

    // Assess
    expect(Buffer.from(first)).toEqual(GRAPH_PNG);
    expect(Buffer.from(second)).toEqual(GRAPH_PNG);
    expect(cw.calls.map((c) => c.input)).toEqual([
      { MetricWidget: WIDGET, OutputFormat: 'png' },
      { MetricWidget: WIDGET, OutputFormat: 'png' },
    ]);
    expect(regions).toEqual(['eu-west-1']);
  });

  it.each([
    ['a widget CloudWatch finds invalid', 'refused', { status: 400, code: 'ValidationError', message: 'bad widget' }, 400],
    ['no permission', 'refused', { status: 403, code: 'AccessDenied', message: 'not authorized to perform cloudwatch:GetMetricWidgetImage' }, 403],
    ['throttling', 'unavailable', { status: 400, code: 'Throttling', message: 'Rate exceeded' }, 400],
    ['a server error', 'unavailable', { status: 500, code: 'InternalServiceError', message: 'oops' }, 500],
  ])('tells %s apart as %s', async (_what, code, failure, status) => {
    // Prepare: every attempt the SDK makes fails alike
    for (let i = 0; i < ATTEMPTS; i++) cw.failNext(failure);

    // Act
    const error = await graphs.render(WIDGET).catch((err: unknown) => err);

    // Assess
    expect(error).toBeInstanceOf(MetricGraphError);
    expect(error).toMatchObject({ code, status, said: expect.stringContaining(failure.message) });
  });
});

describe('SlackFileDelivery.shareAlarmGraph', () => {
  let slack: FakeSlack;
  let files: SlackFileDelivery;
  const alarm = { name: 'foxy-backend-production-errors', state: 'ALARM' as const, reason: 'r', at: '2026-11-28T10:01:00.123Z' };
  beforeEach(async () => {
    slack = await startFakeSlack();
    files = new SlackFileDelivery(new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } }), memoryLogger());
  });
  afterEach(async () => {
    await slack.close();
  });

  it('uploads the PNG from memory as a reply in the thread, with its length, title and alt text', async () => {
    // Act
    const id = await files.shareAlarmGraph('C0PROD', '1700000000.000100', { alarm, png: new Uint8Array(GRAPH_PNG), threshold: true });

    // Assess
    expect(slack.filesInThread('C0PROD', '1700000000.000100')).toEqual([
      expect.objectContaining({
        id,
        filename: 'foxy-backend-production-errors-20261128-1001.png',
        length: GRAPH_PNG.length,
        content: GRAPH_PNG,
        headers: { contentLength: String(GRAPH_PNG.length), contentType: 'application/octet-stream' },
        title: 'foxy-backend-production-errors: the 3 hours before the alarm (UTC)',
        altText: expect.stringContaining('with the threshold as a horizontal line.'),
        completed: true,
      }),
    ]);
  });

  it('turns a refusal that does not pass into FileRefusedError, naming the step', async () => {
    // Prepare
    slack.failNext('files.completeUploadExternal', { error: 'not_in_channel' });

    // Act
    const error = await files.shareAlarmGraph('C0PROD', '1700000000.000100', { alarm, png: GRAPH_PNG, threshold: false }).catch((err: unknown) => err);

    // Assess
    expect(error).toBeInstanceOf(FileRefusedError);
    expect(error).toMatchObject({ code: 'not_in_channel', method: 'files.completeUploadExternal' });
  });

  it('throws what may pass as it is, for the job to be delivered again', async () => {
    // Prepare
    slack.failNext('file_upload', { status: 503 });

    // Act
    const error = await files.shareAlarmGraph('C0PROD', '1700000000.000100', { alarm, png: GRAPH_PNG, threshold: false }).catch((err: unknown) => err);

    // Assess
    expect(error).not.toBeInstanceOf(FileRefusedError);
    expect(String(error)).toContain('HTTP 503');
    expect(slack.filesIn('C0PROD')).toEqual([]);
  });
});
