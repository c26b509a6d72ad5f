import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

/** node:util parseArgs with its errors turned into usage errors the CLI prints without a stack. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
