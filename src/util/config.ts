/**
 * Every `MINIDJ_*` setting, declared once: its type, default, bounds and meaning (README → Configuration lists the
 * same, checked by test/config.test.ts). `setting(name)` reads the environment when called, so a change between two
 * calls (the tests) is seen. This is the only file that reads a `MINIDJ_*` variable (linted, and test/config.test.ts).
 */

interface Common {
  /** One line: what it sets. */
  description: string;
  /** The README's default when it is not the value itself (computed elsewhere, or a text). */
  shown?: string;
  /**
   * A malformed value read while running gives the default, as these settings always did; a process's start refuses
   * it (configProblems).
   */
  lenient?: true;
}
interface NumberSetting extends Common {
  kind: 'number' | 'int';
  default?: number;
  /** Bounds: greater than `above`, at least `min`, at most `max`. */
  above?: number;
  min?: number;
  max?: number;
  /** What the number counts, for the error ("megabytes"). */
  unit: string;
}
interface BoolSetting extends Common {
  kind: 'bool';
  default: boolean;
}
interface StringSetting extends Common {
  kind: 'string';
  default?: string;
}
interface EnumSetting extends Common {
  kind: 'enum';
  values: readonly string[];
  default: string;
}
interface ListSetting extends Common {
  kind: 'list';
}
type Setting = NumberSetting | BoolSetting | StringSetting | EnumSetting | ListSetting;

const positive = (unit: string, value: number, description: string): NumberSetting & { default: number } => ({
  kind: 'number',
  default: value,
  above: 0,
  unit,
  description,
});
const text = (description: string, shown?: string): StringSetting => ({
  kind: 'string',
  description,
  ...(shown ? { shown } : {}),
});

