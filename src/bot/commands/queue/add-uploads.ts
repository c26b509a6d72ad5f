import type { RepliableInteraction } from 'discord.js';
import type { JobStatus } from '../../../audio/analysis/analyzer-pool.ts';
import { UserFacingError } from '../../../util/user-facing-error.ts';
import { FAILED } from '../../discord/reply-result.ts';
import { landDownload } from '../../adds/land-download.ts';
import type { AddContext } from '../../adds/land-download.ts';
import { reserveAdd } from '../../playlist/queue-operations.ts';
import { failDeferred, showProgress } from '../../discord/reply-result.ts';
import { attachmentTooLarge } from '../../../util/add-policy.ts';
import { displayTitle } from '../../discord/track-title.ts';

/** An uploaded file, as Discord describes an attachment. */
export interface Upload {
  url: string;
  name: string;
  size: number;
}

/** One file's line in the reply: where it stands, then what happened to it (`ok` once it is settled). */
interface Line {
  name: string;
  text: string;
  ok?: boolean;
}

const quiet = { allowedMentions: { parse: [] } } as const;
const PROGRESS_EVERY_MS = 3000;
/** Discord's message length, shared by the header, every line and the notes. */
const MAX_MESSAGE = 2000;

function statusText(status: JobStatus): string {
  return status.state === 'analysing'
    ? 'analysing…'
    : `waiting for the analyser (${status.ahead === 0 ? 'next' : `${status.ahead} ahead`})…`;
}

function render(header: string, lines: readonly Line[], notes: readonly string[]): string {
  const room = Math.floor((MAX_MESSAGE - header.length - notes.join('\n').length - 2) / Math.max(1, lines.length)) - 8;
  const body = lines.map((l, i) => {
    const text = `${displayTitle(l.name)}: ${l.text}`;
    return `${i + 1}. ${text.length > room ? `${text.slice(0, room - 1)}…` : text}`;
  });
  return [header, ...body, ...notes].join('\n').slice(0, MAX_MESSAGE);
}

/**
 * One upload through the limits and checks of `/queue add file:`: the bot's size limit, the member's place reserved,
 * then downloaded, analysed and queued. Resolves with its outcome; an internal error is passed to `onError`.
 */
async function addOne(
  ctx: AddContext,
  upload: Upload,
  onStatus: (status: JobStatus) => void,
  onError: (error: unknown) => void,
): Promise<Omit<Line, 'name'>> {
  if (upload.size > ctx.deps.maxBytes) return { ok: false, text: attachmentTooLarge(upload.size, ctx.deps.maxBytes) };
  const reserved = await reserveAdd(ctx.store, ctx.guildId, ctx.member, upload.url, new Date());
  if (!reserved.ok) return { ok: false, text: reserved.message };
  onStatus({ state: 'queued', ahead: 0 });
  try {
    const landed = await landDownload(ctx, reserved.pending.id, { source: upload.url, name: upload.name }, onStatus);
    return { ok: landed.ok, text: landed.message };
  } catch (error) {
    if (error instanceof UserFacingError) return { ok: false, text: error.message };
    onError(error);
    return { ok: false, text: FAILED };
  }
}

/**
 * Adds several uploads, one after another (so one message never holds more than one of the member's downloads): one
 * reply, edited as each file lands, says what happened to each. Public when any was added; otherwise the member alone
 * sees it. `notes` follow the files' lines (links the message also had). The first internal error is thrown once the
 * reply is settled.
 */
export async function addUploads(
  interaction: RepliableInteraction,
  ctx: AddContext,
  uploads: readonly Upload[],
  notes: readonly string[] = [],
): Promise<void> {
  await interaction.deferReply();
  const header = `Adding ${uploads.length} ${uploads.length === 1 ? 'file' : 'files'}, one after another:`;
  const lines: Line[] = uploads.map((u) => ({ name: u.name, text: 'waiting' }));
  let shownAt = 0;
  const show = (force: boolean): void => {
    if (!force && Date.now() - shownAt < PROGRESS_EVERY_MS) return;
    shownAt = Date.now();
    showProgress(interaction, render(header, lines, notes));
  };
  let internal: unknown;
  for (const [i, upload] of uploads.entries()) {
    const settled = await addOne(
      ctx,
      upload,
      (status) => {
        lines[i] = { ...lines[i]!, text: statusText(status) };
        show(false);
      },
      (error) => (internal ??= error),
    );
    lines[i] = { name: upload.name, ...settled };
    if (i < uploads.length - 1) show(true);
  }
  const final = render(
    lines.some((l) => l.ok)
      ? `Added from ${uploads.length} ${uploads.length === 1 ? 'file' : 'files'}:`
      : 'Nothing was added:',
    lines,
    notes,
  );
  await (lines.some((l) => l.ok)
    ? interaction.editReply({ content: final, ...quiet })
    : failDeferred(interaction, final));
  if (internal) throw internal;
}
