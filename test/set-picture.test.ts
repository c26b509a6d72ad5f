import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, encodePng } from '../src/viz/png-encoder.ts';
import { glyphFor, hasGlyph, Raster } from '../src/viz/raster.ts';
import type { Color } from '../src/viz/raster.ts';
import { CURVE_STYLES, layoutSetPicture, PICTURE_COLORS, renderSetPicture } from '../src/viz/set-picture.ts';
import type { CurvePoint, SetPictureData } from '../src/viz/set-picture.ts';

interface DecodedPng {
  width: number;
  height: number;
  chunkTypes: string[];
  pixel(x: number, y: number): [number, number, number, number];
}

/** An independent, minimal PNG reader: checks the signature and every chunk CRC (node:zlib's crc32). */
function decodePng(png: Buffer): DecodedPng {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const chunkTypes: string[] = [];
  const idat: Buffer[] = [];
  let width = 0;
  let height = 0;
  let offset = 8;
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('ascii', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    const storedCrc = png.readUInt32BE(offset + 8 + length);
    expect(zlib.crc32(png.subarray(offset + 4, offset + 8 + length)), `CRC of ${type}`).toBe(storedCrc);
    chunkTypes.push(type);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect([...data.subarray(8)]).toEqual([8, 6, 0, 0, 0]); // 8-bit RGBA, deflate, filter 0, no interlace
    } else if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  expect(offset).toBe(png.length);
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * 4 + 1;
  expect(raw.length).toBe(stride * height);
  for (let y = 0; y < height; y++) expect(raw[y * stride]).toBe(0); // filter type None on every row
  return {
    width,
    height,
    chunkTypes,
    pixel: (x, y) => {
      const i = y * stride + 1 + x * 4;
      return [raw[i]!, raw[i + 1]!, raw[i + 2]!, raw[i + 3]!];
    },
  };
}

function rgb(c: Color): number[] {
  return [c[0], c[1], c[2]];
}

function rgbAt(img: DecodedPng, x: number, y: number): number[] {
  return img.pixel(Math.round(x), Math.round(y)).slice(0, 3);
}

/** Whether a pixel of exactly this colour lies within `radius` of (x, y). */
function colorNear(img: DecodedPng, x: number, y: number, color: Color, radius: number): boolean {
  const want = rgb(color).join();
  for (let dy = -radius; dy <= radius; dy++) {
    for (let dx = -radius; dx <= radius; dx++) {
      const px = Math.round(x) + dx;
      const py = Math.round(y) + dy;
      if (px >= 0 && py >= 0 && px < img.width && py < img.height && rgbAt(img, px, py).join() === want) return true;
    }
  }
  return false;
}

describe('encodePng', () => {
  it('writes a valid PNG whose pixels decode back exactly', () => {
    const rgba = new Uint8Array([
      255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 1, 2, 3, 255, 250, 251, 252, 128, 0, 0, 0, 0,
    ]);
    const img = decodePng(encodePng(3, 2, rgba));
    expect(img.chunkTypes).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect([img.width, img.height]).toEqual([3, 2]);
    expect(img.pixel(0, 0)).toEqual([255, 0, 0, 255]);
    expect(img.pixel(2, 0)).toEqual([0, 0, 255, 255]);
    expect(img.pixel(0, 1)).toEqual([1, 2, 3, 255]);
    expect(img.pixel(1, 1)).toEqual([250, 251, 252, 128]);
    expect(img.pixel(2, 1)).toEqual([0, 0, 0, 0]);
  });

  it('computes the standard CRC-32', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 131 + 7) & 0xff));
    expect(crc32(bytes)).toBe(zlib.crc32(bytes));
  });

  it('rejects pixel data of the wrong size', () => {
    expect(() => encodePng(2, 2, new Uint8Array(15))).toThrow(RangeError);
    expect(() => encodePng(0, 2, new Uint8Array(0))).toThrow(RangeError);
  });
});

