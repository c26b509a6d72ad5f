import { formatBytes } from '../util/format-bytes.ts';
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

/** The project's one size format (decimal units, as the limits are set). */
export const formatSize = formatBytes;
