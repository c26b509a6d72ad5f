import { encodePng } from './png-encoder.ts';
import { fitText, GLYPH_HEIGHT, Raster, textWidth, wrapText } from './raster.ts';
import type { Color, Point } from './raster.ts';
import { formatClock } from '../util/format-clock.ts';

/** One sample of a transition's gain curves: t in seconds from the transition start; gains 0..1. */
export interface CurvePoint {
  t: number;
  aLow: number;
  aMid: number;
  aHigh: number;
  bLow: number;
  bMid: number;
  bHigh: number;
}

export interface PictureTransition {
  startSec: number;
  endSec: number;
  label: string;
  style: string;
  curves: CurvePoint[];
}

export interface SetPictureData {
  title: string;
  durationSec: number;
  /** set time (s) → BPM, piecewise linear (ramps included) */
  tempo: { t: number; bpm: number }[];
  /** set time (s) → 0..1, one point per bar */
  energy: { t: number; value: number }[];
  /** when each track is audible */
  tracks: { startSec: number; endSec: number; title: string }[];
  transitions: PictureTransition[];
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface SetPictureLayout {
  textScale: number;
  title: Rect;
  tracks: Rect;
  markers: Rect;
  tempo: Rect;
  energy: Rect;
  timeAxis: Rect;
  legend: Rect;
  /** one per drawn transition (at most MAX_PANELS, 4 below 600 px): the panel's frame and its gain-curve plot */
  panels: { frame: Rect; plot: Rect }[];
}

const MAX_PANELS = 8;

/** Short pictures have room for one row of panels only. */
function maxPanels(height: number): number {
  return height >= 600 ? MAX_PANELS : MAX_PANELS / 2;
}

type CurveKey = Exclude<keyof CurvePoint, 't'>;

// Okabe–Ito colour-blind-safe hues: deck A warm (fading out), deck B cool (coming in).
// Bands also differ by thickness (low thickest), so they stay apart without colour.
export const CURVE_STYLES: readonly { key: CurveKey; label: string; color: Color; thickness: number }[] = [
  { key: 'aLow', label: 'low', color: [213, 94, 0], thickness: 5 },
  { key: 'aMid', label: 'mid', color: [230, 159, 0], thickness: 3 },
  { key: 'aHigh', label: 'high', color: [240, 228, 66], thickness: 2 },
  { key: 'bLow', label: 'low', color: [40, 130, 210], thickness: 5 },
  { key: 'bMid', label: 'mid', color: [86, 180, 233], thickness: 3 },
  { key: 'bHigh', label: 'high', color: [0, 178, 130], thickness: 2 },
];

export const PICTURE_COLORS = {
  background: [17, 19, 26] as Color,
  panel: [27, 30, 40] as Color,
  border: [52, 57, 72] as Color,
  grid: [44, 49, 62] as Color,
  text: [228, 231, 238] as Color,
  muted: [145, 152, 168] as Color,
  tempo: [235, 235, 235] as Color,
  energy: [204, 121, 167] as Color,
  marker: [255, 255, 255] as Color,
} as const;

const TRACK_COLORS: readonly Color[] = [
  [86, 180, 233],
  [230, 159, 0],
  [0, 158, 115],
  [204, 121, 167],
  [240, 228, 66],
  [0, 114, 178],
  [213, 94, 0],
];

/** The first step from `steps` that leaves at most maxTicks ticks over `span`. */
function niceStep(span: number, maxTicks: number, steps: readonly number[]): number {
  for (const step of steps) if (span / step <= maxTicks) return step;
  return steps[steps.length - 1]! * Math.ceil(span / maxTicks / steps[steps.length - 1]!);
}

function setDuration(data: SetPictureData): number {
  const ends = [data.durationSec, ...data.tracks.map((t) => t.endSec), ...data.transitions.map((t) => t.endSec)];
  return Math.max(1, ...ends.filter(Number.isFinite));
}

export function layoutSetPicture(data: SetPictureData, width = 1600, height = 900): SetPictureLayout {
  const s = width >= 900 && height >= 500 ? 2 : 1;
  const lineH = GLYPH_HEIGHT * s;
  const pad = Math.round(Math.max(8, width * 0.015));
  const left = pad + textWidth('100%', s) + 10;
  const plotW = width - pad - left;

  const title: Rect = { x: pad, y: pad, w: width - 2 * pad, h: GLYPH_HEIGHT * (s + 1) };
  const tracks: Rect = { x: left, y: title.y + title.h + 2 * lineH, w: plotW, h: 2 * (lineH + 8) + 2 };
  const markers: Rect = { x: left, y: tracks.y + tracks.h + 4, w: plotW, h: lineH + 6 };
  const tempo: Rect = { x: left, y: markers.y + markers.h + 4, w: plotW, h: Math.round(height * 0.17) };
  const energy: Rect = { x: left, y: tempo.y + tempo.h + 10, w: plotW, h: Math.round(height * 0.1) };
  const timeAxis: Rect = { x: left, y: energy.y + energy.h + 4, w: plotW, h: lineH + 4 };
  const legend: Rect = { x: pad, y: timeAxis.y + timeAxis.h + lineH, w: width - 2 * pad, h: lineH };

  const shown = Math.min(maxPanels(height), data.transitions.length);
  const cols = Math.min(4, shown);
  const rows = Math.ceil(shown / 4);
  const gap = Math.round(pad * 0.6);
  const gridTop = legend.y + legend.h + lineH;
  const gridH = height - pad - gridTop;
  const panels: SetPictureLayout['panels'] = [];
  for (let i = 0; i < shown; i++) {
    const pw = (width - 2 * pad - (cols - 1) * gap) / cols;
    const ph = (gridH - (rows - 1) * gap) / rows;
    const frame: Rect = {
      x: Math.round(pad + (i % 4) * (pw + gap)),
      y: Math.round(gridTop + Math.floor(i / 4) * (ph + gap)),
      w: Math.round(pw),
      h: Math.round(ph),
    };
    const inset = 8;
    const plotX = frame.x + inset + textWidth('1', s) + 8;
    const plotY = frame.y + inset + 3 * (lineH + 6) + lineH / 2;
    const plot: Rect = {
      x: plotX,
      y: plotY,
      w: frame.x + frame.w - inset - lineH / 2 - plotX,
      h: frame.y + frame.h - inset - lineH - 8 - plotY,
    };
    panels.push({ frame, plot });
  }
  return { textScale: s, title, tracks, markers, tempo, energy, timeAxis, legend, panels };
}

function luminance(c: Color): number {
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}

function withAlpha(c: Color, alpha: number): Color {
  return [c[0], c[1], c[2], alpha];
}

/** Text on a solid backing box, so it stays readable over lines and shading. */
function label(r: Raster, x: number, y: number, text: string, color: Color, s: number, backing?: Color): void {
  if (backing) r.fillRect(x - 3, y - 3, textWidth(text, s) + 6, GLYPH_HEIGHT * s + 6, backing);
  r.text(x, y, text, color, s);
}

interface Timeline {
  xOf(t: number): number;
  duration: number;
}

function drawHeader(r: Raster, data: SetPictureData, L: SetPictureLayout): void {
  const s = L.textScale;
  const bpms = data.tempo.map((p) => p.bpm);
  const parts = [
    formatClock(setDuration(data)),
    `${data.tracks.length} tracks`,
    `${data.transitions.length} transitions`,
  ];
  if (bpms.length > 0) {
    const lo = Math.round(Math.min(...bpms));
    const hi = Math.round(Math.max(...bpms));
    parts.push(lo === hi ? `${lo} BPM` : `${lo}-${hi} BPM`);
  }
  const summary = parts.join('  ·  ');
  const summaryW = textWidth(summary, s);
  r.text(
    L.title.x + L.title.w - summaryW,
    L.title.y + (L.title.h - GLYPH_HEIGHT * s),
    summary,
    PICTURE_COLORS.muted,
    s,
  );
  const titleText = fitText(data.title, L.title.w - summaryW - 30, s + 1);
  r.text(L.title.x, L.title.y, titleText, PICTURE_COLORS.text, s + 1);
}

function drawTracks(r: Raster, data: SetPictureData, L: SetPictureLayout, tl: Timeline): void {
  const s = L.textScale;
  const laneH = (L.tracks.h - 2) / 2;
  data.tracks.forEach((track, i) => {
    const x0 = Math.round(tl.xOf(track.startSec));
    const x1 = Math.round(tl.xOf(track.endSec));
    const y = L.tracks.y + (i % 2) * (laneH + 2);
    const color = TRACK_COLORS[i % TRACK_COLORS.length]!;
    r.fillRect(x0, y, Math.max(1, x1 - x0), laneH, color);
    const name = fitText(track.title, x1 - x0 - 12, s);
    const ink: Color = luminance(color) > 110 ? [16, 18, 24] : [245, 245, 245];
    if (name) r.text(x0 + 6, y + (laneH - GLYPH_HEIGHT * s) / 2, name, ink, s);
  });
}

function drawTimeGrid(r: Raster, L: SetPictureLayout, tl: Timeline): void {
  const s = L.textScale;
  const maxTicks = Math.max(2, Math.floor(L.timeAxis.w / (textWidth('00:00', s) * 2.5)));
  const step = niceStep(tl.duration, maxTicks, [10, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600]);
  for (let t = 0; t <= tl.duration + 1e-6; t += step) {
    const x = Math.round(tl.xOf(t));
    for (const chart of [L.tempo, L.energy]) r.fillRect(x, chart.y, 1, chart.h, PICTURE_COLORS.grid);
    r.fillRect(x, L.timeAxis.y, 1, 4, PICTURE_COLORS.muted);
    const text = formatClock(t);
    const w = textWidth(text, s);
    const tx = Math.min(L.timeAxis.x + L.timeAxis.w - w, Math.max(L.timeAxis.x - w / 2, x - w / 2));
    r.text(tx, L.timeAxis.y + 6, text, PICTURE_COLORS.muted, s);
  }
}

function drawTransitionMarkers(r: Raster, data: SetPictureData, L: SetPictureLayout, tl: Timeline): void {
  const s = L.textScale;
  const top = L.markers.y + L.markers.h - 4;
  const bottom = L.energy.y + L.energy.h;
  data.transitions.forEach((tr, i) => {
    const x0 = Math.round(tl.xOf(tr.startSec));
    const x1 = Math.max(x0 + 1, Math.round(tl.xOf(tr.endSec)));
    r.fillRect(x0, top, x1 - x0, bottom - top, withAlpha(PICTURE_COLORS.marker, 0.07));
    r.fillRect(x0, top, 1, bottom - top, withAlpha(PICTURE_COLORS.marker, 0.55));
    r.fillRect(x0, L.markers.y + L.markers.h - 4, x1 - x0, 3, withAlpha(PICTURE_COLORS.marker, 0.6));
    const text = `#${i + 1}`;
    const cx = (x0 + x1) / 2 - textWidth(text, s) / 2;
    r.text(cx, L.markers.y, text, PICTURE_COLORS.text, s);
  });
}

function drawChartFrame(r: Raster, rect: Rect, title: string, s: number): void {
  r.strokeRect(rect.x, rect.y, rect.w, rect.h, PICTURE_COLORS.border);
  label(r, rect.x + 8, rect.y + 6, title, PICTURE_COLORS.text, s, withAlpha(PICTURE_COLORS.background, 0.85));
}

/** Value → y inside a chart, leaving headroom at the top for the chart's title. */
function yScale(rect: Rect, lo: number, hi: number, headroom: number): (v: number) => number {
  const top = rect.y + headroom;
  const bottom = rect.y + rect.h - 4;
  return (v) => bottom - ((v - lo) / (hi - lo || 1)) * (bottom - top);
}

function drawTempo(r: Raster, data: SetPictureData, L: SetPictureLayout, tl: Timeline): void {
  const s = L.textScale;
  const rect = L.tempo;
  const points = [...data.tempo].filter((p) => Number.isFinite(p.bpm)).sort((a, b) => a.t - b.t);
  if (points.length === 0) {
    drawChartFrame(r, rect, 'Tempo (no data)', s);
    return;
  }
  const bpms = points.map((p) => p.bpm);
  let lo = Math.min(...bpms);
  let hi = Math.max(...bpms);
  const margin = Math.max(1, (hi - lo) * 0.1);
  lo -= margin;
  hi += margin;
  const headroom = GLYPH_HEIGHT * s + 16;
  const y = yScale(rect, lo, hi, headroom);
  const maxTicks = Math.max(2, Math.floor((rect.h - headroom) / (GLYPH_HEIGHT * s + 6)));
  const step = niceStep(hi - lo, maxTicks, [0.5, 1, 2, 5, 10, 20, 50, 100]);
  for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) {
    const py = Math.round(y(v));
    if (py < rect.y + 2) continue;
    r.fillRect(rect.x, py, rect.w, 1, PICTURE_COLORS.grid);
    const text = step < 1 ? v.toFixed(1) : String(Math.round(v));
    r.text(rect.x - 8 - textWidth(text, s), py - (GLYPH_HEIGHT * s) / 2, text, PICTURE_COLORS.muted, s);
  }
  // Hold the first and last tempo out to the ends of the set.
  const path: Point[] = points.map((p) => ({ x: tl.xOf(p.t), y: y(p.bpm) }));
  path.unshift({ x: tl.xOf(0), y: y(points[0]!.bpm) });
  path.push({ x: tl.xOf(tl.duration), y: y(points[points.length - 1]!.bpm) });
  r.polyline(path, PICTURE_COLORS.tempo, 2);
  drawChartFrame(r, rect, 'Tempo (BPM)', s);
}