describe('Raster', () => {
  const background: Color = [10, 20, 30];

  it('draws a thick straight line that survives a PNG round trip', () => {
    const r = new Raster(64, 48, background);
    r.line(4, 4, 60, 40, [255, 0, 0], 3);
    const img = decodePng(encodePng(r.width, r.height, r.pixels));
    expect(rgbAt(img, 0, 0)).toEqual(rgb(background));
    expect(rgbAt(img, 63, 47)).toEqual(rgb(background));
    expect(rgbAt(img, 60, 4)).toEqual(rgb(background)); // off the line
    expect(rgbAt(img, 32, 22)).toEqual([255, 0, 0]); // on the line: (32, 22) is its midpoint
    expect(rgbAt(img, 18, 13)).toEqual([255, 0, 0]); // a quarter of the way along
  });

  it('blends translucent colours and clips to the canvas', () => {
    const r = new Raster(4, 4, [0, 0, 0]);
    r.fillRect(-10, -10, 12, 12, [255, 255, 255, 0.5]);
    expect(r.getPixel(1, 1)).toEqual([128, 128, 128, 255]);
    expect(r.getPixel(2, 2)).toEqual([0, 0, 0, 255]);
  });

  it('draws bitmap-font text at the requested scale', () => {
    const r = new Raster(20, 20, background);
    const width = r.text(0, 0, 'A', [255, 255, 255], 2);
    expect(width).toBe(10);
    // 'A' row 0 is .###. and row 1 is #...#: at scale 2 each font pixel is a 2×2 block.
    expect(r.getPixel(0, 0).slice(0, 3)).toEqual(rgb(background));
    expect(r.getPixel(3, 1).slice(0, 3)).toEqual([255, 255, 255]);
    expect(r.getPixel(1, 3).slice(0, 3)).toEqual([255, 255, 255]);
    expect(r.getPixel(4, 3).slice(0, 3)).toEqual(rgb(background));
    const blank = new Raster(20, 20, background);
    blank.text(0, 0, '  ', [255, 255, 255], 2);
    expect(blank.pixels).toEqual(new Raster(20, 20, background).pixels);
  });

  it('has a glyph for every character the picture needs', () => {
    const needed = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz .:-→>%/()#+';
    expect([...needed].filter((c) => !hasGlyph(c))).toEqual([]);
    expect(glyphFor('é')).toEqual(glyphFor('e'));
    expect(glyphFor('€')).toEqual(glyphFor('?'));
  });
});

const TRANSITION_SEC = 32;

function bassSwap(): CurvePoint[] {
  return Array.from({ length: 33 }, (_, k) => {
    const f = k / 32;
    const t = f * TRANSITION_SEC;
    // Lows swap in one step at the midpoint; mids and highs cross-fade linearly.
    return { t, aLow: f < 0.5 ? 1 : 0, aMid: 1 - f, aHigh: 1 - f, bLow: f < 0.5 ? 0 : 1, bMid: f, bHigh: f };
  });
}

function synthetic(transitions = 2, bpms = [120, 130, 130]): SetPictureData {
  const trackSec = 180;
  const tracks = Array.from({ length: transitions + 1 }, (_, i) => ({
    startSec: i * (trackSec - TRANSITION_SEC),
    endSec: i * (trackSec - TRANSITION_SEC) + trackSec,
    title: `Track ${i + 1}`,
  }));
  const durationSec = tracks[tracks.length - 1]!.endSec;
  return {
    title: 'Synthetic set',
    durationSec,
    tempo: tracks.flatMap((t, i) => [
      { t: t.startSec + (i === 0 ? 0 : TRANSITION_SEC), bpm: bpms[i % bpms.length]! },
      { t: t.endSec - TRANSITION_SEC, bpm: bpms[i % bpms.length]! },
    ]),
    energy: Array.from({ length: Math.floor(durationSec / 2) }, (_, i) => ({
      t: i * 2,
      value: 0.5 + 0.4 * Math.sin(i / 5),
    })),
    tracks,
    transitions: tracks.slice(1).map((t, i) => ({
      startSec: t.startSec,
      endSec: t.startSec + TRANSITION_SEC,
      label: `${tracks[i]!.title} → ${t.title}`,
      style: 'bass swap',
      curves: bassSwap(),
    })),
  };
}

