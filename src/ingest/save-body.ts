import type { FileHandle } from 'node:fs/promises';
import { open, rename, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import type { AudioKind } from '../audio/io/audio-sniff.ts';
import { SNIFF_BYTES, sniffAudio } from '../audio/io/audio-sniff.ts';
import { DownloadError, formatSize } from './download-error.ts';

export interface SavedBody {
  file: string;
  bytes: number;
  kind: AudioKind;
}

export function tooLarge(maxBytes: number): DownloadError {
  return new DownloadError('too-large', `The file is larger than ${formatSize(maxBytes)}.`);
}

/**
 * Streams `body` into a new file in `dir` once its first bytes look like audio. The file is written
 * as `*.part` and renamed only when complete; on any failure it is removed.
 */
export async function saveAudioBody(body: Readable, dir: string, maxBytes: number): Promise<SavedBody> {
  const { handle, path } = await createPartFile(dir);
  let closed = false;
  try {
    let head = Buffer.alloc(0);
    let kind: AudioKind | null = null;
    let bytes = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > maxBytes) throw tooLarge(maxBytes);
      if (kind) {
        await handle.write(chunk);
        continue;
      }
      head = Buffer.concat([head, chunk]);
      if (head.length < SNIFF_BYTES) continue;
      kind = checkAudio(head);
      await handle.write(head);
    }
    if (!kind) {
      kind = checkAudio(head);
      await handle.write(head);
    }
    await handle.close();
    closed = true;
    const file = path.replace(/\.part$/, `.${kind}`);
    await rename(path, file);
    return { file, bytes, kind };
  } catch (err) {
    // The write's error is the one thrown; the file is removed below either way.
    if (!closed) await handle.close().catch(() => undefined);
    await rm(path, { force: true });
    throw err;
  }
}

function checkAudio(head: Buffer): AudioKind {
  if (head.length === 0) throw new DownloadError('not-audio', 'That is not an audio file (it is empty).');
  const sniffed = sniffAudio(head);
  if (sniffed.audio) return sniffed.kind;
  const detail = sniffed.looksLike ? ` (it looks like ${sniffed.looksLike})` : '';
  throw new DownloadError('not-audio', `That is not an audio file${detail}.`);
}

async function createPartFile(dir: string): Promise<{ handle: FileHandle; path: string }> {
  for (let attempt = 0; ; attempt++) {
    const path = join(dir, `download-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}.part`);
    try {
      return { handle: await open(path, 'wx'), path };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) throw err;
    }
  }
}
