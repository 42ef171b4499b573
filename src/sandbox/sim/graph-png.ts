/**
 * A small metric graph as a PNG, for the sandbox's CloudWatch `GetMetricWidgetImage`: white background, light grid,
 * axes, the ALARM period shaded, the threshold as a red line and the metric as a blue line, with the y-axis values
 * written in a tiny pixel font. The encoder is the plain one PNG allows: 8-bit RGB, filter 0 on every row, one zlib
 * IDAT, CRC32 per chunk; no dependency beyond node:zlib.
 */
import { deflateSync } from 'node:zlib';

/** What to draw. */
export interface MetricGraphSpec {
  width: number;
  height: number;
  /** The metric's datapoints, oldest first, spread evenly over the width. */
  points: number[];
  /** Drawn as a red horizontal line when given. */
  threshold?: number;
  /** Index of the first point in ALARM: from there to the end the plot is shaded red. */
  alarmFrom?: number;
}

/** Where things land in the picture; the test reads it to know which pixels to look at. */
export interface MetricGraphLayout {
  left: number;
  top: number;
  right: number;
  bottom: number;
  /** The row of a value. */
  yOf(value: number): number;
  /** The column of a point's index. */
  xOf(index: number): number;
}

type Rgb = readonly [number, number, number];
export const GRAPH_COLOURS = {
  background: [255, 255, 255] as Rgb,
  grid: [230, 230, 230] as Rgb,
  axis: [60, 60, 60] as Rgb,
  alarm: [253, 221, 221] as Rgb,
  threshold: [214, 39, 40] as Rgb,
  metric: [31, 119, 180] as Rgb,
  text: [90, 90, 90] as Rgb,
};

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC32 as PNG (and zip) define it. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = (CRC_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** Encodes `rgb` (width × height × 3 bytes, rows top to bottom) as a PNG. */
export function encodePng(width: number, height: number, rgb: Uint8Array): Buffer {
  if (rgb.length !== width * height * 3) throw new Error(`encodePng: ${rgb.length} bytes for ${width} × ${height} RGB pixels`);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  // compression, filter and interlace methods stay 0
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y += 1) {
    raw[y * (width * 3 + 1)] = 0; // filter: none
    Buffer.from(rgb.buffer, rgb.byteOffset + y * width * 3, width * 3).copy(raw, y * (width * 3 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** 3 × 5 glyphs of the characters axis labels need, one row per string, `#` for a pixel. */
const GLYPHS: Record<string, string[]> = {
  '0': ['###', '#.#', '#.#', '#.#', '###'],
  '1': ['.#.', '##.', '.#.', '.#.', '###'],
  '2': ['###', '..#', '###', '#..', '###'],
  '3': ['###', '..#', '###', '..#', '###'],
  '4': ['#.#', '#.#', '###', '..#', '..#'],
  '5': ['###', '#..', '###', '..#', '###'],
  '6': ['###', '#..', '###', '#.#', '###'],
  '7': ['###', '..#', '..#', '..#', '..#'],
  '8': ['###', '#.#', '###', '#.#', '###'],
  '9': ['###', '#.#', '###', '..#', '###'],
  '.': ['...', '...', '...', '...', '.#.'],
  '-': ['...', '...', '###', '...', '...'],
};

/** Where the plot goes in a picture of `spec`'s size, and the scale of its values. */
export function metricGraphLayout(spec: MetricGraphSpec): MetricGraphLayout {
  const left = Math.min(44, Math.floor(spec.width / 4));
  const top = Math.min(12, Math.floor(spec.height / 10));
  const right = spec.width - Math.min(12, Math.floor(spec.width / 20)) - 1;
  const bottom = spec.height - Math.min(20, Math.floor(spec.height / 8)) - 1;
  const values = [...spec.points.filter(Number.isFinite), ...(spec.threshold !== undefined ? [spec.threshold] : [])];
  const max = Math.max(0, ...values);
  const min = Math.min(0, ...values);
  // Headroom above the highest value, so the line never runs along the top edge.
  const span = (max - min) * 1.2 || 1;
  const n = Math.max(spec.points.length - 1, 1);
  return {
    left,
    top,
    right,
    bottom,
    yOf: (value) => Math.round(bottom - ((value - min) / span) * (bottom - top)),
    xOf: (index) => Math.round(left + (index / n) * (right - left)),
  };
}

/** Renders `spec` as a PNG. */
export function renderMetricGraph(spec: MetricGraphSpec): Buffer {
  const width = Math.max(16, Math.min(2000, Math.floor(spec.width)));
  const height = Math.max(16, Math.min(2000, Math.floor(spec.height)));
  const sized = { ...spec, width, height };
  const layout = metricGraphLayout(sized);
  const { left, top, right, bottom } = layout;
  const pixels = new Uint8Array(width * height * 3);
  const set = (x: number, y: number, [r, g, b]: Rgb) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const i = (y * width + x) * 3;
    pixels[i] = r;
    pixels[i + 1] = g;
    pixels[i + 2] = b;
  };
  const fill = (x0: number, y0: number, x1: number, y1: number, colour: Rgb) => {
    for (let y = y0; y <= y1; y += 1) for (let x = x0; x <= x1; x += 1) set(x, y, colour);
  };
  /** A line two pixels thick (Bresenham), thick enough to read when Slack scales the picture down. */
  const line = (x0: number, y0: number, x1: number, y1: number, colour: Rgb) => {
    const dx = Math.abs(x1 - x0);
    const dy = -Math.abs(y1 - y0);
    const sx = x0 < x1 ? 1 : -1;
    const sy = y0 < y1 ? 1 : -1;
    let err = dx + dy;
    for (let x = x0, y = y0; ; ) {
      set(x, y, colour);
      set(x, y + 1, colour);
      if (x === x1 && y === y1) break;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y += sy;
      }
    }
  };
  const text = (value: string, xRight: number, yMiddle: number) => {
    // Twice the size on a picture wide enough: Slack shows it scaled down.
    const scale = width >= 400 ? 2 : 1;
    let x = xRight - value.length * 4 * scale;
    const lift = 2 * scale;
    for (const ch of value) {
      const glyph = GLYPHS[ch];
      glyph?.forEach((row, gy) => {
        for (let gx = 0; gx < row.length; gx += 1)
          if (row[gx] === '#')
            fill(x + gx * scale, yMiddle - lift + gy * scale, x + gx * scale + scale - 1, yMiddle - lift + gy * scale + scale - 1, GRAPH_COLOURS.text);
      });
      x += 4 * scale;
    }
  };
  const label = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) < 10 ? 2 : 1));

  fill(0, 0, width - 1, height - 1, GRAPH_COLOURS.background);
  if (spec.alarmFrom !== undefined && spec.alarmFrom < spec.points.length)
    fill(Math.max(left + 1, layout.xOf(Math.max(0, spec.alarmFrom))), top, right, bottom - 1, GRAPH_COLOURS.alarm);
  // Grid and y values: four steps from the bottom of the scale to its top.
  const lowest = Math.min(0, ...spec.points.filter(Number.isFinite), spec.threshold ?? 0);
  const step = (Math.max(0, ...spec.points.filter(Number.isFinite), spec.threshold ?? 0) - lowest) * 1.2 || 1;
  for (let i = 1; i <= 4; i += 1) {
    const value = lowest + (step * i) / 4;
    const y = layout.yOf(value);
    for (let x = left + 1; x <= right; x += 2) if (pixels[(y * width + x) * 3 + 1] === 255) set(x, y, GRAPH_COLOURS.grid);
    text(label(Number(value.toPrecision(3))), left - 4, y);
  }
  text(label(lowest), left - 4, bottom);
  // Axes.
  line(left, top, left, bottom, GRAPH_COLOURS.axis);
  fill(left, bottom, right, bottom, GRAPH_COLOURS.axis);
  for (let i = 0; i <= 6; i += 1) {
    const x = Math.round(left + (i / 6) * (right - left));
    fill(x, bottom, x, bottom + 3, GRAPH_COLOURS.axis);
  }
  if (spec.threshold !== undefined && Number.isFinite(spec.threshold)) {
    const y = layout.yOf(spec.threshold);
    fill(left + 1, y, right, y + 1, GRAPH_COLOURS.threshold);
  }
  const finite = spec.points.map((value, index) => ({ value, index })).filter((p) => Number.isFinite(p.value));
  finite.forEach((p, i) => {
    const next = finite[i + 1];
    if (next) line(layout.xOf(p.index), layout.yOf(p.value), layout.xOf(next.index), layout.yOf(next.value), GRAPH_COLOURS.metric);
    else set(layout.xOf(p.index), layout.yOf(p.value), GRAPH_COLOURS.metric);
  });
  return encodePng(width, height, pixels);
}

/**
 * Datapoints that look like an alarm on a metric with `threshold`: quiet well below it, then over it for the last
 * `alarmShare` of the window. Deterministic for a `seed` (the metric's name), so the same alarm draws the same picture.
 */
export function alarmingPoints(threshold: number | undefined, seed: string, count = 60, alarmShare = 0.15): { points: number[]; alarmFrom: number } {
  let h = 2166136261;
  for (const ch of seed) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  const random = () => {
    h = (Math.imul(h, 1664525) + 1013904223) >>> 0;
    return h / 2 ** 32;
  };
  const level = threshold !== undefined && threshold > 0 ? threshold : 5;
  const alarmFrom = Math.max(1, Math.round(count * (1 - alarmShare)));
  const points = Array.from({ length: count }, (_, i) => (i < alarmFrom ? level * (0.15 + 0.35 * random()) : level * (1.4 + 1.6 * random())));
  return { points: points.map((p) => Number(p.toFixed(2))), alarmFrom };
}
