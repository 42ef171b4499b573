/**
 * The graph under an ALARM post: the alarm's metric over the 3 hours before it, with the threshold and the
 * likely-cause deploy, rendered by CloudWatch (`GetMetricWidgetImage`) and uploaded in the message's thread. It is
 * its own `alarm_graph` job, queued by the alarm job once the message is posted: the SNS route only queues, and a
 * graph that cannot be made never holds up or repeats the message, which stands on its own.
 */
import type { DeployContext } from '../deploys/context.js';
import type { AlarmNotice } from '../domain/alarm.js';
import { alarmGraphWidget, MetricGraphError } from '../domain/alarm-graph.js';
import { FileRefusedError } from '../domain/errors.js';
import type { AlarmGraphJob, DeploymentRecord } from '../domain/ports.js';

/** What {@link queueAlarmGraph} needs: the alarm, where its message is, and the deploy the message names as likely cause. */
export interface AlarmGraphAsk {
  alarm: AlarmNotice;
  /** The channel and ts of the posted alarm message: the graph goes into its thread. */
  channel: string;
  threadTs: string;
  /** The likely-cause deploy, drawn as a vertical line at its finish; leave it out when the message names none. */
  deploy?: DeploymentRecord;
}

/**
 * Queues the graph of an ALARM (other states get none: the thread already shows the ALARM's). Never throws: the
 * message it follows was posted, and a failed queue must not make the alarm job fail and post it again; it is
 * logged (`alarm.graph_failed`) instead. Returns whether a job was queued (false also when it was queued before).
 */
export async function queueAlarmGraph(ctx: DeployContext, ask: AlarmGraphAsk): Promise<boolean> {
  if (ask.alarm.state !== 'ALARM') return false;
  const job: AlarmGraphJob = {
    type: 'alarm_graph',
    alarm: ask.alarm,
    channel: ask.channel,
    threadTs: ask.threadTs,
    ...(ask.deploy ? { deployAt: ask.deploy.finishedAt, deploySha: ask.deploy.sha } : {}),
  };
  try {
    return await ctx.jobs.enqueue(job);
  } catch (err) {
    ctx.logger.warn('alarm.graph_failed', { alarm: ask.alarm.name, at: ask.alarm.at, step: 'queue', err, next: 'the message stands without a graph' });
    return false;
  }
}

/**
 * Runs the `alarm_graph` job: draws the widget, has CloudWatch render it, uploads the PNG in the thread. What will
 * not get better by trying again ends the job with one log line and no throw: an alarm without a metric to draw
 * (`alarm.graph_skipped`, info), CloudWatch refusing the widget or Slack refusing the file (`alarm.graph_failed`,
 * warn). What may pass (CloudWatch unavailable after the SDK's retries, Slack errors, the network) throws, so the
 * job is delivered again (and buried after its starts run out, like every job).
 */
export async function runAlarmGraph(ctx: DeployContext, job: AlarmGraphJob): Promise<'posted' | 'skipped' | 'failed'> {
  const { alarm } = job;
  const deploy = job.deployAt && job.deploySha ? { at: job.deployAt, sha: job.deploySha } : undefined;
  const drawn = alarmGraphWidget(alarm, deploy);
  const fields = { alarm: alarm.name, at: alarm.at, channel: job.channel, threadTs: job.threadTs };
  if ('none' in drawn) {
    ctx.logger.info('alarm.graph_skipped', { ...fields, why: drawn.none });
    return 'skipped';
  }
  let png: Uint8Array;
  try {
    png = await (await ctx.metricGraphs()).render(JSON.stringify(drawn.widget), alarm.region);
  } catch (err) {
    if (!(err instanceof MetricGraphError) || err.code !== 'refused') throw err;
    ctx.logger.warn('alarm.graph_failed', {
      ...fields,
      step: 'render',
      status: err.status,
      said: err.said,
      ...(err.status === 403 ? { fix: "grant cloudwatch:GetMetricWidgetImage to foxops' role (infra/foxops/template.yml)" } : {}),
      next: 'the message stands without a graph',
    });
    return 'failed';
  }
  try {
    const file = await (await ctx.files()).shareAlarmGraph(job.channel, job.threadTs, {
      alarm,
      png,
      threshold: Boolean(drawn.widget.annotations?.horizontal?.length),
      ...(drawn.widget.annotations?.vertical?.length && deploy ? { deploySha: deploy.sha } : {}),
    });
    ctx.logger.info('alarm.graph_posted', { ...fields, file, bytes: png.byteLength });
    return 'posted';
  } catch (err) {
    if (!(err instanceof FileRefusedError)) throw err;
    ctx.logger.warn('alarm.graph_failed', { ...fields, step: err.method, said: err.code, next: 'the message stands without a graph' });
    return 'failed';
  }
}
