import { setting } from '../../util/config.ts';

export interface AudioLimits {
  maxBytes: number;
  maxDurationSec: number;
  minDurationSec: number;
  /** Wall-clock budget for one decode; a hung ffmpeg is killed after it. */
  decodeTimeoutMs: number;
}

export function audioLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): AudioLimits {
  return {
    maxBytes: setting('MINIDJ_MAX_MB', env) * 1e6,
    maxDurationSec: setting('MINIDJ_MAX_MINUTES', env) * 60,
    minDurationSec: setting('MINIDJ_MIN_SECONDS', env),
    decodeTimeoutMs: setting('MINIDJ_DECODE_TIMEOUT_SEC', env) * 1000,
  };
}
