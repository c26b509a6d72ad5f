import { fileLimits } from '../../util/add-policy.ts';
import type { FileLimits } from '../../util/add-policy.ts';
import { setting } from '../../util/config.ts';

/** A member's file's limits (the add policy's), and the decoder's time. */
export interface AudioLimits extends FileLimits {
  /** Wall-clock budget for one decode; a hung ffmpeg is killed after it. */
  decodeTimeoutMs: number;
}

export function audioLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): AudioLimits {
  return {
    ...fileLimits(env),
    decodeTimeoutMs: setting('MINIDJ_DECODE_TIMEOUT_SEC', env) * 1000,
  };
}
