import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What the process reads its gauges from, at each scrape. */
export interface MetricsSource {
  guilds(): number;
  liveSets(): number;
  /** Analysis jobs waiting for a worker. */
  analysisQueueDepth(): number;
  /** Audio frames the live sets' players had to fill with silence since start (summed over sets). */
  lateFrames?(): number;
  /** Downloads running, waiting for a slot, and the cap (MINIDJ_MAX_DOWNLOADS). */
  downloads?(): { inFlight: number; waiting: number; max: number };
  /** The library's disk use against its quota (src/library/library-quota.ts). */
  library?(): Promise<LibraryFigures>;
}

/** The library's disk use (bytes): in all, the shared library's, the servers' shares. */
export interface LibraryFigures {
  limits: { totalBytes: number; serverBytes: number; sharedBytes: number };
  totalBytes: number;
  sharedBytes: number;
  servers: number;
  largestServerBytes: number;
  serversFull: number;
}

/** The process's Prometheus metrics (`/metrics`): what an operator watches and alerts on. */
export class BotMetrics {
  readonly registry = new Registry();
  /** Transitions played, by style and by what the beat check did. */
  readonly transitions: Counter<'style' | 'check'>;
  /** Transitions that were not rendered in time and fell back to a cut. */
  readonly fallbackCuts: Counter;
  /** Wall time of each track analysis, by outcome. */
  readonly analysisSeconds: Histogram<'outcome'>;
  /** Live sets refused by admission control (no headroom left). */
  readonly refusedSets: Counter;
  /** Tracks taken out of a library to keep it within its share of the disk quota. */
  readonly libraryEvictions: Counter;
  /** Adds refused by the disk quota: a library's share full, or the total. */
  readonly libraryRefusals: Counter<'full'>;
  /** Live sets' voice connections joining their channel again, by why (src/voice/voice-report.ts). */
  readonly voiceRejoins: Counter<'reason'>;
  /** Live sets' voice errors, by where they came from: the connection or the player. */
  readonly voiceErrors: Counter<'kind'>;
  /** Live sets' state changes, by the state entered (playing, paused, ended, …). */
  readonly liveSetStates: Counter<'to'>;

  constructor(source: MetricsSource) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'minidj_' });
    sourceGauges(source, registers);
    this.transitions = new Counter({
      name: 'minidj_transitions_total',
      help: 'Transitions played',
      labelNames: ['style', 'check'],
      registers,
    });
    this.fallbackCuts = new Counter({
      name: 'minidj_transition_fallback_cuts_total',
      help: 'Transitions not rendered in time, played as cuts',
      registers,
    });
    this.analysisSeconds = new Histogram({
      name: 'minidj_analysis_seconds',
      help: 'Wall time of a track analysis',
      labelNames: ['outcome'],
      buckets: [0.5, 1, 2, 4, 8, 16, 32, 64],
      registers,
    });
    this.refusedSets = new Counter({
      name: 'minidj_live_sets_refused_total',
      help: 'Live sets refused for want of headroom',
      registers,
    });
    this.libraryEvictions = new Counter({
      name: 'minidj_library_evictions_total',
      help: 'Tracks taken out of a library to keep it within its share of the disk quota',
      registers,
    });
    this.libraryRefusals = new Counter({
      name: 'minidj_library_adds_refused_total',
      help: "Adds refused by the disk quota, by what was full (a library's share, or the total)",
      labelNames: ['full'],
      registers,
    });
    this.voiceRejoins = new Counter({
      name: 'minidj_voice_rejoins_total',
      help: 'Voice connections that joined their channel again, by why (closed, dropped, stuck)',
      labelNames: ['reason'],
      registers,
    });
    this.voiceErrors = new Counter({
      name: 'minidj_voice_errors_total',
      help: 'Voice errors, by where they came from (connection, player)',
      labelNames: ['kind'],
      registers,
    });
    this.liveSetStates = new Counter({
      name: 'minidj_live_set_state_changes_total',
      help: 'Live set state changes, by the state entered',
      labelNames: ['to'],
      registers,
    });
    if (source.library) libraryGauges(source.library.bind(source), registers);
  }

  /** A played transition: its style, the beat check's verdict, and whether it was a fallback cut. */
  countTransition(style: string, check: string | undefined, fallback: boolean): void {
    this.transitions.inc({ style, check: check ?? 'none' });
    if (fallback) this.fallbackCuts.inc();
  }
}

/** The gauges read from the process at each scrape (the optional ones where the source has them). */
function sourceGauges(source: MetricsSource, registers: Registry[]): void {
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  gauge('minidj_guilds', 'Servers this process serves', () => source.guilds());
  gauge('minidj_live_sets', 'Live sets streaming in this process', () => source.liveSets());
  gauge('minidj_analysis_queue_depth', 'Analysis jobs waiting for a worker', () => source.analysisQueueDepth());
  const late = source.lateFrames?.bind(source);
  if (late) gauge('minidj_late_frames', 'Audio frames sent as silence because the set was late, since start', late);
  const downloads = source.downloads?.bind(source);
  if (downloads) {
    gauge('minidj_downloads_in_flight', 'Downloads running in this process', () => downloads().inFlight);
    gauge('minidj_downloads_waiting', 'Downloads waiting for a slot (MINIDJ_MAX_DOWNLOADS)', () => downloads().waiting);
    gauge('minidj_downloads_max', 'Downloads one process runs at once (MINIDJ_MAX_DOWNLOADS)', () => downloads().max);
  }
}

/** The library's disk use against its quota, read at each scrape (the source caches it). */
function libraryGauges(read: () => Promise<LibraryFigures>, registers: Registry[]): void {
  const gauge = (name: string, help: string, value: (f: LibraryFigures) => number) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        this.set(value(await read()));
      },
    });
  gauge('minidj_library_bytes', "Disk used by the library's audio", (f) => f.totalBytes);
  gauge('minidj_library_shared_bytes', 'Disk counted against the shared library', (f) => f.sharedBytes);
  gauge(
    'minidj_library_largest_server_bytes',
    'Disk counted against the server keeping the most',
    (f) => f.largestServerBytes,
  );
  gauge('minidj_library_servers', 'Servers with music counted against their share', (f) => f.servers);
  gauge('minidj_library_servers_full', 'Servers at their share of the disk quota', (f) => f.serversFull);
  new Gauge({
    name: 'minidj_library_quota_bytes',
    help: 'The disk quota: in all, per server, for the shared library',
    labelNames: ['scope'],
    registers,
    async collect() {
      const { limits } = await read();
      this.set({ scope: 'total' }, limits.totalBytes);
      this.set({ scope: 'server' }, limits.serverBytes);
      this.set({ scope: 'shared' }, limits.sharedBytes);
    },
  });
}
