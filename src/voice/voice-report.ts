/**
 * Why a voice connection joined its channel again: its voice server `closed` the session (the library rejoins at
 * once), the connection `dropped` (rejoined with back-off), or it was `stuck` short of Ready past the reconnect timeout.
 */
export type RejoinReason = 'closed' | 'dropped' | 'stuck';

/** Where a voice error came from: the connection (voice websocket, UDP, encryption) or the player. */
export type VoiceErrorKind = 'connection' | 'player';

/** What a guild's voice tells the operator: the bot turns it into a log line and a /metrics counter. */
export type VoiceReport =
  { type: 'rejoin'; reason: RejoinReason } | { type: 'error'; kind: VoiceErrorKind; error: Error };