export const SETTINGS = {
  MINIDJ_HOME: text('where the `.env` and the `data/` folder are', 'the project folder'),
  MINIDJ_DB: text(
    'the store: a SQLite file, `sqlite://…`, `redis://…` or `postgres://…`',
    '`data/minidj.sqlite` in `MINIDJ_HOME`',
  ),
  MINIDJ_FFMPEG_MEMORY_MB: positive(
    'megabytes',
    1024,
    "address space each ffmpeg and ffprobe on a member's file may use",
  ),
  MINIDJ_FFMPEG_CPU_SEC: positive('CPU seconds', 120, 'CPU seconds each of them may use'),
  MINIDJ_MAX_MB: positive('megabytes', 100, 'largest accepted file'),
  MINIDJ_MAX_MINUTES: positive('minutes', 20, 'longest accepted track'),
  MINIDJ_MIN_SECONDS: positive('seconds', 1, 'shortest accepted track'),
  MINIDJ_DECODE_TIMEOUT_SEC: positive('seconds', 120, 'a decode taking longer is killed'),
  MINIDJ_SHARED_AUDIO: text('real clips with ground truth, for benchmarks and tests', '`../shared/audio`'),
  MINIDJ_TRACKS_DIR: text("the library's audio", '`data/tracks` in `MINIDJ_HOME`'),
  MINIDJ_MAX_LIBRARY_GB: positive('gigabytes', 20, "the disk the library's audio may use in all"),
  MINIDJ_SERVER_LIBRARY_GB: positive('gigabytes', 2, "each server's share of it"),
  MINIDJ_SHARED_LIBRARY_GB: positive('gigabytes', 5, "the shared library's share"),
  MINIDJ_MAX_DOWNLOADS: {
    kind: 'int',
    default: 16,
    min: 1,
    unit: 'downloads',
    description: 'downloads one bot process runs at once',
  },
  MINIDJ_DOWNLOAD_DIR: text('per-request download dirs', '`data/downloads` in `MINIDJ_HOME`'),
  MINIDJ_SHARD_COUNT: {
    kind: 'int',
    min: 1,
    unit: 'shards',
    shown: "Discord's recommendation",
    description: "the bot's total number of gateway shards",
  },
  MINIDJ_SHARDS: { kind: 'list', shown: 'every shard', description: 'the shard ids `npm start` runs on this machine' },
  MINIDJ_REDIS: { kind: 'string', description: 'the Redis queue analyses go on (`redis://host:port`)' },
  MINIDJ_ANALYSIS_JOBS: {
    kind: 'number',
    above: 0,
    unit: 'analyses',
    lenient: true,
    shown: "the machine's cores",
    description: '`npm run worker`: analyses it runs at once',
  },
  MINIDJ_QUEUE_LOCK_MS: {
    kind: 'number',
    above: 0,
    unit: 'milliseconds',
    lenient: true,
    shown: '30000',
    description: "`npm run worker`: how long a job stays a worker's without a word",
  },
  MINIDJ_QUEUE_WAIT_MIN: {
    kind: 'number',
    default: 10,
    above: 0,
    unit: 'minutes',
    lenient: true,
    description: 'minutes a song may wait for a worker',
  },
  MINIDJ_RESUME: {
    kind: 'bool',
    default: true,
    lenient: true,
    shown: '`1`',
    description: '`0`: do not resume saved sets after a restart',
  },
  MINIDJ_SAVE_EVERY_SEC: {
    kind: 'number',
    above: 0,
    unit: 'seconds',
    lenient: true,
    shown: '5',
    description: 'how often a live set saves where it is',
  },
  // Out of 0–19 is clamped by its reader (util/live-priorities.ts), as it always was.
  MINIDJ_RENDER_NICE: {
    kind: 'number',
    unit: 'niceness (0–19)',
    lenient: true,
    shown: '10',
    description: 'how much nicer than the bot its transition renders run',
  },
  MINIDJ_ANALYSIS_NICE: {
    kind: 'number',
    unit: 'niceness (0–19)',
    lenient: true,
    shown: '15',
    description: 'the same for analyses',
  },
  MINIDJ_RENDER_CONCURRENCY: {
    kind: 'number',
    unit: 'renders',
    lenient: true,
    shown: "the machine's cores",
    description: 'transitions rendered at once (at least 1)',
  },
  MINIDJ_VINYL_MAX_PCT: {
    kind: 'number',
    default: 1,
    min: 0,
    unit: 'percent',
    description: 'the tempo change within which a transition plays B resampled',
  },
  MINIDJ_MAX_LIVE_SETS: {
    kind: 'number',
    min: 0,
    unit: 'live sets',
    lenient: true,
    shown: 'the measured capacity',
    description: 'admission control: a fixed number of live sets',
  },
  MINIDJ_STREAM_COST_PCT: {
    kind: 'number',
    default: 10,
    above: 0,
    unit: 'percent of a core',
    lenient: true,
    description: "admission control: a set's cost until one is measured",
  },
  MINIDJ_CPU_TARGET_PCT: {
    kind: 'number',
    default: 90,
    above: 0,
    unit: 'percent',
    lenient: true,
    description: 'admission control: the share of all cores the sets may take',
  },
  MINIDJ_MAX_LOOP_LAG_MS: {
    kind: 'number',
    default: 50,
    above: 0,
    unit: 'milliseconds',
    lenient: true,
    description: 'admission control: the event loop lag over which no set starts',
  },
  MINIDJ_TRANSITION_EVERY_SEC: {
    kind: 'number',
    default: 180,
    above: 0,
    unit: 'seconds',
    lenient: true,
    description: "admission control: a live set's rate of transitions",
  },
  MINIDJ_SPAWNER: {
    kind: 'bool',
    default: true,
    lenient: true,
    shown: '`1`',
    description: '`0`: decoders are spawned directly, not through the spawner',
  },
  MINIDJ_ALLOW_LOOPBACK_URLS: {
    kind: 'bool',
    default: false,
    lenient: true,
    shown: '—',
    description: '`1`: also fetch links to 127.0.0.1/::1',
  },
  MINIDJ_DISCORD_API: { kind: 'string', shown: "Discord's", description: 'another REST base' },
  MINIDJ_OPS_PORT: {
    kind: 'int',
    min: 0,
    max: 65535,
    unit: 'port',
    description: 'serve /healthz and /metrics on this port',
  },
  MINIDJ_OPS_HOST: { kind: 'string', shown: '`127.0.0.1`', description: 'the address those endpoints listen on' },
  MINIDJ_OPS_HOSTS: { kind: 'list', description: 'the `Host` names those endpoints answer besides the loopback ones' },
  MINIDJ_LOG_LEVEL: {
    kind: 'enum',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    default: 'info',
    description: "the bot's log level",
  },
  MINIDJ_SHUTDOWN_DEADLINE_SEC: {
    kind: 'number',
    default: 20,
    min: 0,
    unit: 'seconds',
    lenient: true,
    description: 'after SIGTERM/SIGINT, the process exits anyway past this',
  },
} as const satisfies Record<`MINIDJ_${string}`, Setting>;

