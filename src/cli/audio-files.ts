import { readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from './args.ts';
import { statIfAny } from '../util/stat-if-any.ts';

const AUDIO_EXTENSIONS = new Set(['.mp3', '.flac', '.wav', '.ogg', '.oga', '.opus', '.m4a', '.aac', '.mp4']);

/**
 * Audio files under a folder, recursively, in a stable order. Symbolic links are followed, to files and to folders
 * (a folder reached twice, by a link back up say, is listed once); a broken link is left out.
 */
export async function listAudioFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  const walk = async (folder: string): Promise<void> => {
    const real = await realpath(folder);
    if (seen.has(real)) return;
    seen.add(real);
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      const info = entry.isSymbolicLink() ? await statIfAny(full) : entry;
      if (info?.isDirectory()) await walk(full);
      else if (info?.isFile() && AUDIO_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) out.push(full);
    }
  };
  await walk(dir);
  return out.sort();
}

/** The files given, and the audio files under the folders given; a folder without any is an error. */
export async function collectAudio(inputs: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    const info = await statIfAny(input);
    if (!info) throw new UsageError(`"${input}" does not exist`);
    if (!info.isDirectory()) {
      files.push(input);
      continue;
    }
    const found = await listAudioFiles(input);
    if (found.length === 0)
      throw new UsageError(`"${input}" holds no audio files (${[...AUDIO_EXTENSIONS].join(', ')})`);
    files.push(...found);
  }
  return files;
}
