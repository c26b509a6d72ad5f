import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';

/**
 * A fake Discord for tests, on 127.0.0.1 only: REST (`/api/v10/...`) and a JSON gateway on the same port.
 * Every REST call and every gateway op the bot sends is recorded so a test can assert on them.
 */

export const FAKE_APP_ID = '111111111111111111';
export const FAKE_GUILD_ID = '222222222222222222';
export const FAKE_TEXT_CHANNEL_ID = '333333333333333331';
export const FAKE_VOICE_CHANNEL_ID = '333333333333333332';
export const FAKE_DJ_ROLE_ID = '444444444444444441';
export const FAKE_QUEUE_COMMAND_ID = '555555555555555555';
export const FAKE_OWNER_ID = '666666666666666666';
export const FAKE_SUGGEST_COMMAND_ID = '555555555555555556';
export const FAKE_DJSET_COMMAND_ID = '555555555555555557';
/** A second voice channel (a moderator moves the bot there). */
export const FAKE_VOICE_CHANNEL_2_ID = '333333333333333334';
export const FAKE_STAGE_CHANNEL_ID = '333333333333333335';
/** A voice channel with a limit of 1, taken by FAKE_SITTER. */
export const FAKE_FULL_CHANNEL_ID = '333333333333333336';
export const FAKE_SITTER = { id: '666666666666666667', username: 'sitter' };
/** Mute Members and Move Members: a moderator role that may be given to the bot. */
export const FAKE_MOD_ROLE_ID = '444444444444444442';
/** Request to Speak only. */
export const FAKE_SPEAKER_ROLE_ID = '444444444444444443';

/** A second server, on the other shard when the gateway says 2 (FAKE_GUILD_ID is on shard 1 of 2, this on shard 0). */
export const FAKE_GUILD_2_ID = '232222222222222222';
export const FAKE_GUILD_2_TEXT_CHANNEL_ID = '333333333333333341';
export const FAKE_GUILD_2_VOICE_CHANNEL_ID = '333333333333333342';

/**
 * More servers, as many as a test asks for (`fakeGuildIds(n)`): each with a text channel and a voice channel where its
 * owner (FAKE_OWNER_ID) listens, their ids derived from the server's.
 */
export function fakeGuildIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(240000000000000000n + BigInt(i) * 16n));
}
const isExtraGuild = (guildId: string): boolean => /^24\d{16}$/.test(guildId);
/** The voice channel of a server made by fakeGuildIds. */
export function voiceChannelOf(guildId: string): string {
  if (guildId === FAKE_GUILD_2_ID) return FAKE_GUILD_2_VOICE_CHANNEL_ID;
  return isExtraGuild(guildId) ? String(BigInt(guildId) + 2n) : FAKE_VOICE_CHANNEL_ID;
}

/** The channel interactions in `guildId` come from (the fake guild's for any server the fake does not know). */
export function textChannelOf(guildId: string): string {
  if (guildId === FAKE_GUILD_2_ID) return FAKE_GUILD_2_TEXT_CHANNEL_ID;
  return isExtraGuild(guildId) ? String(BigInt(guildId) + 1n) : FAKE_TEXT_CHANNEL_ID;
}

/** The shard that gets a guild's events, as Discord assigns it. */
export function fakeShardOf(guildId: string, shardCount: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(shardCount));
}

/** Permission bit strings as Discord sends them. */
export const PERMISSIONS = {
  none: '0',
  /** View Channel, Send Messages, Use Application Commands, Connect, Speak. */
  member: String((1n << 10n) | (1n << 11n) | (1n << 31n) | (1n << 20n) | (1n << 21n)),
  manageGuild: String((1n << 5n) | (1n << 10n) | (1n << 11n) | (1n << 31n)),
  /** Mute Members, Move Members. */
  moderator: String((1n << 22n) | (1n << 24n)),
  /** Request to Speak. */
  requestToSpeak: String(1n << 32n),
} as const;

const MUTE_MEMBERS = 1n << 22n;
const REQUEST_TO_SPEAK = 1n << 32n;

