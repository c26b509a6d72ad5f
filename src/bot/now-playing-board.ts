import type { Client, Message } from 'discord.js';
import { sendTo } from './send-to.ts';
import type { LiveSet } from './live-set.ts';
import { nowPlayingCard } from './now-playing-card.ts';
import type { CardInput } from './now-playing-card.ts';

export interface NowPlayingBoardOptions {
  client: Client;
  channelId: string;
  /** At most one edit this often (Discord allows about 5 edits per 5 s per channel; a set shares it with others). */
  everyMs: number;
  onError: (error: unknown) => void;
  set: Pick<LiveSet, 'nowPlaying' | 'upcoming' | 'heardTransition' | 'voiceChannelId' | 'listeners' | 'status'>;
}

/** One message per set that follows it: posted when the set is heard, then edited as it plays. */
export class NowPlayingBoard {
  private readonly opts: NowPlayingBoardOptions;
  private message: Promise<Message | undefined> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastEditAt = 0;
  private lastContent = '';
  private editing = false;
  private stopped = false;

  constructor(opts: NowPlayingBoardOptions) {
    this.opts = opts;
  }

  start(): void {
    if (this.message || this.stopped) return;
    const card = this.card();
    this.lastContent = JSON.stringify(card);
    this.lastEditAt = Date.now();
    this.message = sendTo(this.opts.client, this.opts.channelId, card).catch((error: unknown) => {
      this.opts.onError(error);
      return undefined;
    });
    this.timer = setInterval(() => void this.tick(), this.opts.everyMs);
    this.timer.unref();
  }

  /** Something changed (a transition heard, a pause): edit now if the last edit is old enough, else at the next tick. */
  refresh(): void {
    if (this.message && Date.now() - this.lastEditAt >= this.opts.everyMs) void this.tick();
  }

  /** The set ended: one last edit says so, and the buttons go. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    void this.message?.then((m) => m?.edit({ ...nowPlayingCard({ ...this.input(), status: 'ended' }), allowedMentions: { parse: [] } } as Parameters<Message['edit']>[0])).catch(() => undefined);
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.editing || Date.now() - this.lastEditAt < this.opts.everyMs) return;
    const card = this.card();
    const content = JSON.stringify(card);
    if (content === this.lastContent) return;
    this.editing = true;
    this.lastEditAt = Date.now();
    try {
      const message = await this.message;
      if (message && !this.stopped) {
        await message.edit({ ...card, allowedMentions: { parse: [] } } as Parameters<Message['edit']>[0]);
        this.lastContent = content;
      }
    } catch (error) {
      this.opts.onError(error);
    } finally {
      this.editing = false;
    }
  }

  private input(): CardInput {
    const set = this.opts.set;
    const state = set.status;
    const status: CardInput['status'] = state.status === 'paused' ? (state.by === 'empty' ? 'paused-empty' : 'paused') : state.status === 'stopping' || state.status === 'ended' ? 'ended' : state.status;
    const now = set.nowPlaying();
    const next = set.upcoming();
    const heard = set.heardTransition();
    return { ...(now ? { now } : {}), ...(next ? { next } : {}), ...(heard ? { transitionId: heard.id } : {}), voiceChannelId: set.voiceChannelId, listeners: set.listeners(), status };
  }

  private card(): { content: string; components: unknown[] } {
    return nowPlayingCard(this.input());
  }
}
