import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, opendir, rename, rm, utimes } from 'node:fs/promises';
import path from 'node:path';
import { homePath } from '../util/minidj-home.ts';
import { UserFacingError } from '../util/user-facing-error.ts';
import { setting } from '../util/config.ts';
import { statIfAny } from '../util/stat-if-any.ts';

export const DEFAULT_TRACKS_DIR = 'data/tracks';

export class TrackStorageError extends UserFacingError<'disk-full' | 'storage'> {
  constructor(code: 'disk-full' | 'storage', message: string) {
    super(code, message, 'TrackStorageError');
  }
}

/**
 * The server library's audio, one file per content hash (`<hash><ext>`), so a queued track can still be played
 * after its download was cleaned up or its CDN link expired. A file appears whole or not at all.
 */
/** One kept track's file, for the disk quota. */
export interface KeptFile {
  hash: string;
  file: string;
  bytes: number;
  /** When it last started playing (or was kept), as the file's modification time. */
  lastPlayedMs: number;
}

export class TrackFiles {
  readonly dir: string;

  constructor(dir = homePath(setting('MINIDJ_TRACKS_DIR'), DEFAULT_TRACKS_DIR)) {
    this.dir = path.resolve(dir);
  }

  pathFor(hash: string, sourceName: string): string {
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error(`not a content hash: ${hash}`);
    return path.join(this.dir, hash + path.extname(sourceName).toLowerCase());
  }

  async has(hash: string, sourceName: string): Promise<boolean> {
    const info = await statIfAny(this.pathFor(hash, sourceName));
    return info?.isFile() ?? false;
  }

  /** Copies `file` into the library under its hash (a no-op when it is already there). */
  async keep(file: string, hash: string, sourceName: string): Promise<string> {
    const target = this.pathFor(hash, sourceName);
    if (await this.has(hash, sourceName)) return target;
    const partial = path.join(this.dir, `.${randomUUID()}.partial`);
    try {
      await mkdir(this.dir, { recursive: true });
      await copyFile(file, partial);
      await rename(partial, target);
      return target;
    } catch (error) {
      await rm(partial, { force: true });
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') {
        throw new TrackStorageError(
          'disk-full',
          "The bot's disk is full, so the track was not added. Tell the server's bot owner to free some space.",
        );
      }
      throw new TrackStorageError(
        'storage',
        `The bot could not store the track (${code ?? 'I/O error'}), so it was not added. Tell the bot owner.`,
      );
    }
  }

  /** Marks the track as just played: the disk quota removes the least recently played first. */
  async markPlayed(file: string): Promise<void> {
    const now = new Date();
    // Evicted while it played, or a read-only disk: the quota then takes it as played when it was last marked.
    await utimes(file, now, now).catch(() => undefined);
  }

  /** Every kept track's file, `size` names at a time read from the folder (a large library is never one array). */
  async *batches(size: number): AsyncGenerator<KeptFile[]> {
    // No folder yet: nothing is kept (a folder that cannot be read refuses the next track kept, which says so).
    const dir = await opendir(this.dir, { bufferSize: size }).catch(() => undefined);
    if (!dir) return;
    let names: string[] = [];
    for await (const entry of dir) {
      names.push(entry.name);
      if (names.length < size) continue;
      yield (await Promise.all(names.map((name) => this.keptFile(name)))).filter((k) => k !== undefined);
      names = [];
    }
    if (names.length > 0)
      yield (await Promise.all(names.map((name) => this.keptFile(name)))).filter((k) => k !== undefined);
  }

  /** The kept track stored under this name in the folder, if it is one. */
  async keptFile(name: string): Promise<KeptFile | undefined> {
    const hash = /^([0-9a-f]{64})(\.[a-z0-9]+)?$/.exec(name)?.[1];
    if (!hash) return undefined;
    const file = path.join(this.dir, name);
    const info = await statIfAny(file);
    return info?.isFile() ? { hash, file, bytes: info.size, lastPlayedMs: info.mtimeMs } : undefined;
  }

  async remove(file: string): Promise<void> {
    await rm(file, { force: true });
  }
}
