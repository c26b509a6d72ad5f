import { AudioInputError } from './audio-input-error.ts';
import type { DeckReader } from './deck-reader.ts';

/** What a resilient deck needs of the decks it opens. */
export type Deck = Pick<DeckReader, 'read' | 'close'>;

/** Reopenings per deck: a decoder that dies again right away has a file it cannot play, not a bad moment. */
const MAX_REOPENS = 2;

/**
 * A deck that outlives its ffmpeg: when the decoder dies (killed, out of memory, a crash), it is opened again where
 * the last frame read left off and the read goes on. Decks skip a pre-roll, so the reopened one continues the waveform
 * rather than restarting it. A decoder that keeps dying, or a file gone, is the caller's to handle.
 */
export class ResilientDeck {
  private readonly open: (frames: number) => Deck;
  private readonly onReopen?: (error: Error) => void;
  private deck: Deck;
  private framesRead = 0;
  private reopens = 0;

  /** `open(frames)`: the deck from `frames` frames after where the first one starts. */
  constructor(open: (frames: number) => Deck, onReopen?: (error: Error) => void) {
    this.open = open;
    this.onReopen = onReopen;
    this.deck = open(0);
  }

  async read(frames: number): Promise<Float32Array> {
    for (;;) {
      try {
        const out = await this.deck.read(frames);
        this.framesRead += frames;
        return out;
      } catch (error) {
        if (!(error instanceof AudioInputError) || error.code !== 'decoder-crashed' || this.reopens >= MAX_REOPENS)
          throw error;
        this.reopens++;
        this.deck.close();
        this.onReopen?.(error);
        this.deck = this.open(this.framesRead);
      }
    }
  }

  close(): void {
    this.deck.close();
  }
}