function drawEnergy(r: Raster, data: SetPictureData, L: SetPictureLayout, tl: Timeline): void {
  const s = L.textScale;
  const rect = L.energy;
  const points = [...data.energy].filter((p) => Number.isFinite(p.value)).sort((a, b) => a.t - b.t);
  const y = yScale(rect, 0, 1, GLYPH_HEIGHT * s + 16);
  for (const v of [0, 0.5, 1]) {
    const py = Math.round(y(v));
    r.fillRect(rect.x, py, rect.w, 1, PICTURE_COLORS.grid);
    const text = `${Math.round(v * 100)}%`;
    r.text(rect.x - 8 - textWidth(text, s), py - (GLYPH_HEIGHT * s) / 2, text, PICTURE_COLORS.muted, s);
  }
  if (points.length > 0) {
    const path: Point[] = points.map((p) => ({ x: tl.xOf(p.t), y: y(Math.min(1, Math.max(0, p.value))) }));
    const bottom = y(0);
    // Area fill: per pixel column, interpolate the curve and fill down to zero.
    let seg = 0;
    for (let px = Math.ceil(path[0]!.x); px <= path[path.length - 1]!.x; px++) {
      while (seg < path.length - 2 && path[seg + 1]!.x < px) seg++;
      const a = path[seg]!;
      const b = path[Math.min(seg + 1, path.length - 1)]!;
      const f = b.x === a.x ? 0 : (px - a.x) / (b.x - a.x);
      const top = a.y + (b.y - a.y) * Math.min(1, Math.max(0, f));
      r.fillRect(px, top, 1, bottom - top, withAlpha(PICTURE_COLORS.energy, 0.35));
    }
    r.polyline(path, PICTURE_COLORS.energy, 2);
  }
  drawChartFrame(r, rect, points.length > 0 ? 'Energy' : 'Energy (no data)', s);
}

