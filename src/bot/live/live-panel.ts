import { RESTJSONErrorCodes, Routes } from 'discord.js';
import type { Client } from 'discord.js';
import { sendTo } from './send-to.ts';

export interface PanelView {
  content: string;
  components: unknown[];
}

export interface LivePanelOptions {
  client: Client;
  guildId: string;
  channelId: string;
  /** While nothing happens (the position moves on), an edit at most this often: Discord allows about 5 edits per 5 s per channel, shared with everything else there. */
  everyMs: number;
  /** Something happened (a transition heard, a pause): edited then, yet never twice within this. */
  minGapMs: number;
  /** This many messages after the panel bury it: it is posted again at the bottom and the old one deleted. */
  buryAfter: number;
  /** The panel a set had before a restart: edited in place, not posted again. */
  messageId?: string;
  view: () => PanelView;
  /** The panel's message id, each time it is (re-)posted: saved with the live session. */
  onMessage: (id: string) => void;
  onError: (error: unknown) => void;
}

const codeOf = (error: unknown): unknown => (error as { code?: unknown }).code;

/** An event's edit waits this long: a burst of events is one edit, after the interaction answers they caused. */
const SETTLE_MS = 250;

/**
 * A set's one live message: posted once the set is heard (or the saved one adopted after a restart), then edited in
 * place — on events, and on a slow tick — with one request to Discord at a time, so a rate-limited edit never piles up
 * others behind it. Re-posted at the bottom when the channel has buried it, or when a moderator deleted it.
 */
export class LivePanel {
  private readonly opts: LivePanelOptions;
  private messageId: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private gapTimer: NodeJS.Timeout | undefined;
  private lastEditAt = 0;
  private lastContent = '';
  private inFlight: Promise<void> | undefined;
  private dirty = false;
  private started = false;
  private stopped = false;
  /** Cleared when the bot may not read the channel's history (nothing is re-posted then). */
  private canReadHistory = true;

  constructor(opts: LivePanelOptions) {
    this.opts = opts;
    this.messageId = opts.messageId;
  }

  /** The message shown now, once posted. */
  get id(): string | undefined {
    return this.messageId;
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.run(() => (this.messageId ? this.edit(this.opts.view(), true) : this.post(this.opts.view())));
    this.timer = setInterval(() => this.tick(), this.opts.everyMs);
    this.timer.unref();
  }

  /**
   * Something changed: edited shortly (events come in bursts, and the answer to the member who caused it goes first),
   * and never sooner than `minGapMs` after the last edit.
   */
  refresh(): void {
    if (!this.started || this.stopped || this.gapTimer) return;
    if (this.inFlight) {
      this.dirty = true;
      return;
    }
    const wait = Math.max(SETTLE_MS, this.lastEditAt + this.opts.minGapMs - Date.now());
    this.gapTimer = setTimeout(() => {
      this.gapTimer = undefined;
      if (this.inFlight) this.dirty = true;
      else if (!this.stopped) this.run(() => this.edit(this.opts.view()));
    }, wait);
    this.gapTimer.unref();
  }

  /**
   * The last edit (the set ended, or the bot restarts): after any edit in flight, and never followed by another. No
   * view: nothing more is said (the bot is no longer in the server).
   */
  async stop(view?: PanelView): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.gapTimer);
    if (!this.started) return;
    await this.inFlight;
    if (this.messageId && view) await this.edit(view).catch((error: unknown) => this.fail(error));
  }

  private tick(): void {
    // An event's edit just went: this tick's would come too close after it.
    if (this.inFlight || this.stopped || Date.now() - this.lastEditAt < this.opts.minGapMs) return;
    this.run(async () => {
      if (await this.buried()) await this.repost();
      else await this.edit(this.opts.view());
    });
  }

  private run(job: () => Promise<void>): void {
    this.inFlight = job()
      .catch((error: unknown) => this.fail(error))
      .finally(() => {
        this.inFlight = undefined;
        if (this.dirty && !this.stopped) {
          this.dirty = false;
          this.refresh();
        }
      });
  }

  /** Reported, unless the bot is no longer in the server (there is nothing to show the panel in). */
  private fail(error: unknown): void {
    if (this.opts.client.guilds.cache.has(this.opts.guildId)) this.opts.onError(error);
  }

  private async post(view: PanelView): Promise<void> {
    this.lastEditAt = Date.now();
    const message = await sendTo(this.opts.client, this.opts.channelId, view);
    this.lastContent = JSON.stringify(view);
    this.messageId = message.id;
    this.opts.onMessage(message.id);
  }

  /** Edits the panel in place (`force`: even when nothing changed); a panel deleted meanwhile is posted again. */
  private async edit(view: PanelView, force = false): Promise<void> {
    const content = JSON.stringify(view);
    if (!this.messageId || (content === this.lastContent && !force)) return;
    this.lastEditAt = Date.now();
    try {
      // By id, straight to the API: no channel needs to be cached or fetched.
      await this.opts.client.rest.patch(Routes.channelMessage(this.opts.channelId, this.messageId), {
        body: { ...view, allowed_mentions: { parse: [] } },
      });
      this.lastContent = content;
    } catch (error) {
      if (codeOf(error) !== RESTJSONErrorCodes.UnknownMessage || this.stopped) throw error;
      await this.post(view);
    }
  }

  /** Whether `buryAfter` messages came after the panel (one request, counted up to that many). */
  private async buried(): Promise<boolean> {
    if (!this.messageId || !this.canReadHistory) return false;
    try {
      const query = new URLSearchParams({ after: this.messageId, limit: String(this.opts.buryAfter) });
      const after = (await this.opts.client.rest.get(Routes.channelMessages(this.opts.channelId), {
        query,
      })) as unknown[];
      return after.length >= this.opts.buryAfter;
    } catch (error) {
      const code = codeOf(error);
      if (code === RESTJSONErrorCodes.MissingAccess || code === RESTJSONErrorCodes.MissingPermissions)
        this.canReadHistory = false;
      throw error;
    }
  }

  /** Posted at the bottom first, then the old one deleted: the channel always has one panel. */
  private async repost(): Promise<void> {
    const old = this.messageId;
    await this.post(this.opts.view());
    if (old) {
      await this.opts.client.rest.delete(Routes.channelMessage(this.opts.channelId, old)).catch((error: unknown) => {
        if (codeOf(error) !== RESTJSONErrorCodes.UnknownMessage) throw error;
      });
    }
  }
}
