/** Seconds, rounded to whole ones, as a clock: "3:07", "61:40" (negative as "0:00"). */
export function formatClock(seconds: number): string {
  return clock(seconds, false);
}

/** As formatClock, with hours from an hour up: "3:07", "1:01:40". */
export function formatDuration(seconds: number): string {
  return clock(seconds, true);
}

function clock(seconds: number, hours: boolean): string {
  const s = Math.max(0, Math.round(seconds));
  const sec = String(s % 60).padStart(2, '0');
  if (hours && s >= 3600)
    return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${sec}`;
  return `${Math.floor(s / 60)}:${sec}`;
}
