/**
 * "100 MB", "0.5 MB", "2 kB", "512 bytes": decimal units (1 MB = 10⁶ bytes), as MINIDJ_MAX_MB sets the limit; sizes
 * from 0.1 MB up in MB (the unit limits are set in), to one decimal where not whole.
 */
export function formatBytes(bytes: number): string {
  const units: [number, number, string][] = [
    [1e5, 1e6, 'MB'],
    [1e3, 1e3, 'kB'],
  ];
  for (const [from, size, unit] of units) {
    if (bytes >= from) return `${Math.round((bytes / size) * 10) / 10} ${unit}`;
  }
  return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
}
