import { ApplicationCommandOptionType } from 'discord.js';
import type {
  APIApplicationCommandOption,
  AutocompleteInteraction,
  ButtonInteraction,
  ChatInputCommandInteraction,
  MessageContextMenuCommandInteraction,
  RESTPostAPIApplicationCommandsJSONBody,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';

export type CommandHandler = (interaction: ChatInputCommandInteraction) => Promise<void>;
export type ButtonHandler = (interaction: ButtonInteraction, argument: string) => Promise<void>;
export type AutocompleteHandler = (interaction: AutocompleteInteraction) => Promise<void>;
export type MessageMenuHandler = (interaction: MessageContextMenuCommandInteraction) => Promise<void>;

/** Handlers keyed by `"name subcommand"` (e.g. `"queue list"`) or by `"name"` for commands without subcommands. */
export type CommandHandlers = Readonly<Record<string, CommandHandler>>;

export interface InteractionHandlers {
  commands: CommandHandlers;
  /** By custom-id prefix (e.g. `"vote:"`); the handler gets the rest of the id. */
  buttons?: Readonly<Record<string, ButtonHandler>>;
  /** By the same keys as commands. */
  autocomplete?: Readonly<Record<string, AutocompleteHandler>>;
  /** A message's Apps menu, by command name. */
  messageMenus?: Readonly<Record<string, MessageMenuHandler>>;
}

type Resolver = ChatInputCommandInteraction['options'];

/**
 * A command's options as its handler may read them: only the names `N` its route declares (checked against the
 * command's definition by routeProblems). Function-typed members, so a handler reading a name its route does not
 * declare does not compile.
 */
export interface OptionReader<N extends string> {
  getString: (name: N) => string | null;
  getInteger: { (name: N): number | null; (name: N, required: true): number };
  getBoolean: (name: N) => boolean | null;
  getAttachment: (name: N) => ReturnType<Resolver['getAttachment']>;
  getChannel: (name: N) => ReturnType<Resolver['getChannel']>;
  getRole: (name: N) => ReturnType<Resolver['getRole']>;
}

export type RouteHandler<N extends string> = (
  interaction: ChatInputCommandInteraction,
  options: OptionReader<N>,
) => Promise<void>;

/** One slash command or subcommand: the options its handler reads, its handler, and its autocomplete. */
export interface Route<D> {
  reads: readonly string[];
  handler: (deps: D) => RouteHandler<string>;
  /** For a route with an option that autocompletes. */
  autocomplete?: (deps: D) => AutocompleteHandler;
}

/** A route whose handler reads the options `reads` names, and only those. */
export function route<D, const N extends string>(
  reads: readonly N[],
  handler: (deps: D) => RouteHandler<NoInfer<N>>,
  autocomplete?: (deps: D) => AutocompleteHandler,
): Route<D> {
  return { reads, handler, ...(autocomplete ? { autocomplete } : {}) };
}

/** A slash command: its definition (what is registered) and a route for each of its subcommands, or for itself. */
export type SlashCommandRoutes<D> = {
  definition: { toJSON(): RESTPostAPIChatInputApplicationCommandsJSONBody };
  /** Buttons its answers carry, by custom-id prefix. */
  buttons?: Readonly<Record<string, (deps: D) => ButtonHandler>>;
} & ({ subcommands: Readonly<Record<string, Route<D>>> } | { run: Route<D> });

/** A message's Apps menu entry: its definition and its handler. */
export interface MessageMenuRoutes<D> {
  definition: { toJSON(): RESTPostAPIApplicationCommandsJSONBody };
  handler: (deps: D) => MessageMenuHandler;
}

export interface CommandSet<D> {
  slash: readonly SlashCommandRoutes<D>[];
  menus: readonly MessageMenuRoutes<D>[];
}

/** Every command of the set as registered, in order: the slash commands, then the message menus. */
function registeredCommands<D>(commands: CommandSet<D>): RESTPostAPIApplicationCommandsJSONBody[] {
  return [...commands.slash, ...commands.menus].map((c) => c.definition.toJSON());
}

const isSubcommand = (o: APIApplicationCommandOption): boolean =>
  o.type === ApplicationCommandOptionType.Subcommand || o.type === ApplicationCommandOptionType.SubcommandGroup;

/** What is wrong with one route against the options its (sub)command defines. */
function problemsOfRoute<D>(where: string, defined: readonly APIApplicationCommandOption[], r: Route<D>): string[] {
  const names = new Set(defined.map((o) => o.name));
  const problems = r.reads
    .filter((n) => !names.has(n))
    .map((n) => `${where} reads the option "${n}", which its definition does not have`);
  const completes = defined.some((o) => 'autocomplete' in o && o.autocomplete === true);
  if (completes && !r.autocomplete)
    problems.push(`${where} has an option that autocompletes, and no autocomplete handler`);
  if (!completes && r.autocomplete)
    problems.push(`${where} has an autocomplete handler, and no option that autocompletes`);
  return problems;
}

/**
 * Where the definitions and the routes disagree: a subcommand (or command) defined without a handler, a handler for
 * one not defined, an option read that is not defined, an autocomplete missing or unused, a name or button prefix
 * taken twice. Empty when they agree.
 */
export function routeProblems<D>(commands: CommandSet<D>): string[] {
  const problems: string[] = [];
  for (const command of commands.slash) {
    const json = command.definition.toJSON();
    const options = json.options ?? [];
    const subcommands = options.filter(isSubcommand);
    if (!('subcommands' in command)) {
      if (subcommands.length > 0) problems.push(`/${json.name} has subcommands, and one handler for the whole command`);
      else problems.push(...problemsOfRoute(`/${json.name}`, options, command.run));
      continue;
    }
    for (const sub of subcommands) {
      const r = Object.hasOwn(command.subcommands, sub.name) ? command.subcommands[sub.name] : undefined;
      if (!r) problems.push(`/${json.name} ${sub.name} has no handler`);
      else
        problems.push(...problemsOfRoute(`/${json.name} ${sub.name}`, 'options' in sub ? (sub.options ?? []) : [], r));
    }
    for (const name of Object.keys(command.subcommands)) {
      if (!subcommands.some((s) => s.name === name))
        problems.push(`/${json.name} ${name} has a handler, and no definition`);
    }
  }
  const names = registeredCommands(commands).map((c) => c.name);
  problems.push(...names.filter((n, i) => names.indexOf(n) !== i).map((n) => `"${n}" is defined twice`));
  const prefixes = commands.slash.flatMap((c) => Object.keys(c.buttons ?? {}));
  problems.push(
    ...prefixes.filter((p, i) => prefixes.indexOf(p) !== i).map((p) => `the button prefix "${p}" is taken twice`),
  );
  return problems;
}

/** The router's table, derived from the definitions: throws when they and the routes disagree (routeProblems). */
export function interactionHandlers<D>(commands: CommandSet<D>, deps: D): InteractionHandlers {
  const problems = routeProblems(commands);
  if (problems.length > 0) throw new Error(`The commands and their handlers disagree:\n${problems.join('\n')}`);
  const table = {
    commands: {} as Record<string, CommandHandler>,
    autocomplete: {} as Record<string, AutocompleteHandler>,
    buttons: {} as Record<string, ButtonHandler>,
    messageMenus: {} as Record<string, MessageMenuHandler>,
  };
  const add = (key: string, r: Route<D>): void => {
    const handler = r.handler(deps);
    table.commands[key] = (interaction) => handler(interaction, interaction.options);
    if (r.autocomplete) table.autocomplete[key] = r.autocomplete(deps);
  };
  for (const command of commands.slash) {
    const name = command.definition.toJSON().name;
    if ('subcommands' in command) for (const [sub, r] of Object.entries(command.subcommands)) add(`${name} ${sub}`, r);
    else add(name, command.run);
    for (const [prefix, button] of Object.entries(command.buttons ?? {})) table.buttons[prefix] = button(deps);
  }
  for (const menu of commands.menus) table.messageMenus[menu.definition.toJSON().name] = menu.handler(deps);
  return table;
}
