import type { ProbedMedia, ProbedStream } from './media-probe.ts';

/** Channel counts of the layout names ffmpeg prints (libavutil/channel_layout.c), 2018's build and 5.1's. */
const LAYOUT_CHANNELS: Record<string, number> = {
  mono: 1,
  stereo: 2,
  downmix: 2,
  '2.1': 3,
  '3.0': 3,
  '3.0(back)': 3,
  '4.0': 4,
  quad: 4,
  'quad(side)': 4,
  '3.1': 4,
  '5.0': 5,
  '5.0(side)': 5,
  '4.1': 5,
  '5.1': 6,
  '5.1(side)': 6,
  '6.0': 6,
  '6.0(front)': 6,
  hexagonal: 6,
  '6.1': 7,
  '6.1(back)': 7,
  '6.1(front)': 7,
  '7.0': 7,
  '7.0(front)': 7,
  '7.1': 8,
  '7.1(wide)': 8,
  '7.1(wide-side)': 8,
  '7.1(top)': 8,
  octagonal: 8,
  cube: 8,
  hexadecagonal: 16,
  '22.2': 24,
};

const STREAM = /^\s*Stream #0:(\d+)\S*: (\w+): (.*)$/;
const TAG = /^(\s*)(\S[^:]*?)?\s*: (.*)$/;

function channelsOf(details: string): number | undefined {
  const field = /\d+ Hz, ([^,]+)/.exec(details)?.[1]?.trim();
  if (!field) return undefined;
  const counted = /^(\d+) channels/.exec(field);
  return counted ? Number(counted[1]) : LAYOUT_CHANNELS[field];
}

function streamOf(m: RegExpExecArray): ProbedStream {
  const details = m[3]!;
  const rate = /(\d+) Hz/.exec(details);
  return {
    index: Number(m[1]),
    type: m[2]!.toLowerCase(),
    codec: /^[^\s,]+/.exec(details)?.[0] ?? '',
    ...(rate ? { sampleRate: Number(rate[1]) } : {}),
    ...(m[2] === 'Audio' ? { channels: channelsOf(details) ?? 0 } : {}),
    isDefault: /\(default\)/.test(details),
    tags: {},
  };
}

/**
 * What `ffmpeg -i FILE` (no output) says of its input on stderr, as ffprobe's JSON says it: the prober when no
 * ffprobe stands beside the ffmpeg in use (the npm builds ship none). Undefined when there is no "Input #0".
 */
export function parseFfmpegStreamInfo(stderr: string): ProbedMedia | undefined {
  const lines = stderr.split('\n');
  const start = lines.findIndex((l) => l.startsWith('Input #0'));
  if (start < 0) return undefined;
  const media: ProbedMedia = { streams: [], tags: {}, prober: 'ffmpeg' };
  // Whose "Metadata:" block the lines belong to: the file's, a stream's, or something else's (chapters, programs).
  let owner: Record<string, string> | undefined = media.tags;
  let inMetadata = false;
  let metadataIndent = 0;
  let lastKey: string | undefined;
  for (const line of lines.slice(start + 1)) {
    const stream = STREAM.exec(line);
    if (stream) {
      const s = streamOf(stream);
      media.streams.push(s);
      owner = s.tags;
      inMetadata = false;
      continue;
    }
    const indent = /^\s*/.exec(line)![0].length;
    if (/^\s*Metadata:\s*$/.test(line)) {
      inMetadata = true;
      metadataIndent = indent;
      continue;
    }
    const tag = inMetadata && indent > metadataIndent ? TAG.exec(line) : null;
    if (tag && owner) {
      const key = tag[2];
      if (key) owner[(lastKey = key)] = tag[3]!;
      else if (lastKey !== undefined) owner[lastKey] += `\n${tag[3]!}`;
      continue;
    }
    inMetadata = false;
    const duration = /Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)/.exec(line);
    if (duration) media.durationSec = Number(duration[1]) * 3600 + Number(duration[2]) * 60 + Number(duration[3]);
    if (/^\s*(Chapter|Program) #/.test(line)) owner = undefined;
    else if (!/^\s/.test(line)) break;
  }
  return media;
}
