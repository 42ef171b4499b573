/**
 * The deployed services' CloudWatch alarms over the SDK, for the promotion gate: which alarms matching a target's
 * names or prefixes are in ALARM now. `DescribeAlarms` takes either names or one prefix per call, so a query makes
 * one call per prefix and one per 100 names, following `NextToken`. Clients are made per region from the factory.
 */
import { type CloudWatchClient, DescribeAlarmsCommand, type DescribeAlarmsCommandInput } from '@aws-sdk/client-cloudwatch';
import type { AlarmQuery, AlarmStates } from '../domain/ports.js';
import { AlarmReadError } from '../domain/promotion.js';

/** The SDK's error, as far as foxops reads it. */
type SdkError = { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };

/** Pages followed per call at most (100 alarms each): a runaway prefix must not hold the job up. */
const MAX_PAGES = 10;

/** {@link AlarmStates} over `@aws-sdk/client-cloudwatch`. */
export class CloudWatchAlarmStates implements AlarmStates {
  /** `clientFor`: the client of a region; the caller keeps one per region (`perRegion` in src/aws/client-config.ts). */
  constructor(private readonly clientFor: (region: string | undefined) => CloudWatchClient) {}

  private client(region: string | undefined): CloudWatchClient {
    return this.clientFor(region);
  }

  /** {@inheritDoc AlarmStates.firing} */
  async firing(query: AlarmQuery): Promise<string[]> {
    const inputs: Array<{ input: DescribeAlarmsCommandInput; resource: string }> = [
      ...query.prefixes.map((prefix) => ({ input: { AlarmNamePrefix: prefix }, resource: `alarm:${prefix}*` })),
      ...chunks(query.names, 100).map((names) => ({ input: { AlarmNames: names }, resource: `alarm:${names.join(',')}` })),
    ];
    const found = await Promise.all(inputs.map(({ input, resource }) => this.describe(query.region, input, resource)));
    return [...new Set(found.flat())].sort();
  }

  private async describe(region: string | undefined, input: DescribeAlarmsCommandInput, resource: string): Promise<string[]> {
    const names: string[] = [];
    let token: string | undefined;
    try {
      for (let page = 0; page < MAX_PAGES; page++) {
        const out = await this.client(region).send(
          new DescribeAlarmsCommand({
            ...input,
            StateValue: 'ALARM',
            AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
            ...(token ? { NextToken: token } : {}),
          }),
        );
        for (const a of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])]) if (a.AlarmName && a.StateValue === 'ALARM') names.push(a.AlarmName);
        token = out.NextToken;
        if (!token) break;
      }
    } catch (err) {
      const e = err as SdkError;
      const denied = e?.name === 'AccessDeniedException' || e?.name === 'AccessDenied' || e?.$metadata?.httpStatusCode === 403;
      throw new AlarmReadError(
        denied ? 'access_denied' : 'unavailable',
        'cloudwatch:DescribeAlarms',
        `${resource}${region ? ` (${region})` : ''}`,
        e?.message?.slice(0, 300),
      );
    }
    return names;
  }
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
