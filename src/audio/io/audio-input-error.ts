import { UserFacingError } from '../../util/user-facing-error.ts';
import { formatDuration } from '../../util/format-clock.ts';

export type AudioInputErrorCode =
  | 'not-found'
  | 'too-large'
  | 'too-long'
  | 'too-short'
  | 'no-audio'
  | 'corrupt'
  | 'truncated'
  | 'silent'
  | 'decoder-crashed'
  | 'decoder-timeout'
  | 'analysis-failed'
  /** A codec, sample rate or channel count the rules do not allow (media-rules.ts). */
  | 'unsupported';

/** A problem with the user's audio (or with decoding it), phrased for the person who supplied the file. */
export class AudioInputError extends UserFacingError<AudioInputErrorCode> {
  constructor(code: AudioInputErrorCode, message: string) {
    super(code, message, 'AudioInputError');
  }
}

export function tooLongError(seconds: number, maxDurationSec: number): AudioInputError {
  return new AudioInputError(
    'too-long',
    `The audio is ${formatDuration(seconds)} long; the limit is ${formatDuration(maxDurationSec)} (set MINIDJ_MAX_MINUTES to change it).`,
  );
}

/** An AudioInputError that crossed from a worker thread, as its own class again (WorkerCalls' `revive`). */
export const AUDIO_INPUT_ERRORS = {
  AudioInputError: (message: string, code: string | undefined) =>
    new AudioInputError(code as AudioInputErrorCode, message),
} as const;
