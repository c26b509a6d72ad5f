import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

export interface FfmpegLocation {
  path: string;
  source: 'FFMPEG_PATH' | 'ffmpeg-static' | '@ffmpeg-installer/ffmpeg' | 'PATH';
}

export const FFMPEG_NOT_FOUND =
  'ffmpeg was not found. Fix it in one of these ways: run `npm install` (it installs @ffmpeg-installer/ffmpeg, which ships the binary), ' +
  'install your system package (e.g. `apt-get install ffmpeg`), or set FFMPEG_PATH to an ffmpeg executable.';

function fromPackage(name: string, pick: (mod: unknown) => unknown): string | undefined {
  try {
    const candidate = pick(require(name));
    return typeof candidate === 'string' && existsSync(candidate) ? candidate : undefined;
  } catch {
    return undefined;
  }
}

function onPath(env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, process.platform === 'win32' ? 'ffmpeg.exe' : 'ffmpeg');
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Order: FFMPEG_PATH, ffmpeg-static, @ffmpeg-installer/ffmpeg, ffmpeg on PATH. */
export function locateFfmpeg(env: NodeJS.ProcessEnv = process.env): FfmpegLocation {
  const explicit = env.FFMPEG_PATH;
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`FFMPEG_PATH is set to "${explicit}", but no file is there. ${FFMPEG_NOT_FOUND}`);
    return { path: explicit, source: 'FFMPEG_PATH' };
  }
  const fromStatic = fromPackage('ffmpeg-static', (m) => m);
  if (fromStatic) return { path: fromStatic, source: 'ffmpeg-static' };
  const fromInstaller = fromPackage('@ffmpeg-installer/ffmpeg', (m) => (m as { path?: string }).path);
  if (fromInstaller) return { path: fromInstaller, source: '@ffmpeg-installer/ffmpeg' };
  const system = onPath(env);
  if (system) return { path: system, source: 'PATH' };
  throw new Error(FFMPEG_NOT_FOUND);
}

let cached: string | undefined;
export function ffmpegPath(): string {
  cached ??= locateFfmpeg().path;
  return cached;
}
