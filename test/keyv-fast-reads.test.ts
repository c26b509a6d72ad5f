import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import path from 'node:path';
import Keyv from 'keyv';
import { syntheticCrate } from '../src/ai/synthetic-crate.ts';
import { AnalysisStore } from '../src/db/analysis-store.ts';
import { withFastReads } from '../src/db/keyv-fast-reads.ts';
import { analysisFromDescriptor } from './helpers/analysis-from-descriptor.ts';
import { makeTempDir } from './helpers/ffmpeg-fixtures.ts';

let tmp: ReturnType<typeof makeTempDir>;
let analyses: AnalysisStore;
beforeAll(async () => {
  tmp = makeTempDir();
  analyses = await AnalysisStore.open(path.join(tmp.dir, 'minidj.sqlite'));
});
afterAll(async () => {
  await analyses?.close();
  tmp?.cleanup();
});

const analysis = analysisFromDescriptor(syntheticCrate(1, 3)[0]!, 80);

describe("keyv's reads without its per-value reviver", () => {
  it('reads back exactly what keyv wrote, escaped strings, Buffers and all', async () => {
    const plain = new Keyv();
    const fast = withFastReads(new Keyv());
    const values: unknown[] = [
      analysis,
      {
        title: ':starts with a colon',
        twice: '::two',
        nested: [':x', { k: ':y', n: [1, ':'] }],
        ':key': 'a key is never escaped',
      },
      { quoted: 'a,":b [":c :":d', empty: '', unicode: 'Ünïcødé ":' },
      { bytes: Buffer.from('raw bytes'), list: [Buffer.from([0, 1, 2])] },
      [':', ':base64:not really', 'fine'],
      ':a bare string',
      'plain',
      42,
      null,
    ];
    for (const value of values) {
      const text = await plain.serialize!({ value, expires: undefined });
      expect(await fast.deserialize!(text!)).toEqual(await plain.deserialize!(text!));
    }
  });

  it("loads a stored analysis with one plain JSON.parse, and one whose name starts with a colon as keyv's reader does", async () => {
    await analyses.put({ hash: 'a'.repeat(64), sourceName: 'plain.mp3', bytes: 1, analysis });
    await analyses.put({ hash: 'b'.repeat(64), sourceName: ':colon.mp3', bytes: 1, analysis });
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const [plain] = await analyses.getMany(['a'.repeat(64)]);
      expect(plain!.analysis).toEqual(analysis);
      expect(parse.mock.calls.map((c) => c.length)).toEqual([1]);
      parse.mockClear();
      const escaped = await analyses.get('b'.repeat(64));
      expect(escaped!.sourceName).toBe(':colon.mp3');
      expect(parse.mock.calls.map((c) => typeof c[1])).toEqual(['function']);
    } finally {
      parse.mockRestore();
    }
  });
});
