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

  constructor(source: MetricsSource) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'minidj_' });
    new Gauge({ name: 'minidj_guilds', help: 'Servers this process serves', registers, collect() { this.set(source.guilds()); } });
    new Gauge({ name: 'minidj_live_sets', help: 'Live sets streaming in this process', registers, collect() { this.set(source.liveSets()); } });
    new Gauge({ name: 'minidj_analysis_queue_depth', help: 'Analysis jobs waiting for a worker', registers, collect() { this.set(source.analysisQueueDepth()); } });
    if (source.lateFrames) {
      const late = source.lateFrames.bind(source);
      new Gauge({ name: 'minidj_late_frames', help: 'Audio frames sent as silence because the set was late, since start', registers, collect() { this.set(late()); } });
    }
    if (source.downloads) {
      const downloads = source.downloads.bind(source);
      new Gauge({ name: 'minidj_downloads_in_flight', help: 'Downloads running in this process', registers, collect() { this.set(downloads().inFlight); } });
      new Gauge({ name: 'minidj_downloads_waiting', help: 'Downloads waiting for a slot (MINIDJ_MAX_DOWNLOADS)', registers, collect() { this.set(downloads().waiting); } });
      new Gauge({ name: 'minidj_downloads_max', help: 'Downloads one process runs at once (MINIDJ_MAX_DOWNLOADS)', registers, collect() { this.set(downloads().max); } });
    }
    this.transitions = new Counter({ name: 'minidj_transitions_total', help: 'Transitions played', labelNames: ['style', 'check'], registers });
    this.fallbackCuts = new Counter({ name: 'minidj_transition_fallback_cuts_total', help: 'Transitions not rendered in time, played as cuts', registers });
    this.analysisSeconds = new Histogram({
      name: 'minidj_analysis_seconds',
      help: 'Wall time of a track analysis',
      labelNames: ['outcome'],
      buckets: [0.5, 1, 2, 4, 8, 16, 32, 64],
      registers,
    });
    this.refusedSets = new Counter({ name: 'minidj_live_sets_refused_total', help: 'Live sets refused for want of headroom', registers });
  }

  /** A played transition: its style, the beat check's verdict, and whether it was a fallback cut. */
  countTransition(style: string, check: string | undefined, fallback: boolean): void {
    this.transitions.inc({ style, check: check ?? 'none' });
    if (fallback) this.fallbackCuts.inc();
  }
}
