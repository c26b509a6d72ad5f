import type { RestCall } from '../helpers/fake-discord.ts';

/** Who did what, for the interactions the session sent. */
export interface Action {
  id: string;
  token: string;
  who: string;
  what: string;
}

/** Something a member posted in the channel. */
export interface MemberPost {
  at: number;
  who: string;
  content: string;
}

export interface TranscriptInput {
  startedAt: number;
  calls: RestCall[];
  actions: Action[];
  posts: MemberPost[];
  /** Mentions as Discord shows them: user, role and channel ids to names. */
  names: Record<string, string>;
  /** Pictures the bot attached, by attachment name, saved beside the transcript. */
  pictures: Record<string, string>;
}

interface Shown {
  content?: string;
  flags?: number;
  embeds?: {
    title?: string;
    description?: string;
    fields?: { name: string; value: string }[];
    image?: { url?: string };
  }[];
  components?: { components: { label?: string; emoji?: { name?: string }; disabled?: boolean }[] }[];
}

interface Entry {
  at: number;
  head: string;
  body: string[];
  /** For folding runs of edits that only moved the clock. */
  fold?: string;
}

const clock = (ms: number) => `+${Math.floor(ms / 60_000)}:${String(Math.floor(ms / 1000) % 60).padStart(2, '0')}`;

function jsonOf(body: unknown): Shown | undefined {
  if (typeof body !== 'string') return body as Shown | undefined;
  const match = /name="payload_json"[^\r]*\r\n(?:[^\r]+\r\n)*\r\n(\{[\s\S]*?\})\r\n--/.exec(body);
  return match ? (JSON.parse(match[1]!) as Shown) : undefined;
}

