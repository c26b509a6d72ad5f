import path from 'node:path';

const ABSOLUTE_PATH = /(?:file:)?(?:\/[^\s/'"`:,()[\]]+)+\/?/g;

/** `text` with `file`'s path, and any other absolute path, cut to its last name: users see no server paths. */
export function hidePaths(text: string, file?: string): string {
  let out = text;
  if (file) {
    const full = path.resolve(file);
    for (const form of [`file:${full}`, full, file]) out = out.split(form).join(path.basename(file));
  }
  return out.replace(ABSOLUTE_PATH, (match) => path.basename(match.replace(/^file:/, '')) || match);
}

/** ffmpeg's most telling error line (the last that names a failure, else the last), paths hidden, at most 200 chars. */
export function ffmpegErrorLine(stderr: string, file?: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const interesting = lines.filter((l) => /error|invalid|could not|failed|not found|unsupported/i.test(l));
  return hidePaths(interesting.at(-1) ?? lines.at(-1) ?? 'no output', file).slice(0, 200);
}
