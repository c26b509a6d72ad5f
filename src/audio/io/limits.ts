export interface AudioLimits {
  maxBytes: number;
  maxDurationSec: number;
  minDurationSec: number;
  /** Wall-clock budget for one decode; a hung ffmpeg is killed after it. */
  decodeTimeoutMs: number;
}

/** `env[name]` as a positive number, `fallback` when unset; throws on anything else. */
export function numberFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

export function audioLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): AudioLimits {
  return {
    maxBytes: numberFromEnv(env, 'MINIDJ_MAX_MB', 100) * 1e6,
    maxDurationSec: numberFromEnv(env, 'MINIDJ_MAX_MINUTES', 20) * 60,
    minDurationSec: numberFromEnv(env, 'MINIDJ_MIN_SECONDS', 1),
    decodeTimeoutMs: numberFromEnv(env, 'MINIDJ_DECODE_TIMEOUT_SEC', 120) * 1000,
  };
}