function drawLegend(r: Raster, data: SetPictureData, L: SetPictureLayout): void {
  const s = L.textScale;
  let x = L.legend.x;
  const y = L.legend.y;
  const mid = y + (GLYPH_HEIGHT * s) / 2;
  const u = s / 2; // spacing unit follows the text scale
  x += r.text(x, y, 'Transition gain curves:', PICTURE_COLORS.text, s) + 24 * u;
  for (const [deck, caption] of [
    ['a', 'A fading out'],
    ['b', 'B coming in'],
  ] as const) {
    x += r.text(x, y, caption, PICTURE_COLORS.muted, s) + 12 * u;
    for (const style of CURVE_STYLES.filter((c) => c.key.startsWith(deck))) {
      r.line(x, mid, x + 26 * u, mid, style.color, curveThickness(style.thickness, s));
      x += 34 * u;
      x += r.text(x, y, style.label, PICTURE_COLORS.text, s) + 16 * u;
    }
    x += 24 * u;
  }
  const shown = L.panels.length;
  const more = `first ${shown} of ${data.transitions.length} shown`;
  const moreX = L.legend.x + L.legend.w - textWidth(more, s);
  if (data.transitions.length > shown && moreX > x) r.text(moreX, y, more, PICTURE_COLORS.muted, s);
}

