import { ApplicationCommandOptionType, ApplicationCommandType } from 'discord.js';
import type { APIApplicationCommandOption } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { ALL_COMMANDS, SLASH_COMMANDS } from '../src/bot/commands/all-commands.ts';

const NAME = /^[-_\p{Ll}\p{N}]{1,32}$/u;

/** Discord's rules the builders' toJSON() does not enforce: required options before optional ones, sizes. */
function problems(options: readonly APIApplicationCommandOption[] | undefined, path: string): string[] {
  const out: string[] = [];
  let seenOptional = false;
  for (const o of options ?? []) {
    const where = `${path} ${o.name}`;
    if (!NAME.test(o.name)) out.push(`${where}: bad name`);
    if (o.description.length < 1 || o.description.length > 100)
      out.push(`${where}: description of ${o.description.length} characters`);
    if (o.type === ApplicationCommandOptionType.Subcommand || o.type === ApplicationCommandOptionType.SubcommandGroup) {
      out.push(...problems(o.options, where));
      continue;
    }
    if (o.required && seenOptional) out.push(`${where}: required after an optional option`);
    if (!o.required) seenOptional = true;
  }
  if ((options?.length ?? 0) > 25) out.push(`${path}: more than 25 options`);
  return out;
}

describe('slash command definitions', () => {
  it('build, and follow the rules Discord checks on registration', () => {
    expect(ALL_COMMANDS.map((c) => c.toJSON().name)).toEqual(['queue', 'djset', 'suggest', 'Add to the DJ playlist']);
    const json = SLASH_COMMANDS.map((c) => c.toJSON());
    for (const c of json) {
      expect(c.name).toMatch(NAME);
      expect(c.description.length).toBeLessThanOrEqual(100);
      expect(problems(c.options, `/${c.name}`)).toEqual([]);
    }
  });

  it('offer what members need', () => {
    const queue = SLASH_COMMANDS[0]!.toJSON();
    const subs = (queue.options ?? []).map((o) => o.name);
    expect(subs).toEqual(['add', 'list', 'remove', 'move', 'clear', 'history']);
    const add = queue.options!.find((o) => o.name === 'add') as { options: APIApplicationCommandOption[] };
    expect(add.options.map((o) => [o.name, o.type])).toEqual([
      ['file', ApplicationCommandOptionType.Attachment],
      ['url', ApplicationCommandOptionType.String],
      ['track', ApplicationCommandOptionType.String],
      ...['file2', 'file3', 'file4', 'file5'].map((name) => [name, ApplicationCommandOptionType.Attachment]),
    ]);
    const djset = SLASH_COMMANDS[1]!.toJSON();
    expect((djset.options ?? []).map((o) => o.name)).toEqual([
      'start',
      'stop',
      'skip',
      'pause',
      'resume',
      'status',
      'settings',
    ]);
    const settings = djset.options!.find((o) => o.name === 'settings') as { options: APIApplicationCommandOption[] };
    expect(settings.options.map((o) => o.name)).toEqual([
      'dj_role',
      'order',
      'max_queued',
      'adds_per_minute',
      'stay',
      'pause_minutes',
      'songs',
      'transition_bars',
      'clear_dj_role',
      'announce',
    ]);
    const bars = settings.options.find((o) => o.name === 'transition_bars') as { choices: { value: number }[] };
    expect(bars.choices.map((c) => c.value)).toEqual([0, 4, 8, 16, 32]);
  });

  it('put "Add to the DJ playlist" in a message\'s Apps menu, named as Discord allows', () => {
    const menu = ALL_COMMANDS[3]!.toJSON();
    expect(menu.type).toBe(ApplicationCommandType.Message);
    expect(menu.name.length).toBeLessThanOrEqual(32);
    expect(menu).not.toHaveProperty('options');
    expect(menu).not.toHaveProperty('description');
  });

  it('are for servers only: guild install, guild context, and no command hidden from members by default', () => {
    for (const c of ALL_COMMANDS.map((command) => command.toJSON())) {
      expect(c.integration_types).toEqual([0]);
      expect(c.contexts).toEqual([0]);
      // Every command has a part for everyone; the moderator parts (settings, clear, stop) are checked per subcommand.
      expect(c.default_member_permissions ?? null).toBeNull();
    }
  });

  it('the rule checker itself catches a required option after an optional one', () => {
    const bad: APIApplicationCommandOption[] = [
      { type: ApplicationCommandOptionType.String, name: 'a', description: 'x' },
      { type: ApplicationCommandOptionType.String, name: 'b', description: 'y', required: true },
    ];
    expect(problems(bad, '/t')).toEqual(['/t b: required after an optional option']);
  });
});
