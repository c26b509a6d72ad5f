import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileOutputArg, pipeInputArgs } from './ffmpeg-input.ts';
import { ffmpegPath } from './ffmpeg-path.ts';
import { MIX_CHANNELS, MIX_RATE } from './mix-format.ts';

const CODECS: Record<string, string[]> = {
  '.ogg': ['-c:a', 'libopus', '-b:a', '160k', '-f', 'ogg'],
  '.opus': ['-c:a', 'libopus', '-b:a', '160k', '-f', 'ogg'],
  '.wav': ['-c:a', 'pcm_s16le', '-f', 'wav'],
  '.flac': ['-c:a', 'flac', '-f', 'flac'],
};

export function encoderArgsFor(file: string): string[] {
  const args = CODECS[path.extname(file).toLowerCase()];
  if (!args) throw new Error(`cannot write "${file}": use .ogg/.opus (Ogg Opus), .wav or .flac`);
  return args;
}

/** Writes a 48 kHz stereo float stream to a file through one ffmpeg encoder process. */
export async function encodeStream(chunks: AsyncIterable<Float32Array>, file: string): Promise<void> {
  const child = spawn(
    ffmpegPath(),
    [
      '-nostdin',
      '-hide_banner',
      '-v',
      'error',
      ...pipeInputArgs(['-f', 'f32le', '-ar', String(MIX_RATE), '-ac', String(MIX_CHANNELS)]),
      ...encoderArgsFor(file),
      '-y',
      fileOutputArg(file),
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (t: string) => (stderr += t));
  const closed = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  try {
    for await (const chunk of chunks) {
      const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (!child.stdin.write(bytes)) await new Promise((r) => child.stdin.once('drain', r));
    }
  } finally {
    child.stdin.end();
  }
  const code = await closed;
  if (code !== 0) throw new Error(`the encoder failed writing ${file}: ${stderr.trim().slice(0, 300)}`);
}