/** A transition label on up to two lines, breaking before its arrow ("A → B") when it does not fit on one. */
function labelLines(label: string, maxWidth: number, s: number): string[] {
  if (textWidth(label, s) <= maxWidth) return [label];
  const arrow = label.indexOf('→');
  if (arrow > 0)
    return [fitText(label.slice(0, arrow).trim(), maxWidth, s), fitText(label.slice(arrow).trim(), maxWidth, s)];
  return wrapText(label, maxWidth, s, 2);
}

function curveThickness(thickness: number, s: number): number {
  return Math.max(1, (thickness * s) / 2);
}

function drawPanel(
  r: Raster,
  tr: PictureTransition,
  index: number,
  panel: SetPictureLayout['panels'][number],
  s: number,
): void {
  const { frame, plot } = panel;
  r.fillRect(frame.x, frame.y, frame.w, frame.h, PICTURE_COLORS.panel);
  r.strokeRect(frame.x, frame.y, frame.w, frame.h, PICTURE_COLORS.border);
  const lineH = GLYPH_HEIGHT * s;
  const textX = frame.x + 8;
  const textW = frame.w - 16;
  const num = `#${index + 1}`;
  const numW = r.text(textX, frame.y + 8, num, PICTURE_COLORS.muted, s) + 3 * s * 2;
  const lines = labelLines(tr.label, textW - numW, s);
  lines.forEach((line, k) => r.text(textX + numW, frame.y + 8 + k * (lineH + 6), line, PICTURE_COLORS.text, s));
  const duration = Math.max(tr.endSec - tr.startSec, ...tr.curves.map((c) => c.t), 0.001);
  const info = `${tr.style} · at ${formatClock(tr.startSec)}`;
  r.text(
    textX + numW,
    frame.y + 8 + lines.length * (lineH + 6),
    fitText(info, textW - numW, s),
    PICTURE_COLORS.muted,
    s,
  );

  const xOf = (t: number): number => plot.x + (Math.min(duration, Math.max(0, t)) / duration) * plot.w;
  const yOf = (g: number): number => plot.y + (1 - Math.min(1, Math.max(0, g))) * plot.h;
  for (const g of [0, 0.5, 1]) r.fillRect(plot.x, Math.round(yOf(g)), plot.w + 1, 1, PICTURE_COLORS.grid);
  for (const f of [0, 0.25, 0.5, 0.75, 1])
    r.fillRect(Math.round(plot.x + f * plot.w), plot.y, 1, plot.h + 1, PICTURE_COLORS.grid);
  r.text(plot.x - 6 - textWidth('1', s), yOf(1) - lineH / 2, '1', PICTURE_COLORS.muted, s);
  r.text(plot.x - 6 - textWidth('0', s), yOf(0) - lineH / 2, '0', PICTURE_COLORS.muted, s);
  const axisY = plot.y + plot.h + 6;
  r.text(plot.x, axisY, '0 s', PICTURE_COLORS.muted, s);
  const end = `${duration.toFixed(duration < 10 ? 1 : 0)} s`;
  r.text(plot.x + plot.w - textWidth(end, s), axisY, end, PICTURE_COLORS.muted, s);

  const curves = [...tr.curves].sort((a, b) => a.t - b.t);
  for (const style of CURVE_STYLES) {
    const points = curves.map((c) => ({ x: xOf(c.t), y: yOf(c[style.key]) }));
    r.polyline(points, style.color, curveThickness(style.thickness, s));
  }
  if (curves.length === 0) r.text(plot.x + 8, plot.y + 8, 'no curves', PICTURE_COLORS.muted, s);
}

