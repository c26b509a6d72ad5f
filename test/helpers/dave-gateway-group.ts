import { generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import davey from '@snazzah/davey';
import type { DAVESession } from '@snazzah/davey';

/**
 * The DAVE side of a voice gateway for one call (https://daveprotocol.com): the MLS external sender Discord's voice
 * gateway is (a P-256 signing key, its ExternalSender package, Add proposals it signs for a member's key package, the
 * commit and welcome it passes on), and a second member of the call, a real `@snazzah/davey` session, that is welcomed
 * into the bot's group and decrypts the bot's end-to-end encrypted frames as a listener's client would.
 *
 * davey is a member's library: it has no external-sender API, so the proposals are framed here (RFC 9420 PublicMessage,
 * sender `external`, signed with SignWithLabel "FramedContentTBS") and the commit is parsed only to find where the
 * welcome starts.
 */

const MLS_VERSION = 1;
const WIRE_PUBLIC_MESSAGE = 1;
const SENDER_MEMBER = 1;
const SENDER_EXTERNAL = 2;
const CONTENT_PROPOSAL = 2;
const CONTENT_COMMIT = 3;
const PROPOSAL_ADD = 1;
const CREDENTIAL_BASIC = 1;
const LEAF_SOURCE_KEY_PACKAGE = 1;
const LEAF_SOURCE_COMMIT = 3;
const AUDIO = 0;
/** What ends every DAVE frame (the magic marker), so a receiver can tell E2EE frames from passthrough ones. */
const DAVE_MARKER = 0xfafa;

/** RFC 9420 §2.1.2: a vector's length as a 1, 2 or 4-byte varint. */
function vec(bytes: Uint8Array): Buffer {
  const n = bytes.length;
  const head =
    n < 64
      ? Buffer.from([n])
      : n < 16384
        ? Buffer.from([0x40 | (n >> 8), n & 0xff])
        : Buffer.from([0x80 | (n >>> 24), (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([head, bytes]);
}

function uint(bytes: number, value: number | bigint): Buffer {
  const b = Buffer.alloc(bytes);
  if (bytes === 8) b.writeBigUInt64BE(BigInt(value));
  else b.writeUIntBE(Number(value), 0, bytes);
  return b;
}

/** Reads TLS-presentation fields far enough to skip an MLS commit. */
class TlsReader {
  offset = 0;
  private readonly buf: Buffer;

  constructor(buf: Buffer) {
    this.buf = buf;
  }

  u8(): number {
    return this.buf.readUInt8(this.advance(1));
  }
  u16(): number {
    return this.buf.readUInt16BE(this.advance(2));
  }
  skip(n: number): void {
    this.advance(n);
  }
  vec(): Buffer {
    const first = this.buf[this.offset]!;
    const width = [1, 2, 4][first >> 6];
    if (width === undefined) throw new Error('invalid MLS varint');
    const at = this.advance(width);
    const len =
      width === 1 ? first : width === 2 ? this.buf.readUInt16BE(at) & 0x3fff : this.buf.readUInt32BE(at) & 0x3fffffff;
    return this.buf.subarray(this.advance(len), this.offset);
  }
  private advance(n: number): number {
    const at = this.offset;
    if (at + n > this.buf.length) throw new Error('MLS message truncated');
    this.offset += n;
    return at;
  }
}

function skipLeafNode(r: TlsReader): void {
  r.vec(); // encryption_key
  r.vec(); // signature_key
  if (r.u16() !== CREDENTIAL_BASIC) throw new Error('DAVE allows basic credentials only');
  r.vec(); // identity
  for (let i = 0; i < 5; i++) r.vec(); // capabilities: versions, cipher suites, extensions, proposals, credentials
  const source = r.u8();
  if (source === LEAF_SOURCE_KEY_PACKAGE) r.skip(16);
  else if (source === LEAF_SOURCE_COMMIT) r.vec();
  r.vec(); // extensions
  r.vec(); // signature
}

/** Where a PublicMessage commit (an MLSMessage) ends: the welcome, when there is one, follows it (opcode 28). */
export function commitLength(payload: Buffer): number {
  const r = new TlsReader(payload);
  if (r.u16() !== MLS_VERSION || r.u16() !== WIRE_PUBLIC_MESSAGE)
    throw new Error('the commit is not an MLS PublicMessage');
  r.vec(); // group_id
  r.skip(8); // epoch
  const sender = r.u8();
  if (sender === SENDER_MEMBER || sender === SENDER_EXTERNAL) r.skip(4);
  r.vec(); // authenticated_data
  if (r.u8() !== CONTENT_COMMIT) throw new Error('the message is not a commit');
  r.vec(); // proposals (by reference)
  if (r.u8() === 1) {
    skipLeafNode(r);
    r.vec(); // the path's nodes
  }
  r.vec(); // signature
  r.vec(); // confirmation_tag
  if (sender === SENDER_MEMBER) r.vec(); // membership_tag
  return r.offset;
}

export interface DaveFrame {
  /** The Opus packet, or undefined when the frame could not be decrypted. */
  opus?: Buffer;
  /** The frame was end-to-end encrypted (not passed through). */
  e2ee: boolean;
  error?: string;
}

/** One call's MLS group as the voice gateway runs it, and the listener welcomed into it. */
export class DaveGatewayGroup {
  readonly externalSender: Buffer;
  readonly listener: DAVESession;
  private readonly signingKey: KeyObject;
  private readonly groupId: Buffer;

  constructor(channelId: string, listenerId: string) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    this.signingKey = privateKey;
    // SPKI ends with the uncompressed point, which is what MLS carries as a P-256 SignaturePublicKey.
    const point = publicKey.export({ type: 'spki', format: 'der' }).subarray(-65);
    this.externalSender = Buffer.concat([
      vec(point),
      uint(2, CREDENTIAL_BASIC),
      vec(Buffer.from('mini-dj fake voice gateway')),
    ]);
    this.groupId = uint(8, BigInt(channelId));
    this.listener = new davey.DAVESession(1, listenerId, channelId);
    this.listener.setExternalSender(this.externalSender);
  }

  /** The listener's key package (opcode 26 from its client). */
  listenerKeyPackage(): Buffer {
    return this.listener.getSerializedKeyPackage();
  }

  /** Opcode 27's payload: append the Add proposals for these key packages, signed by the gateway for `epoch`. */
  proposals(keyPackages: Buffer[], epoch = 0): Buffer {
    return Buffer.concat([uint(1, 0), vec(Buffer.concat(keyPackages.map((kp) => this.addProposal(kp, epoch))))]);
  }

  private addProposal(keyPackage: Buffer, epoch: number): Buffer {
    const content = Buffer.concat([
      vec(this.groupId),
      uint(8, epoch),
      uint(1, SENDER_EXTERNAL),
      uint(4, 0),
      vec(Buffer.alloc(0)),
      uint(1, CONTENT_PROPOSAL),
      uint(2, PROPOSAL_ADD),
      keyPackage,
    ]);
    const framing = Buffer.concat([uint(2, MLS_VERSION), uint(2, WIRE_PUBLIC_MESSAGE)]);
    // An external sender's FramedContentTBS carries no group context.
    const signContent = Buffer.concat([
      vec(Buffer.from('MLS 1.0 FramedContentTBS')),
      vec(Buffer.concat([framing, content])),
    ]);
    return Buffer.concat([framing, content, vec(sign('sha256', signContent, this.signingKey))]);
  }

  /** Splits opcode 28's payload into the commit and the welcome for the added members. */
  splitCommitWelcome(payload: Buffer): { commit: Buffer; welcome?: Buffer } {
    const end = commitLength(payload);
    return { commit: payload.subarray(0, end), ...(end < payload.length ? { welcome: payload.subarray(end) } : {}) };
  }

  /** The listener commits the proposals adding `userId` itself (it was quicker than the bot): commit and welcome. */
  listenerCommits(keyPackage: Buffer, userId: string): { commit: Buffer; welcome: Buffer } {
    const { commit, welcome } = this.listener.processProposals(0, this.proposals([keyPackage]).subarray(1), [userId]);
    if (!commit || !welcome) throw new Error('the listener produced no commit and welcome');
    this.listener.processCommit(commit);
    return { commit, welcome };
  }

  /** What the listener's client makes of one frame from `userId`: E2EE decrypted, passed through, or refused. */
  receive(userId: string, frame: Buffer): DaveFrame {
    const marked = frame.length > 2 && frame.readUInt16BE(frame.length - 2) === DAVE_MARKER;
    if (!this.listener.ready)
      return marked
        ? { e2ee: true, error: 'an E2EE frame before the listener joined the group' }
        : { opus: frame, e2ee: false };
    try {
      return { opus: this.listener.decrypt(userId, AUDIO, frame), e2ee: marked };
    } catch (error) {
      return { e2ee: marked, error: (error as Error).message };
    }
  }
}
