import { describe, expect, it } from 'vitest';
import { spawnDecoder } from '../src/util/spawner.ts';

/** Runs `echo` through the spawner; `busyMs` holds this thread once the request is sent, as 20 set starts at once do. */
function echoed(word: string, busyMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const decoder = spawnDecoder('/bin/echo', [word]);
    const out: Buffer[] = [];
    decoder.stdout.on('data', (b: Buffer) => out.push(b));
    decoder.on('error', reject);
    decoder.on('close', () => resolve(Buffer.concat(out).toString('utf8')));
    setTimeout(() => {
      const until = performance.now() + busyMs;
      while (performance.now() < until);
    }, 0);
  });
}

describe('a decoder started through the spawner', () => {
  it('hands over its whole output even when it exits before this thread takes up its connection', async () => {
    await echoed('warm', 0);
    // Held 150 ms, the exit and the connection wait together: the exit used to be read first and the output lost.
    const words = Array.from({ length: 8 }, (_, i) => `word-${i}`);
    const heard: string[] = [];
    for (const word of words) heard.push((await echoed(word, 150)).trim());
    expect(heard).toEqual(words);
  }, 20_000);
});