/** Draws the set picture onto a raster (see renderSetPicture). */
function drawSetPicture(data: SetPictureData, width = 1600, height = 900): Raster {
  const r = new Raster(width, height, PICTURE_COLORS.background);
  const L = layoutSetPicture(data, width, height);
  const duration = setDuration(data);
  const tl: Timeline = {
    duration,
    xOf: (t) => L.tempo.x + (Math.min(duration, Math.max(0, t)) / duration) * L.tempo.w,
  };

  drawHeader(r, data, L);
  drawTimeGrid(r, L, tl);
  drawTracks(r, data, L, tl);
  drawTempo(r, data, L, tl);
  drawEnergy(r, data, L, tl);
  drawTransitionMarkers(r, data, L, tl);
  drawLegend(r, data, L);
  L.panels.forEach((panel, i) => drawPanel(r, data.transitions[i]!, i, panel, L.textScale));
  return r;
}

/**
 * A PNG picture of a DJ set: tracks along the timeline, tempo and energy charts, transition markers,
 * and one panel per transition (up to 8) with the six gain curves of its EQ crossfade.
 */
export function renderSetPicture(data: SetPictureData, width = 1600, height = 900): Buffer {
  const r = drawSetPicture(data, width, height);
  return encodePng(r.width, r.height, r.pixels);
}
