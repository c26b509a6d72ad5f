import { readdir } from 'node:fs/promises';
import path from 'node:path';

export const AUDIO_EXTENSIONS = new Set(['.mp3', '.flac', '.wav', '.ogg', '.oga', '.opus', '.m4a', '.aac', '.mp4']);

/** Audio files under a folder, recursively, in a stable order. */
export async function listAudioFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && AUDIO_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) out.push(path.join(entry.parentPath, entry.name));
  }
  return out.sort();
}
