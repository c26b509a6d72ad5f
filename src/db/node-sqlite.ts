import type * as NodeSqliteModule from 'node:sqlite';

export type NodeSqlite = typeof NodeSqliteModule;
let nodeSqlite: NodeSqlite | undefined;

/**
 * node:sqlite, the SQLite Node ships (no native addon to build or download at install). Node 22 prints "SQLite is an
 * experimental feature" once per thread, when the module is first loaded there: that one warning is kept from users,
 * every other warning still shows.
 */
export function loadNodeSqlite(): NodeSqlite {
  if (nodeSqlite) return nodeSqlite;
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]): void {
    if (String(warning).startsWith('SQLite is an experimental feature')) return;
    (emitWarning as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    nodeSqlite = process.getBuiltinModule('node:sqlite') as NodeSqlite;
  } finally {
    process.emitWarning = emitWarning;
  }
  return nodeSqlite;
}
