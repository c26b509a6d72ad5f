import { describe, expect, it } from 'vitest';
import { AudioInputError } from '../../src/audio/io/audio-input-error.ts';
import { ResilientDeck } from '../../src/audio/io/resilient-deck.ts';
import type { Deck } from '../../src/audio/io/resilient-deck.ts';

/** A deck of mono frames numbered from `from`, whose decoder dies (or fails otherwise) after `diesAfter` frames. */
class FakeDeck implements Deck {
  closed = false;
  private at: number;
  private readonly diesAfter: number;
  private readonly error: () => Error;

  constructor(
    from: number,
    diesAfter = Infinity,
    error: () => Error = () => new AudioInputError('decoder-crashed', 'ffmpeg crashed (SIGKILL)'),
  ) {
    this.at = from;
    this.diesAfter = from + diesAfter;
    this.error = error;
  }

  async read(frames: number): Promise<Float32Array> {
    if (this.at + frames > this.diesAfter) throw this.error();
    const out = Float32Array.from({ length: frames }, (_, i) => this.at + i);
    this.at += frames;
    return out;
  }

  close(): void {
    this.closed = true;
  }
}

describe('resilient deck', () => {
  it('reopens a deck whose decoder died where the last read left off, and the read goes on seamlessly', async () => {
    const opened: { from: number; deck: FakeDeck }[] = [];
    const errors: Error[] = [];
    const deck = new ResilientDeck(
      (from) => {
        const d = new FakeDeck(from, opened.length === 0 ? 250 : Infinity);
        opened.push({ from, deck: d });
        return d;
      },
      (e) => errors.push(e),
    );
    const reads = [await deck.read(100), await deck.read(100), await deck.read(100), await deck.read(100)];
    expect(Array.from(reads.flatMap((r) => Array.from(r)))).toEqual(Array.from({ length: 400 }, (_, i) => i));
    expect(opened.map((o) => o.from)).toEqual([0, 200]);
    expect(opened[0]!.deck.closed).toBe(true);
    expect(errors).toHaveLength(1);
    deck.close();
    expect(opened[1]!.deck.closed).toBe(true);
  });

  it('gives up after two reopenings: a decoder that keeps dying has a file it cannot play', async () => {
    let opens = 0;
    const deck = new ResilientDeck((from) => {
      opens++;
      return new FakeDeck(from, 20);
    });
    expect(Array.from(await deck.read(10))).toEqual(Array.from({ length: 10 }, (_, i) => i));
    await expect(deck.read(40)).rejects.toMatchObject({ code: 'decoder-crashed' });
    expect(opens).toBe(3);
  });

  it("does not reopen for other failures (a corrupt file, a bug): they are the caller's", async () => {
    let opens = 0;
    const deck = new ResilientDeck((from) => {
      opens++;
      return new FakeDeck(from, 0, () => new AudioInputError('corrupt', 'not audio'));
    });
    await expect(deck.read(10)).rejects.toMatchObject({ code: 'corrupt' });
    const plain = new ResilientDeck((from) => new FakeDeck(from, 0, () => new Error('bug')));
    await expect(plain.read(10)).rejects.toThrow('bug');
    expect(opens).toBe(1);
  });
});