/** Mentions and timestamps as a member sees them. */
function readable(text: string, names: Record<string, string>): string {
  return text
    .replace(/<@!?(\d+)>/g, (_m, id: string) => `@${names[id] ?? id}`)
    .replace(/<#(\d+)>/g, (_m, id: string) => `#${names[id] ?? id}`)
    .replace(/<t:(\d+):[tTdDfFR]>/g, (_m, s: string) => new Date(Number(s) * 1000).toISOString().slice(11, 16));
}

/** A message as the channel shows it: its text, embeds, picture and buttons, quoted. */
function shown(message: Shown, input: TranscriptInput): string[] {
  const lines: string[] = [];
  if (message.content) lines.push(...readable(message.content, input.names).split('\n'));
  for (const embed of message.embeds ?? []) {
    if (embed.title) lines.push(`**${readable(embed.title, input.names)}**`);
    if (embed.description) lines.push(...readable(embed.description, input.names).split('\n'));
    for (const field of embed.fields ?? [])
      lines.push(`**${readable(field.name, input.names)}**`, ...readable(field.value, input.names).split('\n'));
    const picture = embed.image?.url?.replace('attachment://', '');
    if (picture) lines.push(input.pictures[picture] ? `![${picture}](${input.pictures[picture]})` : `🖼 ${picture}`);
  }
  const buttons = (message.components ?? []).map((row) =>
    row.components
      .map((c) =>
        (c.disabled
          ? `~~[${c.emoji?.name ?? ''} ${c.label ?? ''}]~~`
          : `[${c.emoji?.name ?? ''} ${c.label ?? ''}]`
        ).replace('[ ', '['),
      )
      .join(' '),
  );
  lines.push(...buttons);
  if (lines.length === 0) lines.push('_(nothing)_');
  return lines.map((l) => `> ${l}`);
}

const PATHS = {
  callback: /^\/api\/v10\/interactions\/(\d+)\/([^/]+)\/callback$/,
  original: /^\/api\/v10\/webhooks\/\d+\/([^/]+)\/messages\/@original$/,
  followUp: /^\/api\/v10\/webhooks\/\d+\/([^/]+)$/,
  channelPost: /^\/api\/v10\/channels\/(\d+)\/messages$/,
  channelMessage: /^\/api\/v10\/channels\/(\d+)\/messages\/(\d+)$/,
};

/** What the transcript keeps track of as it reads the calls: posted messages' numbers, ephemeral deferrals. */
interface Seen {
  ids: Map<string, number>;
  posted: () => string;
  /** Interaction tokens whose deferral (and so its answer) only the member sees. */
  ephemeral: Set<string>;
}

const verb = (action: Action | undefined) => (action?.what.startsWith('`') ? 'used' : 'pressed');

/** One REST call as what the channel saw, if anything. */
function entryOf(call: RestCall, input: TranscriptInput, seen: Seen): Entry | undefined {
  const { ids } = seen;
  const path = decodeURIComponent(call.path);
  const at = call.at - input.startedAt;
  const byToken = (token: string) => input.actions.find((a) => a.token === token);
  const message = jsonOf(call.body);
  const only = (m: Shown | undefined) => (((m?.flags ?? 0) & 64) !== 0 ? ' · _only they can see this_' : '');
  let m = PATHS.callback.exec(path);
  if (m && call.method === 'POST') {
    const action = input.actions.find((a) => a.id === m![1]);
    const reply = call.body as { type: number; data?: Shown };
    if (reply.type === 8) return undefined;
    const head = `**${clock(at)} · ${action?.who ?? 'someone'}** ${verb(action)} ${action?.what ?? 'a command'}`;
    if (reply.type === 5 && only(reply.data)) seen.ephemeral.add(m[2]!);
    if (reply.type === 5) return { at, head, body: [`> _Mini-DJ is thinking…_${only(reply.data)}`] };
    return { at, head: `${head}${only(reply.data)}`, body: shown(reply.data ?? {}, input) };
  }
  if ((m = PATHS.original.exec(path)) && call.method === 'PATCH') {
    const action = byToken(m[1]!);
    const to = seen.ephemeral.has(m[1]!) ? ' · _only they can see this_' : '';
    return {
      at,
      head: `**${clock(at)} · Mini-DJ** answered ${action?.who ?? 'the member'} (${action?.what ?? 'a command'})${to}`,
      body: shown(message ?? {}, input),
    };
  }
  if ((m = PATHS.original.exec(path)) && call.method === 'DELETE')
    return {
      at,
      head: `**${clock(at)}** _the public "thinking…" of ${byToken(m[1]!)?.what ?? 'a command'} was deleted_`,
      body: [],
    };
  if ((m = PATHS.followUp.exec(path)) && call.method === 'POST') {
    return {
      at,
      head: `**${clock(at)} · Mini-DJ** to ${byToken(m[1]!)?.who ?? 'the member'}${only(message)}`,
      body: shown(message ?? {}, input),
    };
  }
  if ((m = PATHS.channelPost.exec(path)) && call.method === 'POST') {
    const id = seen.posted();
    ids.set(id, ids.size + 1);
    return { at, head: `**${clock(at)} · Mini-DJ** posted message ${ids.get(id)}`, body: shown(message ?? {}, input) };
  }
  if ((m = PATHS.channelMessage.exec(path)) && call.method === 'PATCH') {
    const body = shown(message ?? {}, input);
    return {
      at,
      head: `**${clock(at)} · Mini-DJ** edited message ${ids.get(m[2]!) ?? '?'}`,
      body,
      fold: `${m[2]}|${body.join('\n').replace(/\d/g, '#')}`,
    };
  }
  if ((m = PATHS.channelMessage.exec(path)) && call.method === 'DELETE')
    return { at, head: `**${clock(at)} · Mini-DJ** deleted message ${ids.get(m[2]!) ?? '?'}`, body: [] };
  return undefined;
}

/** What the channel showed, in order: messages, replies (ephemeral ones marked), edits and deletions, as Markdown. */
export function channelTranscript(input: TranscriptInput, postedIds: string[]): string {
  let next = 0;
  const seen: Seen = { ids: new Map(), posted: () => postedIds[next++]!, ephemeral: new Set() };
  const entries: Entry[] = [];
  for (const call of input.calls) {
    const entry = entryOf(call, input, seen);
    if (entry) entries.push(entry);
  }
  for (const post of input.posts)
    entries.push({
      at: post.at - input.startedAt,
      head: `**${clock(post.at - input.startedAt)} · ${post.who}**`,
      body: post.content.split('\n').map((l) => `> ${l}`),
    });
  entries.sort((a, b) => a.at - b.at);
  const out: string[] = [];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    // Edits that only moved the position on: the last of the run is shown, with how many it stands for.
    let j = i;
    while (e.fold && entries[j + 1]?.fold === e.fold) j++;
    const last = entries[j]!;
    out.push(
      j > i ? `${last.head} _(and ${j - i} earlier edits that only moved the clock, from ${clock(e.at)})_` : last.head,
      '',
      ...last.body,
      '',
    );
    i = j;
  }
  return out.join('\n');
}
