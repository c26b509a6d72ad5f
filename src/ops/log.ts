import { pino } from 'pino';
import type { Logger } from 'pino';
import { setting } from '../util/config.ts';

export type { Logger };

/**
 * The bot's structured log: one JSON object per line on stdout (pino), at `MINIDJ_LOG_LEVEL` (default `info`), so an
 * operator's collector can filter by level, guild or event.
 */
export function createLogger(level: string = setting('MINIDJ_LOG_LEVEL'), destination?: NodeJS.WritableStream): Logger {
  return pino({ name: 'mini-dj', level, base: { pid: process.pid } }, destination ?? process.stdout);
}
