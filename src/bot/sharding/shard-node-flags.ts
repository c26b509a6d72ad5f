/**
 * V8 flags every shard process runs with. A track change makes a few MB of short-lived objects (the guild record read
 * and written, the candidates' analyses); with V8's default young generation they outlive it and are promoted, and the
 * old generation's mark-compact pauses (17–61 ms) then held the event loop of every live set in the process. With
 * 32 MB semi-spaces they die young: bench:stall, 20 sets, idle machine: 0 mark-compacts and a longest delay of 13 ms,
 * against 4–6 mark-compacts and 16–36 ms.
 */
export const SHARD_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];
