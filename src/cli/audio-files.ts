import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from './args.ts';

export const AUDIO_EXTENSIONS = new Set(['.mp3', '.flac', '.wav', '.ogg', '.oga', '.opus', '.m4a', '.aac', '.mp4']);

/** Audio files under a folder, recursively, in a stable order. */
export async function listAudioFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && AUDIO_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) out.push(path.join(entry.parentPath, entry.name));
  }
  return out.sort();
}

/** The files given, and the audio files under the folders given. */
export async function collectAudio(inputs: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    const info = await stat(input).catch(() => undefined);
    if (!info) throw new UsageError(`"${input}" does not exist`);
    if (info.isDirectory()) files.push(...(await listAudioFiles(input)));
    else files.push(input);
  }
  return files;
}
