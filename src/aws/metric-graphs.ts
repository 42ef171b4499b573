/**
 * Metric graphs over the SDK: `GetMetricWidgetImage` with `OutputFormat: png`, which answers with the image's bytes.
 * Clients are made per region from the factory (an alarm is graphed in its own region). The SDK's own retries cover
 * throttling and 5xx; what still fails is told apart into refused (permanent) and unavailable (may pass).
 */
import { type CloudWatchClient, GetMetricWidgetImageCommand } from '@aws-sdk/client-cloudwatch';
import { MetricGraphError } from '../domain/alarm-graph.js';
import type { MetricGraphs } from '../domain/ports.js';

/** The SDK's error, as far as foxops reads it. */
type SdkError = { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };

/** Error names CloudWatch gives when it is busy: 4xx, but they pass. */
const THROTTLED = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException']);

/** {@link MetricGraphs} over `@aws-sdk/client-cloudwatch`. */
export class CloudWatchMetricGraphs implements MetricGraphs {
  /** `clientFor`: the client of a region; the caller keeps one per region (`perRegion` in src/aws/client-config.ts). */
  constructor(private readonly clientFor: (region: string | undefined) => CloudWatchClient) {}

  private client(region: string | undefined): CloudWatchClient {
    return this.clientFor(region);
  }

  /** {@inheritDoc MetricGraphs.render} */
  async render(widget: string, region?: string): Promise<Uint8Array> {
    let image: Uint8Array | undefined;
    try {
      ({ MetricWidgetImage: image } = await this.client(region).send(new GetMetricWidgetImageCommand({ MetricWidget: widget, OutputFormat: 'png' })));
    } catch (err) {
      const e = err as SdkError;
      const status = e?.$metadata?.httpStatusCode;
      const passes = status === undefined || status >= 500 || status === 429 || THROTTLED.has(e?.name ?? '');
      throw new MetricGraphError(passes ? 'unavailable' : 'refused', [e?.name, e?.message].filter(Boolean).join(': ').slice(0, 300) || undefined, status);
    }
    if (!image?.length) throw new MetricGraphError('unavailable', 'the answer carried no image');
    return image;
  }
}
