import { MessageFlags } from 'discord.js';
import type { RepliableInteraction } from 'discord.js';
import { replyEphemeral, replyResult, settleDeferred } from './reply-result.ts';

/** Not answered this long after the handler began: acknowledged (deferred), well inside Discord's 3 s. */
const ACKNOWLEDGE_AFTER_MS = 1000;

/**
 * The one answer to an interaction, in time whatever the work before it costs (a store read on a loaded machine, a
 * fade): replied directly when it is ready soon; otherwise the interaction is deferred once `ACKNOWLEDGE_AFTER_MS` has
 * passed (or when `defer()` is asked) and the answer then edits that deferral. Deferred publicly (`ephemeral` false), a
 * refusal still goes to the member alone (failDeferred).
 */
export class TimelyAnswer {
  private readonly interaction: RepliableInteraction;
  private readonly ephemeral: boolean;
  private state: 'idle' | 'deferred' | 'sent' = 'idle';
  private deferring: Promise<unknown> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  constructor(interaction: RepliableInteraction, ephemeral: boolean, afterMs = ACKNOWLEDGE_AFTER_MS) {
    this.interaction = interaction;
    this.ephemeral = ephemeral;
    // A failed deferral surfaces where `deferring` is awaited (send, or the router's apology after abandon).
    this.timer = setTimeout(() => void this.defer().catch(() => undefined), afterMs);
  }

  /** Acknowledges now: the work ahead is slow. */
  defer(): Promise<unknown> {
    if (this.state === 'idle') {
      this.state = 'deferred';
      clearTimeout(this.timer);
      this.deferring = this.interaction.deferReply(this.ephemeral ? { flags: MessageFlags.Ephemeral } : {});
    }
    return this.deferring;
  }

  /** The work failed: no deferral from now on, and one under way has landed (the router then answers in its place). */
  async abandon(): Promise<void> {
    if (this.state === 'idle') {
      this.state = 'sent';
      clearTimeout(this.timer);
    }
    // The work's own error is the one thrown: a deferral that failed too leaves the router to reply instead.
    await this.deferring.catch(() => undefined);
  }

  /** The answer: public when it succeeded (unless ephemeral), to the member alone when refused. */
  async send(result: { ok: boolean; message: string }): Promise<void> {
    if (this.state === 'idle') {
      this.state = 'sent';
      clearTimeout(this.timer);
      return this.ephemeral ? replyEphemeral(this.interaction, result.message) : replyResult(this.interaction, result);
    }
    await this.deferring;
    await settleDeferred(this.interaction, result, this.ephemeral);
  }
}

/** A result to answer with; `afterSend`: what the answer need not wait for (it starts once the answer is on its way). */
export interface Outcome {
  ok: boolean;
  message: string;
  afterSend?: () => void;
}

/** Runs `work` and sends its result, acknowledged in time (see TimelyAnswer). */
export async function answerInTime(
  interaction: RepliableInteraction,
  ephemeral: boolean,
  work: (answer: TimelyAnswer) => Promise<Outcome>,
): Promise<void> {
  const answer = new TimelyAnswer(interaction, ephemeral);
  try {
    const outcome = await work(answer);
    const sending = answer.send(outcome);
    outcome.afterSend?.();
    await sending;
  } catch (error) {
    // The router apologises (in place of a deferral, if one was made).
    await answer.abandon();
    throw error;
  }
}