/** A REST error Discord answers with: 429 with `retry_after`, 404 10062 (unknown interaction), 403 50013. */
export interface RestFailure {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

export const REST_FAILURES = {
  rateLimited: (retryAfterSec: number): RestFailure => ({
    status: 429,
    body: { message: 'You are being rate limited.', retry_after: retryAfterSec, global: false },
    headers: {
      'retry-after': String(Math.ceil(retryAfterSec)),
      'x-ratelimit-scope': 'user',
      'x-ratelimit-bucket': 'fake',
      'x-ratelimit-limit': '5',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset-after': String(retryAfterSec),
    },
  }),
  unknownInteraction: (): RestFailure => ({ status: 404, body: { message: 'Unknown interaction', code: 10062 } }),
  missingPermissions: (): RestFailure => ({ status: 403, body: { message: 'Missing Permissions', code: 50013 } }),
};

export interface RestCall {
  /** When it arrived (Date.now()). */
  at: number;
  method: string;
  /** Path without the query string, e.g. `/api/v10/interactions/1/tok/callback`. */
  path: string;
  query: string;
  body: unknown;
  /** The bytes of a multipart body (a message with files). */
  raw?: Buffer;
}

export interface GatewayOp {
  op: number;
  d: unknown;
  /** The shard of the connection it came on (once that connection identified). */
  shard?: number;
}

export interface FakeDiscordOptions {
  /** What `/gateway/bot` recommends (1 by default). Each guild's events go to the connection of its shard only. */
  shards?: number;
  /** The servers the bot is in: FAKE_GUILD_ID by default; FAKE_GUILD_2_ID and fakeGuildIds(n) may be added. */
  guilds?: string[];
}

/** The voice session a VOICE_SERVER_UPDATE opened: its token is new each time, as Discord's are. */
export interface VoiceJoin {
  guildId: string;
  channelId: string;
  userId: string;
  sessionId: string;
  token: string;
  endpoint: string;
}

export interface FakeUser {
  id: string;
  username: string;
}

export interface InteractionSpec {
  subcommand: string;
  options?: { name: string; type: number; value: string | number | boolean }[];
  user: FakeUser;
  roles?: string[];
  permissions?: string;
  /** `data.resolved`, e.g. `{ attachments: { [id]: attachment } }` for attachment options (see `fakeAttachment`). */
  resolved?: Record<string, unknown>;
  /** Another server than the fake guild the gateway announces (its interactions still arrive). */
  guildId?: string;
}

/** A resolved attachment as Discord sends it in `data.resolved.attachments`, hosted at `url`. */
export function fakeAttachment(
  url: string,
  filename: string,
  size: number,
  contentType = 'audio/wav',
): Record<string, unknown> {
  const id = snowflake();
  return { id, filename, size, url, proxy_url: url, content_type: contentType, ephemeral: true };
}

export interface FakeDiscord {
  port: number;
  /** For `new Client({ rest: { api } })`. */
  apiBase: string;
  restCalls: RestCall[];
  gatewayOps: GatewayOp[];
  /** How many gateway connections were opened. */
  connections(): number;
  /** Sends INTERACTION_CREATE to the connection of the guild's shard (every connection of it). */
  pushInteraction(payload: Record<string, unknown>): void;
  /** How many times the interaction was answered (a callback accepted); Discord refuses a second (400, 40060). */
  answers(interactionId: string): number;
  /** The shards of the connections open now, each once per connection. */
  connectedShards(): number[];
  /** Sends VOICE_STATE_UPDATE: `user` joined `channelId` (null: left voice). */
  pushVoiceState(user: FakeUser, channelId: string | null, extra?: Record<string, unknown>): void;
  /** A moderator moves the bot: its VOICE_STATE_UPDATE in `channelId`. */
  moveBot(channelId: string): void;
  /** The bot's roles change (GUILD_MEMBER_UPDATE). */
  setBotRoles(roles: string[]): void;
  /** The bot is removed from the server (GUILD_DELETE), or invited again (GUILD_CREATE). */
  removeBot(): void;
  inviteBot(): void;
  /** The next REST call matching gets `failure` instead of its answer. */
  failNext(match: (call: RestCall) => boolean, failure: RestFailure): void;
  /** Answers op 4 joins with a VOICE_SERVER_UPDATE pointing at `endpoint` (null: none, the default). */
  setVoiceServer(endpoint: string | null): void;
  /** Discord moves the guild's voice to another server: a VOICE_SERVER_UPDATE now, and for the joins after. */
  moveVoiceServer(endpoint: string, guildId?: string): void;
  /** Each VOICE_SERVER_UPDATE sent: what a voice server checks an Identify or a Resume against. */
  voiceJoins: VoiceJoin[];
  /** Closes every gateway connection with `code`; with `invalidate`, a RESUME gets INVALID_SESSION (op 9). */
  dropGateway(code: number, invalidate?: boolean): void;
  /** Edits of channel messages (`PATCH /channels/:id/messages/:id`), in order, with when they came. */
  messageEdits(): { channelId: string; messageId: string; body: Record<string, unknown>; at: number }[];
  /** Channel messages the bot sent with its own token (`POST /channels/:id/messages`), with the id each got. */
  channelMessages(): { channelId: string; id: string; body: Record<string, unknown> }[];
  /** A member posts in a channel (the bot, without the message intents, is not told; it can read the history). */
  postMemberMessage(channelId: string, user: FakeUser, content: string): string;
  /** Channel messages the bot deleted (`DELETE /channels/:id/messages/:id`). */
  deletedMessages(): { channelId: string; messageId: string }[];
  /** Threads the bot created (`POST /channels/:id/threads`). */
  threads(): { id: string; parentId: string; name: string }[];
  /** Resolves with the first recorded REST call matching, waiting up to `timeoutMs`. */
  waitForRest(match: (call: RestCall) => boolean, timeoutMs?: number): Promise<RestCall>;
  waitForGatewayOp(match: (op: GatewayOp) => boolean, timeoutMs?: number): Promise<GatewayOp>;
  /**
   * What a deferred interaction finally said: its edited reply (public), or its follow-up (`ephemeral` when flagged 64;
   * `deletedOriginal` when the public "thinking…" was deleted).
   */
  deferredOutcome(
    payload: Record<string, unknown>,
    timeoutMs?: number,
    isProgress?: (content: string) => boolean,
  ): Promise<{ content: string; ephemeral: boolean; deletedOriginal: boolean }>;
  close(): Promise<void>;
}

let nextSnowflake = 900000000000000000n;
function snowflake(): string {
  nextSnowflake += 1n;
  return String(nextSnowflake);
}

function apiUser(user: FakeUser, bot = false): Record<string, unknown> {
  return {
    id: user.id,
    username: user.username,
    discriminator: '0',
    global_name: user.username,
    avatar: null,
    bot,
    flags: 0,
    public_flags: 0,
  };
}

function apiMember(user: FakeUser, roles: string[], bot = false): Record<string, unknown> {
  return {
    user: apiUser(user, bot),
    roles,
    nick: null,
    avatar: null,
    joined_at: '2025-01-01T00:00:00.000Z',
    premium_since: null,
    deaf: false,
    mute: false,
    flags: 0,
    pending: false,
  };
}

const BOT_USER: FakeUser = { id: FAKE_APP_ID, username: 'mini-dj' };

/** A realistic APPLICATION_COMMAND payload for `/queue <subcommand>`, as Discord sends it over the gateway. */
export function queueInteraction(spec: InteractionSpec): Record<string, unknown> {
  return commandInteraction(
    FAKE_QUEUE_COMMAND_ID,
    'queue',
    [{ type: 1, name: spec.subcommand, options: spec.options ?? [] }],
    spec,
  );
}

/** `/djset <subcommand>`. */
export function djsetInteraction(spec: InteractionSpec): Record<string, unknown> {
  return commandInteraction(
    FAKE_DJSET_COMMAND_ID,
    'djset',
    [{ type: 1, name: spec.subcommand, options: spec.options ?? [] }],
    spec,
  );
}

/** A button press (MESSAGE_COMPONENT) on a message the bot sent. */
export function buttonInteraction(spec: {
  customId: string;
  user: FakeUser;
  roles?: string[];
  permissions?: string;
  guildId?: string;
}): Record<string, unknown> {
  const base = commandInteraction('0', '', [], spec);
  return { ...base, type: 3, data: { custom_id: spec.customId, component_type: 2 }, message: messageObject('') };
}

/** Autocomplete for a string option being typed (`focused`) in `/name [subcommand]`. */
export function autocompleteInteraction(spec: {
  command: 'queue' | 'suggest';
  subcommand?: string;
  option: string;
  typed: string;
  user: FakeUser;
  guildId?: string;
}): Record<string, unknown> {
  const focused = { name: spec.option, type: 3, value: spec.typed, focused: true };
  const options = spec.subcommand ? [{ type: 1, name: spec.subcommand, options: [focused] }] : [focused];
  const id = spec.command === 'queue' ? FAKE_QUEUE_COMMAND_ID : FAKE_SUGGEST_COMMAND_ID;
  return { ...commandInteraction(id, spec.command, options, spec), type: 4 };
}

export const FAKE_ADD_MENU_COMMAND_ID = '555555555555555558';

/**
 * A message's Apps menu command (type 3) on a member's message in the fake guild's channel: the message as Discord
 * resolves it in `data.resolved.messages`, its attachments as `fakeAttachment` makes them.
 */
export function messageMenuInteraction(spec: {
  name: string;
  user: FakeUser;
  author?: FakeUser;
  content?: string;
  attachments?: Record<string, unknown>[];
  guildId?: string;
  attachmentSizeLimit?: number;
}): Record<string, unknown> {
  const base = commandInteraction(FAKE_ADD_MENU_COMMAND_ID, spec.name, [], spec);
  const target: Record<string, unknown> = {
    ...messageObject(spec.content ?? ''),
    channel_id: textChannelOf(spec.guildId ?? FAKE_GUILD_ID),
    author: apiUser(spec.author ?? spec.user),
    type: 0,
    attachments: (spec.attachments ?? []).map(({ ephemeral: _, ...a }) => a),
  };
  const data = base.data as Record<string, unknown>;
  return {
    ...base,
    ...(spec.attachmentSizeLimit ? { attachment_size_limit: spec.attachmentSizeLimit } : {}),
    data: {
      id: data.id,
      name: spec.name,
      type: 3,
      guild_id: data.guild_id,
      target_id: target.id,
      resolved: { messages: { [String(target.id)]: target } },
    },
  };
}

/** `/suggest` (no subcommand: the options sit directly on the command). */
export function suggestInteraction(spec: Omit<InteractionSpec, 'subcommand'>): Record<string, unknown> {
  return commandInteraction(FAKE_SUGGEST_COMMAND_ID, 'suggest', spec.options ?? [], spec);
}

function commandInteraction(
  commandId: string,
  name: string,
  options: unknown[],
  spec: Omit<InteractionSpec, 'subcommand'>,
): Record<string, unknown> {
  const permissions = spec.permissions ?? PERMISSIONS.member;
  const guildId = spec.guildId ?? FAKE_GUILD_ID;
  return {
    id: snowflake(),
    application_id: FAKE_APP_ID,
    type: 2,
    data: {
      id: commandId,
      name,
      type: 1,
      guild_id: guildId,
      options,
      ...(spec.resolved ? { resolved: spec.resolved } : {}),
    },
    guild_id: guildId,
    guild: { id: guildId, locale: 'en-US', features: [] },
    channel_id: textChannelOf(guildId),
    channel: {
      id: textChannelOf(guildId),
      type: 0,
      guild_id: guildId,
      name: 'general',
      nsfw: false,
      flags: 0,
      permissions,
    },
    member: { ...apiMember(spec.user, spec.roles ?? []), permissions },
    token: `fake-token-${snowflake()}`,
    version: 1,
    app_permissions: PERMISSIONS.member,
    locale: 'en-US',
    guild_locale: 'en-US',
    entitlements: [],
    authorizing_integration_owners: { '0': guildId },
    context: 0,
    attachment_size_limit: 10485760,
  };
}

const voiceState = (channelId: string, userId: string, sessionId: string) => ({
  channel_id: channelId,
  user_id: userId,
  session_id: sessionId,
  deaf: false,
  mute: false,
  self_deaf: false,
  self_mute: false,
  self_video: false,
  suppress: false,
  request_to_speak_timestamp: null,
});

/** The second server: a text and a voice channel, the owner listening there. */
function secondGuildCreate(botRoles: string[]): Record<string, unknown> {
  const base = guildCreate(botRoles) as {
    roles: Record<string, unknown>[];
    members: unknown[];
    channels: Record<string, unknown>[];
  };
  return {
    ...base,
    id: FAKE_GUILD_2_ID,
    name: 'Second Club',
    member_count: 2,
    roles: [{ ...base.roles[0], id: FAKE_GUILD_2_ID }],
    members: base.members.slice(0, 2),
    channels: [
      { ...base.channels[0], id: FAKE_GUILD_2_TEXT_CHANNEL_ID },
      { ...base.channels[1], id: FAKE_GUILD_2_VOICE_CHANNEL_ID },
    ],
    voice_states: [voiceState(FAKE_GUILD_2_VOICE_CHANNEL_ID, FAKE_OWNER_ID, 'owner-voice-2')],
  };
}

/** A server of fakeGuildIds: its text and voice channel, the owner listening. */
function extraGuildCreate(guildId: string, botRoles: string[]): Record<string, unknown> {
  const base = secondGuildCreate(botRoles) as { roles: Record<string, unknown>[]; channels: Record<string, unknown>[] };
  return {
    ...base,
    id: guildId,
    name: `Club ${guildId.slice(-4)}`,
    roles: [{ ...base.roles[0], id: guildId }],
    channels: [
      { ...base.channels[0], id: textChannelOf(guildId) },
      { ...base.channels[1], id: voiceChannelOf(guildId) },
    ],
    voice_states: [voiceState(voiceChannelOf(guildId), FAKE_OWNER_ID, `owner-voice-${guildId}`)],
  };
}

function guildCreateOf(guildId: string, botRoles: string[]): Record<string, unknown> {
  if (guildId === FAKE_GUILD_2_ID) return secondGuildCreate(botRoles);
  return isExtraGuild(guildId) ? extraGuildCreate(guildId, botRoles) : guildCreate(botRoles);
}

function guildCreate(botRoles: string[]): Record<string, unknown> {
  const mod = {
    id: FAKE_MOD_ROLE_ID,
    name: 'Stage Mod',
    permissions: PERMISSIONS.moderator,
    position: 2,
    color: 0,
    hoist: false,
    managed: false,
    mentionable: false,
    flags: 0,
  };
  const speaker = {
    id: FAKE_SPEAKER_ROLE_ID,
    name: 'Stage Guest',
    permissions: PERMISSIONS.requestToSpeak,
    position: 3,
    color: 0,
    hoist: false,
    managed: false,
    mentionable: false,
    flags: 0,
  };
  const everyone = {
    id: FAKE_GUILD_ID,
    name: '@everyone',
    permissions: PERMISSIONS.member,
    position: 0,
    color: 0,
    hoist: false,
    managed: false,
    mentionable: false,
    flags: 0,
  };
  const dj = {
    id: FAKE_DJ_ROLE_ID,
    name: 'DJ',
    permissions: PERMISSIONS.member,
    position: 1,
    color: 0,
    hoist: false,
    managed: false,
    mentionable: false,
    flags: 0,
  };
  return {
    id: FAKE_GUILD_ID,
    name: 'Fake Club',
    icon: null,
    splash: null,
    discovery_splash: null,
    owner_id: FAKE_OWNER_ID,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    roles: [everyone, dj, mod, speaker],
    emojis: [],
    stickers: [],
    features: [],
    mfa_level: 0,
    system_channel_id: null,
    system_channel_flags: 0,
    rules_channel_id: null,
    vanity_url_code: null,
    description: null,
    banner: null,
    premium_tier: 0,
    premium_subscription_count: 0,
    preferred_locale: 'en-US',
    public_updates_channel_id: null,
    nsfw_level: 0,
    premium_progress_bar_enabled: false,
    joined_at: '2025-01-01T00:00:00.000Z',
    large: false,
    unavailable: false,
    member_count: 3,
    members: [
      apiMember(BOT_USER, botRoles, true),
      apiMember({ id: FAKE_OWNER_ID, username: 'owner' }, []),
      apiMember(FAKE_SITTER, []),
    ],
    channels: [
      {
        id: FAKE_TEXT_CHANNEL_ID,
        type: 0,
        name: 'general',
        position: 0,
        permission_overwrites: [],
        parent_id: null,
        nsfw: false,
        topic: null,
        rate_limit_per_user: 0,
        last_message_id: null,
        flags: 0,
      },
      {
        id: FAKE_VOICE_CHANNEL_ID,
        type: 2,
        name: 'DJ Booth',
        position: 1,
        permission_overwrites: [],
        parent_id: null,
        bitrate: 64000,
        user_limit: 0,
        rtc_region: null,
        nsfw: false,
        rate_limit_per_user: 0,
        flags: 0,
      },
      {
        id: FAKE_VOICE_CHANNEL_2_ID,
        type: 2,
        name: 'Back Room',
        position: 2,
        permission_overwrites: [],
        parent_id: null,
        bitrate: 64000,
        user_limit: 0,
        rtc_region: null,
        nsfw: false,
        rate_limit_per_user: 0,
        flags: 0,
      },
      {
        id: FAKE_STAGE_CHANNEL_ID,
        type: 13,
        name: 'Main Stage',
        position: 3,
        permission_overwrites: [],
        parent_id: null,
        bitrate: 64000,
        user_limit: 0,
        rtc_region: null,
        nsfw: false,
        rate_limit_per_user: 0,
        flags: 0,
      },
      {
        id: FAKE_FULL_CHANNEL_ID,
        type: 2,
        name: 'Phone Box',
        position: 4,
        permission_overwrites: [],
        parent_id: null,
        bitrate: 64000,
        user_limit: 1,
        rtc_region: null,
        nsfw: false,
        rate_limit_per_user: 0,
        flags: 0,
      },
    ],
    threads: [],
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
    voice_states: [
      {
        channel_id: FAKE_VOICE_CHANNEL_ID,
        user_id: FAKE_OWNER_ID,
        session_id: 'owner-voice',
        deaf: false,
        mute: false,
        self_deaf: false,
        self_mute: false,
        self_video: false,
        suppress: false,
        request_to_speak_timestamp: null,
      },
      {
        channel_id: FAKE_FULL_CHANNEL_ID,
        user_id: FAKE_SITTER.id,
        session_id: 'sitter-voice',
        deaf: false,
        mute: false,
        self_deaf: false,
        self_mute: false,
        self_video: false,
        suppress: false,
        request_to_speak_timestamp: null,
      },
    ],
  };
}

function messageObject(content: unknown, author: FakeUser = BOT_USER): Record<string, unknown> {
  return {
    id: snowflake(),
    channel_id: FAKE_TEXT_CHANNEL_ID,
    author: apiUser(author, author === BOT_USER),
    content: typeof content === 'string' ? content : '',
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    pinned: false,
    type: 20,
    flags: 0,
    components: [],
  };
}

function threadObject(thread: { id: string; parentId: string; name: string }): Record<string, unknown> {
  return {
    id: thread.id,
    type: 11,
    guild_id: FAKE_GUILD_ID,
    parent_id: thread.parentId,
    name: thread.name,
    owner_id: FAKE_APP_ID,
    last_message_id: null,
    rate_limit_per_user: 0,
    message_count: 0,
    member_count: 1,
    flags: 0,
    total_message_sent: 0,
    thread_metadata: {
      archived: false,
      auto_archive_duration: 1440,
      archive_timestamp: new Date().toISOString(),
      locked: false,
      create_timestamp: new Date().toISOString(),
    },
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function rolePermissions(roles: string[]): bigint {
  const table: Record<string, string> = {
    [FAKE_GUILD_ID]: PERMISSIONS.member,
    [FAKE_DJ_ROLE_ID]: PERMISSIONS.member,
    [FAKE_MOD_ROLE_ID]: PERMISSIONS.moderator,
    [FAKE_SPEAKER_ROLE_ID]: PERMISSIONS.requestToSpeak,
  };
  return [FAKE_GUILD_ID, ...roles].reduce((bits, r) => bits | BigInt(table[r] ?? '0'), 0n);
}

/** The first item of `list` (which only grows) matching; each check reads only what came since the last. */
function waitFor<T>(list: T[], match: (item: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    let checked = 0;
    const check = (): void => {
      for (; checked < list.length; checked++) if (match(list[checked]!)) return resolve(list[checked]!);
      if (Date.now() > deadline) return reject(new Error(`fake Discord: no ${what} matched within ${timeoutMs} ms`));
      setTimeout(check, 10);
    };
    check();
  });
}

export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const shardCount = options.shards ?? 1;
  const guilds = options.guilds ?? [FAKE_GUILD_ID];
  const answered = new Map<string, number>();
  const restCalls: RestCall[] = [];
  const sent: { channelId: string; id: string; body: Record<string, unknown> }[] = [];
  /** Every message in each channel, oldest first: the bot's, its interaction replies and members'. */
  const history = new Map<string, { id: string; author: FakeUser; content: string }[]>();
  const deleted: { channelId: string; messageId: string }[] = [];
  const threads: { id: string; parentId: string; name: string }[] = [];
  /** The channel each interaction came from (its public replies are posted there). */
  const interactionChannels = new Map<string, string>();
  const appendMessage = (channelId: string, author: FakeUser, content: string, id = snowflake()): string => {
    const log = history.get(channelId) ?? [];
    history.set(channelId, log);
    log.push({ id, author, content });
    return id;
  };
  const gatewayOps: GatewayOp[] = [];
  const edits: { channelId: string; messageId: string; body: Record<string, unknown>; at: number }[] = [];
  const failures: { match: (call: RestCall) => boolean; failure: RestFailure }[] = [];
  let botRoles: string[] = [];
  let voiceServer: string | null = null;
  let invalidateResumes = false;
  const botVoice = new Map<string, string | null>();
  const voiceJoins: VoiceJoin[] = [];
  const sockets = new Set<WebSocket>();
  /** Each connection's shard [id, count], from its IDENTIFY (or the session it resumed). */
  const shardOfSocket = new Map<WebSocket, [number, number]>();
  const sessionShards = new Map<string, [number, number]>();
  const owners = (guildId: string): WebSocket[] =>
    [...sockets].filter((ws) => {
      const shard = shardOfSocket.get(ws);
      return shard !== undefined && fakeShardOf(guildId, shard[1]) === shard[0];
    });
  const toGuild = (guildId: string, t: string, d: unknown): void => {
    for (const ws of owners(guildId)) dispatch(ws, t, d);
  };
  const sequence = new WeakMap<WebSocket, number>();
  let connectionCount = 0;
  let port = 0;

  const dispatch = (ws: WebSocket, t: string, d: unknown): void => {
    const s = (sequence.get(ws) ?? 0) + 1;
    sequence.set(ws, s);
    ws.send(JSON.stringify({ op: 0, t, s, d }));
  };

  function broadcastVoiceState(
    user: FakeUser,
    channelId: string | null,
    extra: Record<string, unknown> = {},
    bot = false,
  ): void {
    const state = {
      guild_id: FAKE_GUILD_ID as string,
      channel_id: channelId,
      user_id: user.id,
      member: apiMember(user, bot ? botRoles : [], bot),
      session_id: `voice-${user.id}`,
      deaf: false,
      mute: false,
      self_deaf: bot,
      self_mute: false,
      self_video: false,
      suppress: false,
      request_to_speak_timestamp: null,
      ...extra,
    };
    toGuild(state.guild_id, 'VOICE_STATE_UPDATE', state);
  }

  /** What Discord does with op 4: the bot's voice state (suppressed on a stage), then its voice server if one is set. */
  function answerVoiceJoin(d: { guild_id: string; channel_id: string | null }): void {
    botVoice.set(d.guild_id, d.channel_id);
    broadcastVoiceState(
      BOT_USER,
      d.channel_id,
      { suppress: d.channel_id === FAKE_STAGE_CHANNEL_ID, guild_id: d.guild_id },
      true,
    );
    if (d.channel_id && voiceServer) sendVoiceServer(d.guild_id, d.channel_id, voiceServer);
  }

  function sendVoiceServer(guildId: string, channelId: string, endpoint: string): void {
    const token = `fake-voice-token-${voiceJoins.length + 1}`;
    voiceJoins.push({ guildId, channelId, userId: BOT_USER.id, sessionId: `voice-${BOT_USER.id}`, token, endpoint });
    toGuild(guildId, 'VOICE_SERVER_UPDATE', { guild_id: guildId, token, endpoint });
  }

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const method = req.method ?? 'GET';
      const raw = await readBody(req);
      const body = parseJson(raw.toString('utf8'));
      if (method === 'GET' && url.pathname === '/api/v10/gateway/bot') {
        return send(res, 200, {
          url: `ws://127.0.0.1:${port}`,
          shards: shardCount,
          session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
        });
      }
      const multipart = String(req.headers['content-type'] ?? '').startsWith('multipart/');
      const call = {
        at: Date.now(),
        method,
        path: url.pathname,
        query: url.search,
        body,
        ...(multipart ? { raw } : {}),
      };
      restCalls.push(call);
      const failing = failures.findIndex((f) => f.match(call));
      if (failing >= 0) {
        const { failure } = failures.splice(failing, 1)[0]!;
        return send(res, failure.status, failure.body, failure.headers);
      }
      const ownVoice = /^\/api\/v10\/guilds\/(\d+)\/voice-states\/@me$/.exec(decodeURIComponent(url.pathname));
      if (ownVoice && method === 'PATCH') {
        const patch = body as { suppress?: boolean; request_to_speak_timestamp?: string | null };
        const allowed = rolePermissions(botRoles);
        if (
          (patch.suppress === false && !(allowed & MUTE_MEMBERS)) ||
          (patch.request_to_speak_timestamp && !(allowed & (REQUEST_TO_SPEAK | MUTE_MEMBERS)))
        ) {
          return send(res, 403, REST_FAILURES.missingPermissions().body);
        }
        broadcastVoiceState(
          BOT_USER,
          botVoice.get(ownVoice[1]!) ?? null,
          {
            guild_id: ownVoice[1],
            suppress: patch.suppress ?? true,
            request_to_speak_timestamp: patch.request_to_speak_timestamp ?? null,
          },
          true,
        );
        return send(res, 204);
      }
      const edit = /^\/api\/v10\/channels\/(\d+)\/messages\/(\d+)$/.exec(url.pathname);
      const known = edit && history.get(edit[1]!)?.some((m) => m.id === edit[2]);
      if (edit && (method === 'PATCH' || method === 'DELETE') && !known)
        return send(res, 404, { message: 'Unknown Message', code: 10008 });
      if (edit && method === 'DELETE') {
        deleted.push({ channelId: edit[1]!, messageId: edit[2]! });
        history.set(
          edit[1]!,
          history.get(edit[1]!)!.filter((m) => m.id !== edit[2]),
        );
        return send(res, 204);
      }
      if (edit && method === 'PATCH') {
        edits.push({ channelId: edit[1]!, messageId: edit[2]!, body: body as Record<string, unknown>, at: Date.now() });
        return send(res, 200, {
          ...messageObject((body as { content?: unknown }).content),
          id: edit[2],
          channel_id: edit[1],
          type: 0,
        });
      }
      if (method === 'DELETE' && /^\/api\/v10\/webhooks\/\d+\/[^/]+\/messages\/[^/]+$/.test(url.pathname))
        return send(res, 204);
      const callback = /^\/api\/v10\/interactions\/(\d+)\/[^/]+\/callback$/.exec(url.pathname);
      if (method === 'POST' && callback) {
        const times = answered.get(callback[1]!) ?? 0;
        if (times > 0) return send(res, 400, { message: 'Interaction has already been acknowledged.', code: 40060 });
        answered.set(callback[1]!, 1);
        // A public reply (or public "thinking…") is a message in the channel.
        const reply = body as { type?: number; data?: { flags?: number; content?: string } };
        const channelId = interactionChannels.get(callback[1]!);
        if (channelId && (reply.type === 4 || reply.type === 5) && ((reply.data?.flags ?? 0) & 64) === 0)
          appendMessage(channelId, BOT_USER, reply.data?.content ?? '');
        return send(res, 204);
      }
      const channelPost = /^\/api\/v10\/channels\/(\d+)\/messages$/.exec(url.pathname);
      if (channelPost && method === 'GET') {
        const after = BigInt(url.searchParams.get('after') ?? '0');
        const limit = Number(url.searchParams.get('limit') ?? 50);
        // Newest first, as Discord lists them.
        const found = (history.get(channelPost[1]!) ?? [])
          .filter((m) => BigInt(m.id) > after)
          .slice(0, limit)
          .reverse();
        return send(
          res,
          200,
          found.map((m) => ({ ...messageObject(m.content, m.author), id: m.id, channel_id: channelPost[1], type: 0 })),
        );
      }
      if (channelPost && method === 'POST') {
        const message = messageObject((body as { content?: unknown }).content);
        sent.push({ channelId: channelPost[1]!, id: String(message.id), body: body as Record<string, unknown> });
        appendMessage(
          channelPost[1]!,
          BOT_USER,
          String((body as { content?: unknown }).content ?? ''),
          String(message.id),
        );
        return send(res, 200, { ...message, channel_id: channelPost[1], type: 0 });
      }
      const threadPost = /^\/api\/v10\/channels\/(\d+)\/threads$/.exec(url.pathname);
      if (threadPost && method === 'POST') {
        const name = String((body as { name?: unknown }).name ?? '');
        const thread = { id: snowflake(), parentId: threadPost[1]!, name };
        threads.push(thread);
        return send(res, 201, threadObject(thread));
      }
      const channelGet = /^\/api\/v10\/channels\/(\d+)$/.exec(url.pathname);
      const thread = channelGet && method === 'GET' ? threads.find((t) => t.id === channelGet[1]) : undefined;
      if (thread) return send(res, 200, threadObject(thread));
      const webhook = /^\/api\/v10\/webhooks\/\d+\/[^/]+(\/messages\/[^/]+)?$/.exec(url.pathname);
      if (webhook && (method === 'PATCH' || method === 'POST')) {
        return send(res, 200, messageObject((body as { content?: unknown } | undefined)?.content));
      }
      return send(res, 404, { message: '404: Not Found', code: 0 });
    })().catch((error: unknown) => send(res, 500, { message: String(error), code: 0 }));
  });

  // Any upgrade path is the gateway (the bot asks for `/?v=10&encoding=json`).
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => {
    connectionCount += 1;
    sockets.add(ws);
    ws.on('close', () => {
      sockets.delete(ws);
      shardOfSocket.delete(ws);
    });
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41_250 } }));
    ws.on('message', (raw: Buffer) => {
      const packet = parseJson(raw.toString('utf8')) as GatewayOp;
      if (packet.op === 2) shardOfSocket.set(ws, (packet.d as { shard?: [number, number] }).shard ?? [0, 1]);
      if (packet.op === 6) {
        const resumed = sessionShards.get(String((packet.d as { session_id?: unknown }).session_id));
        if (resumed) shardOfSocket.set(ws, resumed);
      }
      const shard = shardOfSocket.get(ws)?.[0];
      gatewayOps.push({ op: packet.op, d: packet.d, ...(shard !== undefined ? { shard } : {}) });
      if (packet.op === 1) ws.send(JSON.stringify({ op: 11 }));
      if (packet.op === 4)
        setTimeout(() => answerVoiceJoin(packet.d as { guild_id: string; channel_id: string | null }), 5);
      if (packet.op === 6) {
        if (invalidateResumes) ws.send(JSON.stringify({ op: 9, d: false }));
        else dispatch(ws, 'RESUMED', {});
      }
      if (packet.op === 2) {
        const shard = shardOfSocket.get(ws)!;
        const own = guilds.filter((g) => fakeShardOf(g, shard[1]) === shard[0]);
        const sessionId = `fake-session-${shard[0]}`;
        sessionShards.set(sessionId, shard);
        dispatch(ws, 'READY', {
          v: 10,
          user: { ...apiUser(BOT_USER, true), verified: true, mfa_enabled: false },
          guilds: own.map((id) => ({ id, unavailable: true })),
          session_id: sessionId,
          resume_gateway_url: `ws://127.0.0.1:${port}`,
          shard,
          application: { id: FAKE_APP_ID, flags: 0 },
          private_channels: [],
          relationships: [],
          presences: [],
          guild_join_requests: [],
          geo_ordered_rtc_regions: [],
        });
        for (const id of own) dispatch(ws, 'GUILD_CREATE', guildCreateOf(id, botRoles));
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  return {
    port,
    apiBase: `http://127.0.0.1:${port}/api`,
    restCalls,
    gatewayOps,
    connections: () => connectionCount,
    pushInteraction(payload) {
      const guildId = String(payload.guild_id ?? FAKE_GUILD_ID);
      if (payload.channel_id) interactionChannels.set(String(payload.id), String(payload.channel_id));
      // A server the fake does not announce (its interactions still arrive) goes to the first connection, as shard 0 of 1.
      const to = guilds.includes(guildId)
        ? owners(guildId)
        : [...sockets].filter((ws) => shardOfSocket.has(ws)).slice(0, 1);
      if (to.length === 0) throw new Error(`fake Discord: no gateway client of guild ${guildId}'s shard is connected`);
      for (const ws of to) dispatch(ws, 'INTERACTION_CREATE', payload);
    },
    answers: (interactionId) => answered.get(interactionId) ?? 0,
    connectedShards: () => [...shardOfSocket.values()].map((shard) => shard[0]),
    pushVoiceState(user, channelId, extra) {
      broadcastVoiceState(user, channelId, extra);
    },
    moveBot(channelId) {
      botVoice.set(FAKE_GUILD_ID, channelId);
      broadcastVoiceState(BOT_USER, channelId, {}, true);
    },
    setBotRoles(roles) {
      botRoles = [...roles];
      toGuild(FAKE_GUILD_ID, 'GUILD_MEMBER_UPDATE', {
        guild_id: FAKE_GUILD_ID,
        ...apiMember(BOT_USER, botRoles, true),
      });
    },
    removeBot() {
      toGuild(FAKE_GUILD_ID, 'GUILD_DELETE', { id: FAKE_GUILD_ID });
    },
    inviteBot() {
      botVoice.set(FAKE_GUILD_ID, null);
      toGuild(FAKE_GUILD_ID, 'GUILD_CREATE', guildCreate(botRoles));
    },
    failNext(match, failure) {
      failures.push({ match, failure });
    },
    setVoiceServer(endpoint) {
      voiceServer = endpoint;
    },
    moveVoiceServer(endpoint, guildId = FAKE_GUILD_ID) {
      voiceServer = endpoint;
      const channelId = botVoice.get(guildId);
      if (channelId) sendVoiceServer(guildId, channelId, endpoint);
    },
    voiceJoins,
    dropGateway(code, invalidate = false) {
      invalidateResumes = invalidate;
      for (const ws of sockets) ws.close(code, 'fake Discord dropped the session');
    },
    messageEdits: () => edits,
    channelMessages: () => sent,
    postMemberMessage: (channelId, user, content) => appendMessage(channelId, user, content),
    deletedMessages: () => deleted,
    threads: () => threads,
    waitForRest: (match, timeoutMs = 5000) => waitFor(restCalls, match, timeoutMs, 'REST call'),
    waitForGatewayOp: (match, timeoutMs = 5000) => waitFor(gatewayOps, match, timeoutMs, 'gateway op'),
    async deferredOutcome(payload, timeoutMs = 60_000, isProgress = () => false) {
      const hook = `/api/v10/webhooks/${FAKE_APP_ID}/${String(payload.token)}`;
      const final = (c: RestCall) => !isProgress(String((c.body as { content?: string } | undefined)?.content ?? ''));
      const said = await waitFor(
        restCalls,
        (c) =>
          decodeURIComponent(c.path) === hook
            ? c.method === 'POST'
            : c.method === 'PATCH' && decodeURIComponent(c.path) === `${hook}/messages/@original` && final(c),
        timeoutMs,
        'reply',
      );
      const body = said.body as { content?: string; flags?: number };
      const followUp = said.method === 'POST';
      if (followUp)
        await waitFor(
          restCalls,
          (c) => c.method === 'DELETE' && decodeURIComponent(c.path) === `${hook}/messages/@original`,
          2000,
          'the deletion',
        ).catch(() => undefined);
      const deletedOriginal = restCalls.some(
        (c) => c.method === 'DELETE' && decodeURIComponent(c.path) === `${hook}/messages/@original`,
      );
      return { content: body.content ?? '', ephemeral: followUp && ((body.flags ?? 0) & 64) === 64, deletedOriginal };
    },
    async close() {
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
