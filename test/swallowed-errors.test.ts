import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = path.join(import.meta.dirname, '..', 'src');

/** The handler's error parameter, when it takes one by name. */
function errorName(handler: ts.FunctionLikeDeclaration | ts.CatchClause): string | undefined {
  const decl = ts.isCatchClause(handler) ? handler.variableDeclaration : handler.parameters[0];
  return decl && ts.isIdentifier(decl.name) ? decl.name.text : undefined;
}

/** Whether `body` throws, or uses the error named `name` (reports it, wraps it, tells on it). */
function handles(body: ts.Node, name: string | undefined): boolean {
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (
      ts.isThrowStatement(node) ||
      (name !== undefined && ts.isIdentifier(node) && node.text === name && node !== body)
    )
      found = true;
    else ts.forEachChild(node, visit);
  };
  visit(body);
  return found;
}

/** The function a call hands errors to: `.catch(h)`, `.then(…, h)`, `.on('error', h)` / `.once('error', h)`. */
function rejectionHandler(method: string, args: ts.NodeArray<ts.Expression>): ts.Expression | undefined {
  if (method === 'catch') return args[0];
  if (method === 'then') return args[1];
  const [event, handler] = args;
  return (method === 'on' || method === 'once') && event && ts.isStringLiteral(event) && event.text === 'error'
    ? handler
    : undefined;
}

/** A `.catch(handler)`, `.then(…, handler)`, `.on('error', handler)` or `catch {…}` that neither throws nor looks at the error, with the line it starts on. */
function swallowingCatches(file: string, text: string): { line: number; block: boolean }[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: { line: number; block: boolean }[] = [];
  const at = (node: ts.Node): number => source.getLineAndCharacterOfPosition(node.getStart(source)).line;
  const visit = (node: ts.Node): void => {
    if (ts.isCatchClause(node)) {
      const name = errorName(node);
      if (!handles(node.block, name)) found.push({ line: at(node), block: true });
    } else if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const handler = rejectionHandler(node.expression.name.text, node.arguments);
      if (
        handler &&
        (ts.isArrowFunction(handler) || ts.isFunctionExpression(handler)) &&
        !handles(handler.body, errorName(handler))
      ) {
        found.push({ line: at(handler), block: ts.isBlock(handler.body) });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const COMMENT = /(^|\s)\/\/|\/\*|\*\/|^\s*\*/;

/** Said why: a comment on the catch's line or the line before, or (a block: `catch {`, `() => {`) its first line. */
function explained(lines: string[], line: number, block: boolean): boolean {
  const candidates = [line, line - 1];
  if (block) candidates.push(line + 1);
  return candidates.some((l) => l >= 0 && COMMENT.test(lines[l] ?? ''));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

/** Every swallowing catch in `text` that does not say why it swallows, as `file:line`. */
function unexplained(file: string, text: string): string[] {
  const lines = text.split('\n');
  return swallowingCatches(file, text)
    .filter(({ line, block }) => !explained(lines, line, block))
    .map(({ line }) => `${file}:${line + 1}`);
}

describe('an error is swallowed only with a comment saying why', () => {
  it('finds the kinds it must', () => {
    const code = [
      'p.catch(() => undefined);',
      'p.catch(() => {});',
      'p.then(f, () => undefined);',
      "s.on('error', () => {});",
      'p.catch((e) => null);',
      'try { f(); } catch { }',
      'try { f(); } catch (e) { g(); }',
      'p.catch(onError);',
      'p.then(f);',
      "s.on('data', () => {});",
      "s.on('error', (e) => log(e));",
      'p.catch((e) => log(e));',
      'p.catch(() => { throw new Error("x"); });',
      'try { f(); } catch (e) { throw e; }',
      "r.on('error', () => {",
      '  // Said why, first thing in the block.',
      '});',
      '// Said why.',
      'p.catch(() => undefined);',
      'q.catch(() => undefined); // Said why.',
    ].join('\n');
    expect(unexplained('x.ts', code)).toEqual(['x.ts:1', 'x.ts:2', 'x.ts:3', 'x.ts:4', 'x.ts:5', 'x.ts:6', 'x.ts:7']);
  });

  it('holds in src/', () => {
    const found = sourceFiles(SRC).flatMap((file) =>
      unexplained(path.relative(path.dirname(SRC), file), readFileSync(file, 'utf8')),
    );
    expect(found).toEqual([]);
  });
});
