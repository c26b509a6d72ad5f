import { createDecipheriv } from 'node:crypto';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';

/** The transport encryption modes Discord's voice servers offer (the `_rtpsize` AEAD modes), in their order. */
export const TRANSPORT_MODES = ['aead_aes256_gcm_rtpsize', 'aead_xchacha20_poly1305_rtpsize'] as const;
export type TransportMode = (typeof TRANSPORT_MODES)[number];

/** Discord's payload type for Opus. */
const OPUS_PAYLOAD_TYPE = 0x78;
const TAG_BYTES = 16;
const NONCE_SUFFIX_BYTES = 4;

export interface RtpPacket {
  sequence: number;
  timestamp: number;
  ssrc: number;
  /** The 32-bit counter sent in clear after the ciphertext (the nonce's first four bytes). */
  nonce: number;
  /** What the AEAD authenticates: the RTP header (and an extension's 4-byte header, in the `_rtpsize` modes). */
  header: Buffer;
  ciphertext: Buffer;
}

/** An RTP packet as Discord receives voice: version 2, Opus, an encrypted payload and the nonce suffix. */
export function parseRtp(packet: Buffer): RtpPacket | undefined {
  if (
    packet.length < 12 + TAG_BYTES + NONCE_SUFFIX_BYTES ||
    packet[0]! >> 6 !== 2 ||
    (packet[1]! & 0x7f) !== OPUS_PAYLOAD_TYPE
  )
    return undefined;
  const csrcs = packet[0]! & 0x0f;
  const extension = (packet[0]! & 0x10) !== 0;
  const headerBytes = 12 + 4 * csrcs + (extension ? 4 : 0);
  return {
    sequence: packet.readUInt16BE(2),
    timestamp: packet.readUInt32BE(4),
    ssrc: packet.readUInt32BE(8),
    nonce: packet.readUInt32BE(packet.length - NONCE_SUFFIX_BYTES),
    header: packet.subarray(0, headerBytes),
    ciphertext: packet.subarray(headerBytes, packet.length - NONCE_SUFFIX_BYTES),
  };
}

/** The payload (an Opus or a DAVE frame) the sender encrypted; throws when the key, nonce or header do not match. */
export function decryptRtp(mode: TransportMode, key: Uint8Array, rtp: RtpPacket): Buffer {
  const suffix = Buffer.alloc(4);
  suffix.writeUInt32BE(rtp.nonce);
  if (mode === 'aead_aes256_gcm_rtpsize') {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.concat([suffix, Buffer.alloc(8)]));
    decipher.setAAD(rtp.header);
    decipher.setAuthTag(rtp.ciphertext.subarray(rtp.ciphertext.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(rtp.ciphertext.subarray(0, rtp.ciphertext.length - TAG_BYTES)),
      decipher.final(),
    ]);
  }
  return Buffer.from(
    xchacha20poly1305(key, Buffer.concat([suffix, Buffer.alloc(20)]), rtp.header).decrypt(rtp.ciphertext),
  );
}
