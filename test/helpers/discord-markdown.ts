/**
 * How Discord's markdown reads a message, for checking that member-given text is shown as it is: a backslash before
 * any punctuation shows that character literally (and takes away its meaning).
 */

/** Whether the character at `i` is escaped: an odd number of backslashes right before it. */
export function escapedAt(text: string, i: number): boolean {
  let n = 0;
  for (let j = i - 1; j >= 0 && text[j] === '\\'; j--) n++;
  return n % 2 === 1;
}

/** What a reader sees: escapes resolved. */
export function shownText(text: string): string {
  return text.replace(/\\([^0-9A-Za-z\s])/g, '$1');
}

/** The markdown constructs of `tokens` that `text` leaves active: a token's raw form whose first character is not escaped. */
export function activeTokens(text: string, tokens: readonly string[]): string[] {
  return tokens.filter((token) => {
    for (let i = text.indexOf(token); i >= 0; i = text.indexOf(token, i + 1)) if (!escapedAt(text, i)) return true;
    return false;
  });
}

/** A title made of every construct Discord would render, each with its raw form to look for. */
export const HOSTILE_TOKENS = [
  '<@123456789012345678>',
  '<@&123456789012345677>',
  '<#123456789012345679>',
  '@everyone',
  '@here',
  '**NITRO**',
  '||spoiler||',
  '<t:0:R>',
  '[free](https://evil.example)',
  '`code`',
  '~~gone~~',
  '__under__',
  '*tilt*',
  '<:blob:123456789012345676>',
  'https://evil.example',
] as const;
export const HOSTILE_TITLE = `# ${HOSTILE_TOKENS.join(' ')}`;

/** A title of the constructs that fit in a title of 100 characters (what a tag could carry). */
export const HOSTILE_SHORT =
  '# <@123456789012345678> @everyone **NITRO** ||x|| <t:0:R> [free](https://evil.example) `c`';
export const HOSTILE_SHORT_TOKENS = [
  '<@123456789012345678>',
  '@everyone',
  '**NITRO**',
  '||x||',
  '<t:0:R>',
  '[free](https://evil.example)',
  '`c`',
  'https://evil.example',
  '# ',
] as const;

/** The JSON a REST call carried (a multipart body's `payload_json`, as a reply with files sends it). */
function jsonBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  const match = /name="payload_json"[^\r]*\r\n(?:[^\r]+\r\n)*\r\n(\{[\s\S]*?\})\r\n--/.exec(body);
  return match ? (JSON.parse(match[1]!) as unknown) : undefined;
}

interface Shown {
  content?: string;
  embeds?: {
    title?: string;
    description?: string;
    fields?: { name: string; value: string }[];
    footer?: { text?: string };
  }[];
}

/** Every text of a message (its content, its embeds' titles, descriptions and fields) that Discord renders as markdown; not its buttons. */
export function renderedTexts(body: unknown): string[] {
  const json = jsonBody(body) as (Shown & { data?: Shown }) | undefined;
  if (!json || typeof json !== 'object') return [];
  const message: Shown = json.data && typeof json.data === 'object' ? json.data : json;
  const embeds = (message.embeds ?? []).flatMap((e) => [
    e.title,
    e.description,
    e.footer?.text,
    ...(e.fields ?? []).flatMap((f) => [f.name, f.value]),
  ]);
  return [message.content, ...embeds].filter((t): t is string => typeof t === 'string' && t.length > 0);
}
