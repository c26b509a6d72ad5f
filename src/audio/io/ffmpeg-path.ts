import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

export interface FfmpegLocation {
  path: string;
  source: 'FFMPEG_PATH' | 'PATH' | '@ffmpeg-installer/ffmpeg';
}

const FFMPEG_NOT_FOUND =
  'ffmpeg was not found. Fix it in one of these ways: install your system package (e.g. `apt-get install ffmpeg`), ' +
  'run `npm install` (it installs @ffmpeg-installer/ffmpeg, which ships a binary), or set FFMPEG_PATH to an ffmpeg executable.';

/** What the project needs of a system ffmpeg: a current release (its demuxers' hardening) and these libraries. */
const MIN_MAJOR = 5;
const NEEDED_LIBRARIES = ['librubberband', 'libsoxr', 'libopus'];
/** ffmpeg 5.0 shipped libavformat 59: how a git build (whose version is not a release number) is dated. */
const MIN_LIBAVFORMAT = 59;

export const OLD_FFMPEG_WARNING =
  'minidj: using the 2018 ffmpeg build from @ffmpeg-installer/ffmpeg. Install ffmpeg ≥ 5 with librubberband, libsoxr ' +
  'and libopus (e.g. `apt-get install ffmpeg`) or set FFMPEG_PATH.\n';

function fromPackage(name: string, pick: (mod: unknown) => unknown): string | undefined {
  try {
    const candidate = pick(require(name));
    return typeof candidate === 'string' && existsSync(candidate) ? candidate : undefined;
  } catch {
    // The package is not installed (it is optional): the next candidate is tried.
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

/** Whether `ffmpeg -version` output describes a release ≥ 5 built with the libraries the project uses. */
export function isSuitableFfmpeg(versionOutput: string): boolean {
  const release = /^ffmpeg version n?(\d+)\.\d/m.exec(versionOutput);
  const lavf = /^libavformat\s+(\d+)\./m.exec(versionOutput);
  const recent = release ? Number(release[1]) >= MIN_MAJOR : lavf !== null && Number(lavf[1]) >= MIN_LIBAVFORMAT;
  const configuration = /^configuration:(.*)$/m.exec(versionOutput)?.[1] ?? '';
  return recent && NEEDED_LIBRARIES.every((lib) => configuration.includes(`--enable-${lib}`));
}

const suitability = new Map<string, boolean>();

function suitable(ffmpeg: string): boolean {
  let known = suitability.get(ffmpeg);
  if (known === undefined) {
    try {
      known = isSuitableFfmpeg(
        execFileSync(ffmpeg, ['-hide_banner', '-version'], {
          encoding: 'utf8',
          timeout: 10_000,
          stdio: ['ignore', 'pipe', 'ignore'],
        }),
      );
    } catch {
      // Does not run (missing, not executable, timed out): not suitable.
      known = false;
    }
    suitability.set(ffmpeg, known);
  }
  return known;
}

/**
 * Order: FFMPEG_PATH; an ffmpeg on PATH that is ≥ 5 with librubberband, libsoxr and libopus; the 2018 build in
 * @ffmpeg-installer/ffmpeg last (with a warning on stderr).
 */
export function locateFfmpeg(
  env: NodeJS.ProcessEnv = process.env,
  warn: (text: string) => void = (t) => process.stderr.write(t),
): FfmpegLocation {
  const explicit = env.FFMPEG_PATH;
  if (explicit) {
    if (!existsSync(explicit))
      throw new Error(`FFMPEG_PATH is set to "${explicit}", but no file is there. ${FFMPEG_NOT_FOUND}`);
    return { path: explicit, source: 'FFMPEG_PATH' };
  }
  const system = onPath(env);
  if (system && suitable(system)) return { path: system, source: 'PATH' };
  const fromInstaller = fromPackage('@ffmpeg-installer/ffmpeg', (m) => (m as { path?: string }).path);
  if (fromInstaller) {
    warn(OLD_FFMPEG_WARNING);
    return { path: fromInstaller, source: '@ffmpeg-installer/ffmpeg' };
  }
  if (system) return { path: system, source: 'PATH' };
  throw new Error(FFMPEG_NOT_FOUND);
}

let cached: string | undefined;
export function ffmpegPath(): string {
  cached ??= locateFfmpeg().path;
  return cached;
}
