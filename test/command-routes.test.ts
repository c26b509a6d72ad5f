import { ApplicationCommandOptionType } from 'discord.js';
import type { APIApplicationCommandSubcommandOption } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { ALL_COMMANDS, COMMANDS } from '../src/bot/commands/all-commands.ts';
import type { CommandDeps } from '../src/bot/commands/command-deps.ts';
import { interactionHandlers, route, routeProblems } from '../src/bot/commands/command-routes.ts';
import type { CommandSet, SlashCommandRoutes } from '../src/bot/commands/command-routes.ts';

type Routes = SlashCommandRoutes<CommandDeps>;
type WithSubcommands = Extract<Routes, { subcommands: unknown }>;
const [queueRoutes, djset, suggest] = COMMANDS.slash as [Routes, Routes, Routes];
if (!('subcommands' in queueRoutes)) throw new Error('/queue has subcommands');
const queue: WithSubcommands = queueRoutes;

/** The bot's commands with `/queue` replaced. */
const withQueue = (changed: Routes): CommandSet<CommandDeps> => ({ ...COMMANDS, slash: [changed, djset, suggest] });
const withoutQueue = (sub: string): Routes => ({
  ...queue,
  subcommands: Object.fromEntries(Object.entries(queue.subcommands).filter(([name]) => name !== sub)),
});

/** Every route the registered JSON defines: "name subcommand", or "name" for a command without subcommands. */
function definedRoutes(): string[] {
  return ALL_COMMANDS.map((c) => c.toJSON()).flatMap((c) => {
    const subs = ('options' in c ? (c.options ?? []) : []).filter(
      (o): o is APIApplicationCommandSubcommandOption => o.type === ApplicationCommandOptionType.Subcommand,
    );
    return subs.length > 0 ? subs.map((s) => `${c.name} ${s.name}`) : [c.name];
  });
}

// The handlers are built (their factories close over the deps), never run.
const deps = {} as CommandDeps;

describe('the commands and their handlers', () => {
  it('agree: every subcommand, command and menu registered has a handler, and every option read is defined', () => {
    expect(routeProblems(COMMANDS)).toEqual([]);
  });

  it('the router routes exactly what is registered', () => {
    const table = interactionHandlers(COMMANDS, deps);
    const registered = definedRoutes();
    const menus: string[] = ['Add to the DJ playlist'];
    expect(Object.keys(table.commands).sort()).toEqual(registered.filter((r) => !menus.includes(r)).sort());
    expect(Object.keys(table.messageMenus ?? {})).toEqual(menus);
    expect(Object.keys(table.autocomplete ?? {}).sort()).toEqual(['queue add', 'suggest']);
    expect(Object.keys(table.buttons ?? {}).sort()).toEqual(['panel:', 'queue-add:', 'vote:']);
  });

  it('a subcommand without its handler is found, and the bot refuses to build its router', () => {
    const missing = withQueue(withoutQueue('move'));
    expect(routeProblems(missing)).toEqual(['/queue move has no handler']);
    expect(() => interactionHandlers(missing, deps)).toThrow('/queue move has no handler');
  });

  it('a handler for a subcommand that is not defined is found', () => {
    const extra = withQueue({
      ...queue,
      subcommands: { ...queue.subcommands, shuffle: route([], () => async () => {}) },
    });
    expect(routeProblems(extra)).toEqual(['/queue shuffle has a handler, and no definition']);
  });

  it('an option read that the definition does not have is found', () => {
    const list = queue.subcommands.list!;
    const misread = withQueue({
      ...queue,
      subcommands: { ...queue.subcommands, list: { ...list, reads: ['page', 'pages'] } },
    });
    expect(routeProblems(misread)).toEqual([
      '/queue list reads the option "pages", which its definition does not have',
    ]);
  });

  it('an option that autocompletes without its autocomplete, and an autocomplete with nothing to complete, are found', () => {
    const add = queue.subcommands.add!;
    const list = queue.subcommands.list!;
    const { autocomplete, ...plain } = add;
    const wrong = withQueue({
      ...queue,
      subcommands: { ...queue.subcommands, add: plain, list: { ...list, ...(autocomplete ? { autocomplete } : {}) } },
    });
    expect(routeProblems(wrong)).toEqual([
      '/queue add has an option that autocompletes, and no autocomplete handler',
      '/queue list has an autocomplete handler, and no option that autocompletes',
    ]);
  });

  it('a command with subcommands routed as one, and a name defined twice, are found', () => {
    const whole: Routes = { definition: queue.definition, run: route([], () => async () => {}) };
    expect(routeProblems({ ...COMMANDS, slash: [whole, djset, suggest] })).toEqual([
      '/queue has subcommands, and one handler for the whole command',
    ]);
    expect(routeProblems({ ...COMMANDS, slash: [queue, djset, suggest, queue] })).toEqual(['"queue" is defined twice']);
  });
});
