import type { Logger } from '../ops/log.ts';
import type { BotMetrics } from '../ops/metrics.ts';
import type { VoiceReport } from '../voice/voice-report.ts';
import type { SetState } from './live/live-set-state.ts';

/** What the live sets tell the operator, as the process reports it: a log line each, and a /metrics counter. */
export interface OpsReports {
  onSetStateChange(guildId: string, from: SetState, to: SetState): void;
  onVoice(guildId: string, report: VoiceReport): void;
}

const stateLine = (to: SetState): string =>
  `live set ${to.status}${to.status === 'paused' ? ` (${to.by})` : to.status === 'ended' ? ` (${to.reason})` : ''}`;

export function opsReports(metrics: BotMetrics, log: Logger): OpsReports {
  return {
    onSetStateChange(guildId, from, to) {
      metrics.liveSetStates.inc({ to: to.status });
      log.info({ guildId, from, to }, stateLine(to));
    },
    onVoice(guildId, report) {
      if (report.type === 'rejoin') {
        metrics.voiceRejoins.inc({ reason: report.reason });
        log.warn({ guildId, reason: report.reason }, `voice connection rejoined (${report.reason})`);
        return;
      }
      metrics.voiceErrors.inc({ kind: report.kind });
      log.error({ guildId, kind: report.kind, err: report.error }, `voice ${report.kind} error`);
    },
  };
}