export type SettingName = keyof typeof SETTINGS;

type ValueOf<S> = S extends { kind: 'bool' }
  ? boolean
  : S extends { kind: 'list' }
    ? string[]
    : S extends { kind: 'enum'; values: readonly (infer V)[] }
      ? V
      : S extends { kind: 'number' | 'int'; default: number }
        ? number
        : S extends { kind: 'number' | 'int' }
          ? number | undefined
          : string | undefined;

/** A malformed setting: its message names the variable, what it was and what it takes. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function expects(s: NumberSetting): string {
  const bounds = [
    s.above !== undefined ? `above ${s.above}` : '',
    s.min !== undefined ? `at least ${s.min}` : '',
    s.max !== undefined ? `at most ${s.max}` : '',
  ].filter(Boolean);
  return `${s.kind === 'int' ? 'a whole number' : 'a number'} of ${s.unit}${bounds.length ? `, ${bounds.join(' and ')}` : ''}`;
}

/** The value of `raw` (trimmed, not empty), or the sentence saying what the setting takes. */
function parse(s: Setting, raw: string): { value: unknown } | { expected: string } {
  switch (s.kind) {
    case 'number':
    case 'int': {
      const n = Number(raw);
      const ok =
        Number.isFinite(n) &&
        (s.kind === 'number' || Number.isInteger(n)) &&
        (s.above === undefined || n > s.above) &&
        (s.min === undefined || n >= s.min) &&
        (s.max === undefined || n <= s.max);
      return ok ? { value: n } : { expected: expects(s) };
    }
    case 'bool':
      return raw === '0' || raw === '1' ? { value: raw === '1' } : { expected: '`0` or `1`' };
    case 'enum':
      return s.values.includes(raw) ? { value: raw } : { expected: `one of ${s.values.join(', ')}` };
    case 'list':
      return {
        value: raw
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean),
      };
    case 'string':
      return { value: raw };
  }
}

const fallback = (s: Setting): unknown => (s.kind === 'list' ? [] : 'default' in s ? s.default : undefined);

/**
 * The setting's value now (`env`: the process's environment); unset or empty: its default. A malformed value throws a
 * ConfigError, except for a lenient setting, which gives its default as it always did.
 */
export function setting<N extends SettingName>(
  name: N,
  env: NodeJS.ProcessEnv = process.env,
): ValueOf<(typeof SETTINGS)[N]> {
  const s: Setting = SETTINGS[name];
  const raw = env[name]?.trim();
  if (!raw) return fallback(s) as ValueOf<(typeof SETTINGS)[N]>;
  const parsed = parse(s, raw);
  if ('value' in parsed) return parsed.value as ValueOf<(typeof SETTINGS)[N]>;
  if (s.lenient) return fallback(s) as ValueOf<(typeof SETTINGS)[N]>;
  throw new ConfigError(malformed(name, raw, parsed.expected));
}

const malformed = (name: string, raw: string, expected: string): string => `${name} is "${raw}"; it takes ${expected}.`;

/** Every malformed setting, one sentence each (empty: all good), for a process to refuse to start with. */
export function configProblems(env: NodeJS.ProcessEnv = process.env): string[] {
  return Object.entries(SETTINGS).flatMap(([name, s]: [string, Setting]) => {
    const raw = env[name]?.trim();
    const parsed = raw ? parse(s, raw) : undefined;
    return parsed && 'expected' in parsed ? [malformed(name, raw!, parsed.expected)] : [];
  });
}