describe('renderSetPicture', () => {
  const aLow = CURVE_STYLES.find((s) => s.key === 'aLow')!.color;
  const bLow = CURVE_STYLES.find((s) => s.key === 'bLow')!.color;

  it('renders 1600×900 by default, on the dark background, with more than one colour', () => {
    const img = decodePng(renderSetPicture(synthetic()));
    expect([img.width, img.height]).toEqual([1600, 900]);
    expect(rgbAt(img, 0, 0)).toEqual(rgb(PICTURE_COLORS.background));
    expect(rgbAt(img, 1599, 899)).toEqual(rgb(PICTURE_COLORS.background));
    const colours = new Set<string>();
    for (let y = 0; y < img.height; y += 3) for (let x = 0; x < img.width; x += 3) colours.add(rgbAt(img, x, y).join());
    expect(colours.size).toBeGreaterThan(20);
  });

  it('honours the requested size', () => {
    const img = decodePng(renderSetPicture(synthetic(), 1200, 700));
    expect([img.width, img.height]).toEqual([1200, 700]);
  });

  it('plots the A-low gain curve where it should be, and not where B-low is', () => {
    const data = synthetic();
    const img = decodePng(renderSetPicture(data));
    const { plot } = layoutSetPicture(data).panels[0]!;
    const at = (f: number, gain: number): [number, number] => [plot.x + f * plot.w, plot.y + (1 - gain) * plot.h];
    // Before the swap A-low is at full gain; after it, at zero. B-low is the other way round.
    expect(colorNear(img, ...at(0.25, 1), aLow, 2)).toBe(true);
    expect(colorNear(img, ...at(0.75, 0), aLow, 2)).toBe(true);
    expect(colorNear(img, ...at(0.25, 0), aLow, 2)).toBe(false);
    expect(colorNear(img, ...at(0.75, 1), aLow, 2)).toBe(false);
    expect(colorNear(img, ...at(0.25, 0), bLow, 2)).toBe(true);
    expect(colorNear(img, ...at(0.75, 1), bLow, 2)).toBe(true);
  });

  it('draws the tempo line higher for a faster tempo', () => {
    const data = synthetic(2, [120, 130, 130]);
    const img = decodePng(renderSetPicture(data));
    const { tempo } = layoutSetPicture(data);
    const lineY = (x: number): number => {
      for (let y = tempo.y; y < tempo.y + tempo.h; y++)
        if (rgbAt(img, x, y).join() === rgb(PICTURE_COLORS.tempo).join()) return y;
      return -1;
    };
    const slow = lineY(tempo.x + Math.round(tempo.w * 0.15));
    const fast = lineY(tempo.x + Math.round(tempo.w * 0.85));
    expect(slow).toBeGreaterThan(0);
    expect(fast).toBeGreaterThan(0);
    expect(fast).toBeLessThan(slow - 20);
  });

  it('lays out one panel per transition, at most 8 (4 on short pictures)', () => {
    expect(layoutSetPicture(synthetic(3)).panels).toHaveLength(3);
    expect(layoutSetPicture(synthetic(11)).panels).toHaveLength(8);
    expect(layoutSetPicture(synthetic(11), 800, 450).panels).toHaveLength(4);
    const img = decodePng(renderSetPicture(synthetic(11)));
    const last = layoutSetPicture(synthetic(11)).panels[7]!.frame;
    expect(rgbAt(img, last.x + last.w - 3, last.y + last.h - 3)).toEqual(rgb(PICTURE_COLORS.panel));
  });

  it('survives tiny sizes and empty data', () => {
    const empty: SetPictureData = { title: '', durationSec: 0, tempo: [], energy: [], tracks: [], transitions: [] };
    const img = decodePng(renderSetPicture(empty, 160, 90));
    expect([img.width, img.height]).toEqual([160, 90]);
    expect(decodePng(renderSetPicture(synthetic(), 200, 120)).width).toBe(200);
  });
});
