import { randomBytes, randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import type { RemoteInfo } from 'node:dgram';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { RawData, WebSocket } from 'ws';
import { DaveGatewayGroup } from './dave-gateway-group.ts';
import type { VoiceJoin } from './fake-discord.ts';
import type { LoopbackCert } from './loopback-tls.ts';
import { decryptRtp, parseRtp, TRANSPORT_MODES } from './voice-rtp.ts';
import type { TransportMode } from './voice-rtp.ts';

/** Voice gateway v8 opcodes (discord-api-types' VoiceOpcodes, as numbers: the enum is not erasable syntax). */
const OP = {
  identify: 0,
  selectProtocol: 1,
  ready: 2,
  heartbeat: 3,
  sessionDescription: 4,
  speaking: 5,
  heartbeatAck: 6,
  resume: 7,
  hello: 8,
  resumed: 9,
  clientsConnect: 11,
  daveExecuteTransition: 22,
  daveTransitionReady: 23,
  daveExternalSender: 25,
  daveKeyPackage: 26,
  daveProposals: 27,
  daveCommitWelcome: 28,
  daveAnnounceCommit: 29,
  daveWelcome: 30,
  daveInvalidCommitWelcome: 31,
} as const;

const AUTHENTICATION_FAILED = 4004;
const SESSION_NO_LONGER_VALID = 4006;
const UNKNOWN_ENCRYPTION_MODE = 4016;
const IP_DISCOVERY_BYTES = 74;

export interface FakeVoiceServerOptions {
  tls: LoopbackCert;
  /** The voice sessions the fake Discord handed out: an Identify or a Resume must match one (else 4004, as Discord does). */
  joins: () => VoiceJoin[];
  /** The transport encryption modes offered (default: both, AES-GCM first, as Discord lists them). */
  modes?: readonly TransportMode[];
  /** The DAVE protocol version selected for a client that supports it (default 1); 0: transport encryption only. */
  daveVersion?: 0 | 1;
  /** The other member of the call: its client decrypts the bot's end-to-end encrypted frames. */
  listenerId: string;
  /** Who commits the new MLS group: the bot (the listener is welcomed; default) or the listener (the bot is welcomed). */
  committer?: 'bot' | 'listener';
  heartbeatIntervalMs?: number;
  /** Each message to the client is sent this much later (a network's one-way delay; loopback has none). */
  latencyMs?: number;
}

/** One RTP packet as the server received it, decrypted as far as it could be. */
export interface WirePacket {
  /** When it arrived (performance.now(), ms). */
  at: number;
  ssrc: number;
  sequence: number;
  timestamp: number;
  nonce: number;
  /** The Opus packet, once transport (and DAVE) decryption succeeded. */
  opus?: Buffer;
  /** It was end-to-end encrypted (DAVE), not passed through. */
  e2ee: boolean;
  error?: string;
}

/** One voice session: an Identify, and the Resumes of it. */
export interface VoiceSessionRecord {
  token: string;
  ssrc: number;
  mode?: TransportMode;
  daveVersion: number;
  /** DAVE transitions executed (opcode 22 sent). */
  transitions: number[];
  /** The listener's voice privacy code (the group's epoch authenticator) once a transition executed. */
  privacyCode?: string;
  /** Each Resume: the sequence the client acknowledged and the last the server had sent. */
  resumes: { seqAck: number; lastSent: number }[];
  /** Heartbeats' `seq_ack`s behind what had been sent by more than the messages in flight. */
  staleAcks: number;
  speaking: boolean;
  /** RTP packets that arrived before the Speaking op (UDP may overtake the websocket by a packet or two). */
  rtpBeforeSpeaking: number;
  problems: string[];
}

interface Session {
  record: VoiceSessionRecord;
  join: VoiceJoin;
  ws?: WebSocket;
  key?: Buffer;
  dave?: DaveGatewayGroup;
  /** Messages sent with a sequence number, replayed on Resume from the one after the client's `seq_ack`. */
  sent: { seq: number; data: string | Buffer }[];
}

export interface FakeVoiceServer {
  /** What a VOICE_SERVER_UPDATE carries: `127.0.0.1:<port>` (the bot dials `wss://` + it). */
  endpoint: string;
  packets: WirePacket[];
  sessions: VoiceSessionRecord[];
  /** The UDP keep-alives received (the bot sends one every 5 s). */
  keepAlives(): number;
  /** Closes the open voice websockets with `code`, as Discord does. */
  closeWith(code: number): void;
  /** Drops the websocket connections without a close frame (the client sees 1006). */
  cutConnections(): void;
  /** Drops every RTP packet for `ms` (they never arrive). */
  dropUdpFor(ms: number): void;
  /** While silent the server answers nothing: no heartbeat ACKs, no Hello, no Resumed, no UDP. */
  setSilent(silent: boolean): void;
  /** Closes every Identify with `code` (undefined: accepts them again). */
  refuseIdentify(code: number | undefined): void;
  /** Identifies received (accepted or refused). */
  identifies(): number;
  close(): Promise<void>;
}

/**
 * A Discord voice server for tests, on 127.0.0.1: the voice gateway v8 over TLS websockets (Hello, Identify, Ready,
 * Select Protocol, Session Description, Speaking, heartbeats acknowledged with sequence numbers, buffered Resume, and the
 * DAVE opcodes 21-31 with the gateway as MLS external sender), and UDP (IP discovery, RTP decrypted with the negotiated
 * AEAD mode, then the DAVE frame decrypted by the call's other member). It records every packet for the wire checks.
 */
export async function startFakeVoiceServer(opts: FakeVoiceServerOptions): Promise<FakeVoiceServer> {
  const modes = opts.modes ?? TRANSPORT_MODES;
  const heartbeatMs = opts.heartbeatIntervalMs ?? 13_750;
  const sessions = new Map<string, Session>();
  const bySsrc = new Map<number, Session>();
  const packets: WirePacket[] = [];
  const sockets = new Set<WebSocket>();
  const udp = createSocket('udp4');
  let silent = false;
  let refuseWith: number | undefined;
  let identifies = 0;
  let dropUntil = 0;
  let keepAlives = 0;

  const deliver = (ws: WebSocket | undefined, data: string | Buffer): void => {
    if (!opts.latencyMs) ws?.send(data);
    else setTimeout(() => ws?.send(data), opts.latencyMs);
  };
  const send = (session: Session, op: number, d: unknown): void => {
    const seq = (session.sent.at(-1)?.seq ?? 0) + 1;
    const data = JSON.stringify({ op, d, seq });
    session.sent.push({ seq, data });
    deliver(session.ws, data);
  };
  const sendBinary = (session: Session, op: number, payload: Buffer): void => {
    const seq = (session.sent.at(-1)?.seq ?? 0) + 1;
    const data = Buffer.concat([Buffer.from([seq >> 8, seq & 0xff, op]), payload]);
    session.sent.push({ seq, data });
    deliver(session.ws, data);
  };
  const lastSent = (session: Session): number => session.sent.at(-1)?.seq ?? 0;

  function identify(
    ws: WebSocket,
    d: { server_id: string; user_id: string; session_id: string; token: string; max_dave_protocol_version?: number },
  ): Session | undefined {
    identifies += 1;
    if (refuseWith !== undefined) {
      ws.close(refuseWith, 'refused by the test');
      return undefined;
    }
    const join = opts
      .joins()
      .find(
        (j) =>
          j.token === d.token && j.sessionId === d.session_id && j.userId === d.user_id && j.guildId === d.server_id,
      );
    if (!join) {
      ws.close(AUTHENTICATION_FAILED, 'Authentication failed.');
      return undefined;
    }
    let ssrc = randomInt(1, 2 ** 31);
    while (bySsrc.has(ssrc)) ssrc = randomInt(1, 2 ** 31);
    const daveVersion = Math.min(opts.daveVersion ?? 1, d.max_dave_protocol_version ?? 0);
    const record: VoiceSessionRecord = {
      token: join.token,
      ssrc,
      daveVersion,
      transitions: [],
      resumes: [],
      staleAcks: 0,
      speaking: false,
      rtpBeforeSpeaking: 0,
      problems: [],
    };
    const session: Session = { record, join, ws, sent: [] };
    sessions.set(join.token, session);
    bySsrc.set(ssrc, session);
    send(session, OP.ready, {
      ssrc,
      ip: '127.0.0.1',
      port: (udp.address() as AddressInfo).port,
      modes,
      heartbeat_interval: 1,
    });
    return session;
  }

  function selectProtocol(session: Session, d: { protocol: string; data: { mode: string } }): void {
    const mode = modes.find((m) => m === d.data.mode);
    if (d.protocol !== 'udp' || !mode) {
      session.ws?.close(UNKNOWN_ENCRYPTION_MODE, 'Unknown encryption mode.');
      return;
    }
    session.record.mode = mode;
    session.key = randomBytes(32);
    send(session, OP.sessionDescription, {
      mode,
      secret_key: [...session.key],
      dave_protocol_version: session.record.daveVersion,
      audio_codec: 'opus',
      video_codec: 'H264',
      media_session_id: randomBytes(8).toString('hex'),
    });
    if (session.record.daveVersion === 0) return;
    session.dave = new DaveGatewayGroup(session.join.channelId, opts.listenerId);
    send(session, OP.clientsConnect, { user_ids: [opts.listenerId] });
    sendBinary(session, OP.daveExternalSender, session.dave.externalSender);
  }

  /** A new group: the bot's key package arrived; the gateway proposes the members who are not in it, someone commits. */
  function keyPackage(session: Session, keyPackage: Buffer): void {
    const group = session.dave;
    if (!group) return;
    const transitionId = session.record.transitions.length + 1;
    if (opts.committer === 'listener') {
      const { welcome } = group.listenerCommits(keyPackage, session.join.userId);
      sendBinary(
        session,
        OP.daveWelcome,
        Buffer.concat([Buffer.from([transitionId >> 8, transitionId & 0xff]), welcome]),
      );
      return;
    }
    sendBinary(session, OP.daveProposals, group.proposals([group.listenerKeyPackage()]));
  }

  function commitWelcome(session: Session, payload: Buffer): void {
    const group = session.dave;
    if (!group) return;
    try {
      const { commit, welcome } = group.splitCommitWelcome(payload);
      if (!welcome) throw new Error('a commit adding a member came without its welcome');
      group.listener.processWelcome(welcome);
      const transitionId = session.record.transitions.length + 1;
      sendBinary(
        session,
        OP.daveAnnounceCommit,
        Buffer.concat([Buffer.from([transitionId >> 8, transitionId & 0xff]), commit]),
      );
    } catch (error) {
      session.record.problems.push(`commit/welcome refused: ${(error as Error).message}`);
    }
  }

  function resume(
    ws: WebSocket,
    d: { server_id: string; session_id: string; token: string; seq_ack: number },
  ): Session | undefined {
    const session = sessions.get(d.token);
    if (!session || session.join.sessionId !== d.session_id || session.join.guildId !== d.server_id) {
      ws.close(SESSION_NO_LONGER_VALID, 'Session is no longer valid.');
      return undefined;
    }
    session.ws = ws;
    session.record.resumes.push({ seqAck: d.seq_ack, lastSent: lastSent(session) });
    for (const m of session.sent) if (m.seq > d.seq_ack) ws.send(m.data);
    send(session, OP.resumed, null);
    return session;
  }

  function onJson(
    ws: WebSocket,
    session: Session | undefined,
    packet: { op: number; d: Record<string, unknown> },
  ): Session | undefined {
    const d = packet.d as never;
    if (packet.op === OP.identify) return identify(ws, d);
    if (packet.op === OP.resume) return resume(ws, d);
    if (packet.op === OP.heartbeat) {
      const { t, seq_ack: seqAck } = packet.d as { t: number; seq_ack: number };
      // A heartbeat may cross at most the messages sent in the last moments; far behind means acks were lost.
      if (session && seqAck < lastSent(session) - 8) session.record.staleAcks += 1;
      deliver(ws, JSON.stringify({ op: OP.heartbeatAck, d: { t } }));
      return session;
    }
    if (!session) return session;
    if (packet.op === OP.selectProtocol) selectProtocol(session, d);
    if (packet.op === OP.speaking)
      session.record.speaking = (packet.d as { speaking: number }).speaking !== 0 || session.record.speaking;
    if (packet.op === OP.daveTransitionReady) {
      const id = (packet.d as { transition_id: number }).transition_id;
      session.record.transitions.push(id);
      if (session.dave?.listener.ready) session.record.privacyCode = session.dave.listener.voicePrivacyCode;
      send(session, OP.daveExecuteTransition, { transition_id: id });
    }
    if (packet.op === OP.daveInvalidCommitWelcome)
      session.record.problems.push(
        `the bot flagged transition ${String((packet.d as { transition_id: number }).transition_id)} invalid`,
      );
    return session;
  }

  function onBinary(session: Session | undefined, message: Buffer): void {
    if (!session) return;
    const op = message[0];
    if (op === OP.daveKeyPackage) keyPackage(session, message.subarray(1));
    if (op === OP.daveCommitWelcome) commitWelcome(session, message.subarray(1));
  }

  const server = createServer({ key: opts.tls.key, cert: opts.tls.cert });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('error', () => undefined);
    let session: Session | undefined;
    if (!silent) deliver(ws, JSON.stringify({ op: OP.hello, d: { v: 8, heartbeat_interval: heartbeatMs } }));
    ws.on('message', (raw: RawData, isBinary: boolean) => {
      if (silent) return;
      const data = raw as Buffer;
      if (isBinary) onBinary(session, data);
      else
        session = onJson(ws, session, JSON.parse(data.toString('utf8')) as { op: number; d: Record<string, unknown> });
    });
  });

  udp.on('message', (msg: Buffer, from: RemoteInfo) => {
    if (silent) return;
    if (msg.length === IP_DISCOVERY_BYTES && msg.readUInt16BE(0) === 1) return discover(msg, from);
    if (msg.length === 8) {
      keepAlives += 1;
      return;
    }
    if (performance.now() < dropUntil) return;
    const packet = receiveRtp(msg);
    if (packet) packets.push(packet);
  });

  function discover(msg: Buffer, from: RemoteInfo): void {
    const ssrc = msg.readUInt32BE(4);
    if (!bySsrc.has(ssrc)) return;
    const reply = Buffer.alloc(IP_DISCOVERY_BYTES);
    reply.writeUInt16BE(2, 0);
    reply.writeUInt16BE(70, 2);
    reply.writeUInt32BE(ssrc, 4);
    reply.write(from.address, 8, 'utf8');
    reply.writeUInt16BE(from.port, IP_DISCOVERY_BYTES - 2);
    udp.send(reply, from.port, from.address);
  }

  function receiveRtp(msg: Buffer): WirePacket | undefined {
    const rtp = parseRtp(msg);
    if (!rtp) return undefined;
    const base = {
      at: performance.now(),
      ssrc: rtp.ssrc,
      sequence: rtp.sequence,
      timestamp: rtp.timestamp,
      nonce: rtp.nonce,
    };
    const session = bySsrc.get(rtp.ssrc);
    if (!session?.key || !session.record.mode)
      return { ...base, e2ee: false, error: 'RTP for an SSRC with no session key' };
    if (!session.record.speaking) session.record.rtpBeforeSpeaking += 1;
    let payload: Buffer;
    try {
      payload = decryptRtp(session.record.mode, session.key, rtp);
    } catch (error) {
      return { ...base, e2ee: false, error: `transport decryption failed: ${(error as Error).message}` };
    }
    if (!session.dave) return { ...base, opus: payload, e2ee: false };
    return { ...base, ...session.dave.receive(session.join.userId, payload) };
  }

  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });

  return {
    endpoint: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    packets,
    get sessions() {
      return [...sessions.values()].map((s) => s.record);
    },
    keepAlives: () => keepAlives,
    closeWith(code) {
      for (const ws of sockets) ws.close(code, 'fake voice server closed the session');
    },
    cutConnections() {
      for (const ws of sockets) ws.terminate();
    },
    dropUdpFor(ms) {
      dropUntil = performance.now() + ms;
    },
    setSilent(on) {
      silent = on;
    },
    refuseIdentify(code) {
      refuseWith = code;
    },
    identifies: () => identifies,
    async close() {
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => udp.close(() => resolve()));
    },
  };
}
