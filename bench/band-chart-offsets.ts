// Where each band song's chart sits on its audio, measured once from the Debian package fretsonfire-songs-sectoid
// (the source of ../shared/band-music, which holds the mixed songs but not the stems or charts): the song's guitar
// stem (guitar.ogg) first reaches -30 dB of its peak this long after the chart's first expert-guitar note
// (notes.mid, one tempo). Placing the chart by this, not by the analysed beats, tells beats on the chart's beats from
// beats on its off-beats.
export const GUITAR_CHART_OFFSET_SEC: Readonly<Record<string, number>> = {
  'escape_from_chaosland.ogg': 0.055,
  'feelings.ogg': 0.026,
  'metal_madness.ogg': 0.064,
  'war_of_freedom.ogg': 0.018,
};
