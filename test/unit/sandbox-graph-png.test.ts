/**
 * The sandbox's metric graph (src/sandbox/sim/graph-png.ts): a valid PNG of the asked size whose pixels show the
 * threshold, the metric and the ALARM period; and the CloudWatch simulator answering with it when asked to.
 */
import { inflateSync } from 'node:zlib';
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricWidgetImageCommand } from '@aws-sdk/client-cloudwatch';
import { GRAPH_PNG, startFakeCloudWatch } from '../../src/sandbox/sim/cloudwatch.js';
import { crc32, GRAPH_COLOURS, metricGraphLayout, renderMetricGraph } from '../../src/sandbox/sim/graph-png.js';

/** Reads a PNG the way a viewer does: chunks with their CRCs, IHDR, the inflated IDAT rows (filter 0 each). */
function decode(png: Buffer): { width: number; height: number; colourType: number; pixel(x: number, y: number): number[] } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const chunks: Array<{ type: string; data: Buffer }> = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('ascii', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    expect(png.readUInt32BE(at + 8 + length)).toBe(crc32(png.subarray(at + 4, at + 8 + length)));
    chunks.push({ type, data });
    at += 12 + length;
  }
  expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
  const ihdr = chunks[0]!.data;
  const width = ihdr.readUInt32BE(0);
  const height = ihdr.readUInt32BE(4);
  const raw = inflateSync(chunks[1]!.data);
  expect(raw.length).toBe(height * (width * 3 + 1));
  for (let y = 0; y < height; y += 1) expect(raw[y * (width * 3 + 1)]).toBe(0);
  return {
    width,
    height,
    colourType: ihdr[9]!,
    pixel: (x, y) => [...raw.subarray(y * (width * 3 + 1) + 1 + x * 3, y * (width * 3 + 1) + 1 + x * 3 + 3)],
  };
}

describe('renderMetricGraph', () => {
  const spec = { width: 320, height: 200, points: [0, 1, 0.5, 0.2, 0.4, 0.3, 3, 4, 5], threshold: 2, alarmFrom: 6 };
  const image = decode(renderMetricGraph(spec));
  const layout = metricGraphLayout(spec);
  const red = [...GRAPH_COLOURS.threshold];

  it('is a valid RGB PNG of the asked size', () => {
    expect([image.width, image.height, image.colourType]).toEqual([320, 200, 2]);
  });

  it('draws the threshold as a red line across the plot, and nowhere else red', () => {
    const y = layout.yOf(2);
    const across = Array.from({ length: layout.right - layout.left }, (_, i) => image.pixel(layout.left + 1 + i, y));
    expect(across.filter((p) => p.join() === red.join()).length).toBeGreaterThan((layout.right - layout.left) * 0.9);
    const farRow = layout.yOf(0.1);
    expect(Array.from({ length: 50 }, (_, i) => image.pixel(layout.left + 5 + i, farRow)).some((p) => p.join() === red.join())).toBe(false);
  });

  it('draws the metric through its points, and shades the ALARM period only', () => {
    for (const i of [0, 3, 8]) expect(image.pixel(layout.xOf(i), layout.yOf(spec.points[i]!))).toEqual([...GRAPH_COLOURS.metric]);
    const shadedX = layout.xOf(7) + 3;
    expect(image.pixel(shadedX, layout.top + 2)).toEqual([...GRAPH_COLOURS.alarm]);
    expect(image.pixel(layout.xOf(2), layout.top + 2)).toEqual([...GRAPH_COLOURS.background]);
    expect(image.pixel(layout.left, layout.top + 10)).toEqual([...GRAPH_COLOURS.axis]);
  });

  it('draws without a threshold, and with no points', () => {
    expect(decode(renderMetricGraph({ width: 100, height: 60, points: [1, 2, 3] })).width).toBe(100);
    expect(decode(renderMetricGraph({ width: 100, height: 60, points: [] })).height).toBe(60);
  });
});

describe('the CloudWatch simulator', () => {
  const client = (url: string) => new CloudWatchClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const widget = {
    metrics: [['AWS/Lambda', 'Errors', 'FunctionName', 'foxy-backend-production']],
    width: 400,
    height: 250,
    annotations: { horizontal: [{ value: 1, label: '≥ 1', color: '#d62728' }] },
  };

  it('answers GRAPH_PNG by default, and a rendered graph of the widget when asked', async () => {
    const cw = await startFakeCloudWatch();
    try {
      const fixed = await client(cw.url).send(new GetMetricWidgetImageCommand({ MetricWidget: JSON.stringify(widget), OutputFormat: 'png' }));
      expect(Buffer.from(fixed.MetricWidgetImage!)).toEqual(GRAPH_PNG);
      cw.graph = 'rendered';
      const drawn = await client(cw.url).send(new GetMetricWidgetImageCommand({ MetricWidget: JSON.stringify(widget), OutputFormat: 'png' }));
      const image = decode(Buffer.from(drawn.MetricWidgetImage!));
      expect([image.width, image.height]).toEqual([400, 250]);
      const layout = metricGraphLayout({ width: 400, height: 250, points: [], threshold: 1 });
      // The threshold row is red somewhere across the plot (the layout's scale depends on the made-up points, so look at every row).
      const rows = Array.from({ length: layout.bottom - layout.top }, (_, i) => layout.top + i);
      expect(rows.some((y) => image.pixel(layout.left + 20, y).join() === [...GRAPH_COLOURS.threshold].join())).toBe(true);
      cw.reset();
      expect(cw.graph).toBe('fixed');
    } finally {
      await cw.close();
    }
  });

  it('keeps alarm details and their state changes, and DescribeAlarms says them', async () => {
    const cw = await startFakeCloudWatch({ graph: 'rendered' });
    try {
      const metric = { namespace: 'AWS/Lambda', name: 'Errors', dimensions: [{ name: 'FunctionName', value: 'foxy-backend-production' }] };
      cw.setAlarm('foxy-backend-production-errors', 'OK', { description: 'errors', metric, threshold: 1 });
      cw.setAlarm('foxy-backend-production-errors', 'ALARM', { reason: 'Threshold Crossed' });
      expect(cw.alarm('foxy-backend-production-errors')).toMatchObject({
        state: 'ALARM',
        previousState: 'OK',
        metric,
        threshold: 1,
        reason: 'Threshold Crossed',
      });
      expect(cw.alarms().map((a) => a.name)).toEqual(['foxy-backend-production-errors']);
      const answer = await client(cw.url).send(new DescribeAlarmsCommand({ AlarmNames: ['foxy-backend-production-errors'] }));
      expect(answer.MetricAlarms?.[0]).toMatchObject({
        StateValue: 'ALARM',
        StateReason: 'Threshold Crossed',
        AlarmDescription: 'errors',
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: 'foxy-backend-production' }],
        Threshold: 1,
      });
      cw.reset();
      expect(cw.alarms()).toEqual([]);
      expect(cw.graph).toBe('rendered');
    } finally {
      await cw.close();
    }
  });
});
