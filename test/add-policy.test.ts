import { ApplicationCommandOptionType } from 'discord.js';
import type { APIApplicationCommandOption } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { SLASH_COMMANDS } from '../src/bot/commands/all-commands.ts';
import { defaultGuildSettings } from '../src/db/guild-store.ts';
import {
  DISCORD_DEFAULT_UPLOAD,
  FILE_OPTIONS,
  outOfBounds,
  SERVER_SETTINGS,
  uploadSize,
  URL_OPTION_CHARS,
} from '../src/util/add-policy.ts';

type Option = APIApplicationCommandOption & {
  min_value?: number;
  max_value?: number;
  max_length?: number;
  description: string;
};

/** The options of `/<command> <subcommand>` as they are registered. */
function optionsOf(command: string, subcommand: string): Option[] {
  const json = SLASH_COMMANDS.map((c) => c.toJSON()).find((c) => c.name === command);
  const sub = json?.options?.find((o) => o.name === subcommand) as { options?: Option[] } | undefined;
  if (!sub?.options) throw new Error(`/${command} ${subcommand} has no options`);
  return sub.options;
}

const bounded = (o: Option): boolean =>
  o.min_value !== undefined || o.max_value !== undefined || o.max_length !== undefined;

describe('the add policy and the registered commands', () => {
  it("/djset settings' numeric options are bounded exactly as the policy says, and none is bounded outside it", () => {
    const options = optionsOf('djset', 'settings');
    const policy = Object.values(SERVER_SETTINGS);
    for (const bounds of policy) {
      const option = options.find((o) => o.name === bounds.option);
      expect(option?.type, bounds.option).toBe(ApplicationCommandOptionType.Integer);
      expect({ option: bounds.option, min: option?.min_value, max: option?.max_value }).toEqual({
        option: bounds.option,
        min: bounds.min,
        max: bounds.max,
      });
    }
    expect(
      options
        .filter(bounded)
        .map((o) => o.name)
        .sort(),
    ).toEqual(policy.map((b) => b.option).sort());
  });

  it("/queue add's file options, url length and the upload size its description states are the policy's", () => {
    const options = optionsOf('queue', 'add');
    expect(options.filter((o) => o.type === ApplicationCommandOptionType.Attachment).map((o) => o.name)).toEqual([
      ...FILE_OPTIONS,
    ]);
    expect(options.find((o) => o.name === 'url')?.max_length).toBe(URL_OPTION_CHARS);
    expect(options.filter(bounded).map((o) => o.name)).toEqual(['url']);
    expect(options.find((o) => o.name === FILE_OPTIONS[0])?.description).toContain(
      `Discord lets most members upload ${uploadSize(DISCORD_DEFAULT_UPLOAD)}`,
    );
    expect(uploadSize(DISCORD_DEFAULT_UPLOAD)).toBe('10 MB');
  });

  it("a new server's settings are the policy's defaults, each within its bounds", () => {
    const defaults = defaultGuildSettings();
    for (const [field, bounds] of Object.entries(SERVER_SETTINGS)) {
      const value = 'default' in bounds ? bounds.default : undefined;
      expect(defaults[field as keyof typeof defaults], field).toBe(value);
      if (value !== undefined) expect(outOfBounds(bounds, value), field).toBeUndefined();
    }
  });

  it('says which bounds a number breaks', () => {
    const b = SERVER_SETTINGS.maxQueuePerMember;
    const refused = `max_queued takes a whole number from ${b.min} to ${b.max}.`;
    expect([b.min - 1, b.min, b.max, b.max + 1, b.min + 0.5].map((n) => outOfBounds(b, n))).toEqual([
      refused,
      undefined,
      undefined,
      refused,
      refused,
    ]);
  });
});
