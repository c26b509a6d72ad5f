import { ChannelType, ThreadAutoArchiveDuration } from 'discord.js';
import type { Client } from 'discord.js';
import type { TransitionReport } from '../../audio/set/set-report.ts';
import type { AnnounceMode } from '../../db/guild-store.ts';
import { nowMixingMessage } from './now-mixing-message.ts';
import { sendTo } from './send-to.ts';

export interface MixAnnouncerOptions {
  client: Client;
  channelId: string;
  /** The set's thread from before a restart. */
  threadId?: string;
  /** A thread was opened: saved with the live session. */
  onThread: (id: string) => void;
  onError: (error: unknown) => void;
}

/**
 * "Now mixing A → B" beside the panel, when the server asks for it: a line per transition in the channel, or in a
 * thread of the set's own (opened at its first transition; where threads cannot be opened, the line goes to the channel).
 */
export class MixAnnouncer {
  private readonly opts: MixAnnouncerOptions;
  private threadId: string | undefined;

  constructor(opts: MixAnnouncerOptions) {
    this.opts = opts;
    this.threadId = opts.threadId;
  }

  async announce(mode: AnnounceMode, transitionId: string, report: TransitionReport): Promise<void> {
    if (mode === 'panel') return;
    const where = mode === 'thread' ? ((await this.thread()) ?? this.opts.channelId) : this.opts.channelId;
    await sendTo(this.opts.client, where, nowMixingMessage(transitionId, report));
  }

  private async thread(): Promise<string | undefined> {
    if (this.threadId) return this.threadId;
    const channel = await this.opts.client.channels.fetch(this.opts.channelId);
    if (channel?.type !== ChannelType.GuildText && channel?.type !== ChannelType.GuildAnnouncement) return undefined;
    const day = new Date().toISOString().slice(0, 10);
    const thread = await channel.threads
      .create({
        name: `Mini-DJ mixes ${day}`,
        autoArchiveDuration: ThreadAutoArchiveDuration.OneDay,
        reason: 'The transitions of a live set',
      })
      .catch((error: unknown) => {
        // No Create Public Threads: the line goes to the channel.
        this.opts.onError(error);
        return undefined;
      });
    if (!thread) return undefined;
    this.threadId = thread.id;
    this.opts.onThread(thread.id);
    return thread.id;
  }
}
