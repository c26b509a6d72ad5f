import { UserFacingError } from '../util/user-facing-error.ts';

export type DownloadErrorCode =
  | 'bad-scheme'
  | 'private-address'
  | 'dns-failed'
  | 'too-large'
  | 'timeout'
  | 'too-many-redirects'
  | 'not-audio'
  | 'http-error';

/** A download that was refused or failed; `message` is safe to show to Discord members. */
export class DownloadError extends UserFacingError<DownloadErrorCode> {
  constructor(code: DownloadErrorCode, message: string) {
    super(code, message, 'DownloadError');
  }
}

/** "100 MB", "200 KB", "512 bytes" (binary units, as the limits are set). */
export function formatSize(bytes: number): string {
  const units: [number, string][] = [[1024 * 1024, 'MB'], [1024, 'KB']];
  for (const [size, unit] of units) {
    if (bytes >= size) return `${Math.round((bytes / size) * 10) / 10} ${unit}`;
  }
  return `${bytes} bytes`;
}
