import { describe, expect, it } from 'vitest';
import { displayTitle } from '../src/bot/discord/track-title.ts';
import { activeTokens, HOSTILE_TITLE, HOSTILE_TOKENS, shownText } from './helpers/discord-markdown.ts';

/** Each construct Discord renders, alone, with the raw form that must not stay active. */
const CONSTRUCTS: [string, string[]][] = [
  ['<@123456789012345678>', ['<@123456789012345678>']],
  ['<@!123456789012345678>', ['<@!123456789012345678>']],
  ['<@&123456789012345678>', ['<@&123456789012345678>']],
  ['<#123456789012345678>', ['<#123456789012345678>']],
  ['@everyone and @here', ['@everyone', '@here']],
  ['<t:0:R> <t:1700000000:F>', ['<t:0:R>', '<t:1700000000:F>']],
  ['</queue list:555555555555555555>', ['</queue']],
  ['<:blob:123456789012345678> <a:spin:123456789012345678>', ['<:blob', '<a:spin']],
  [
    '**bold** *it* _it_ __under__ ~~strike~~ ||spoiler||',
    ['**bold**', '*it*', '_it_', '__under__', '~~strike~~', '||spoiler||'],
  ],
  ['***both*** ___both___', ['***both***', '___both___']],
  ['`code` ``double`` ```block```', ['`code`', '``double``', '```block```']],
  ['[free nitro](https://evil.example)', ['[free nitro](https://evil.example)', 'https://evil.example']],
  ['http://evil.example/x and <https://evil.example>', ['http://evil.example', '<https://evil.example>']],
  ['# Heading', ['# Heading']],
  ['### Small heading', ['### Small heading']],
  ['-# subtext', ['-# subtext']],
  ['- list item', ['- list item']],
  ['* list item', ['* list item']],
  ['1. numbered', ['1. numbered']],
  ['> quote', ['> quote']],
  ['>>> block quote', ['>>> block quote']],
  ['back\\slash \\*escaped\\*', ['\\*escaped\\*']],
];

describe("displayTitle: a member's text shows as plain text in Discord", () => {
  it.each(CONSTRUCTS)('%s is shown literally, with nothing left active', (raw, tokens) => {
    const shown = displayTitle(raw);
    expect(activeTokens(shown, tokens)).toEqual([]);
    expect(shownText(shown)).toBe(raw);
    // Inside the bold the messages put it in, too.
    const inMessage = `Now mixing **${shown}** → **other**`;
    expect(activeTokens(inMessage, tokens)).toEqual([]);
    expect(shownText(inMessage)).toBe(`Now mixing **${raw}** → **other**`);
  });

  it('escapes a title made of every construct at once', () => {
    const shown = displayTitle(HOSTILE_TITLE, 1000);
    expect(activeTokens(shown, [...HOSTILE_TOKENS, '# '])).toEqual([]);
    expect(shownText(shown)).toBe(HOSTILE_TITLE);
  });

  it('clips before escaping (no cut escape left to eat what follows), flattens new lines and drops bidi overrides', () => {
    expect(displayTitle(`${'a'.repeat(99)}**`)).toBe(`${'a'.repeat(99)}…`);
    expect(displayTitle(`${'a'.repeat(99)}\\x`)).toBe(`${'a'.repeat(99)}…`);
    // A new line would put the rest at the start of a line (a heading there); it stays on the title's line.
    expect(displayTitle('one\n# two')).toBe('one # two');
    expect(displayTitle('abc\u202Edef')).toBe('abcdef');
  });

  it('leaves ordinary titles as they are', () => {
    for (const title of ['Night Drive', 'dawn-patrol', "Don't Stop (Radio Edit) 128 BPM", 'Café del Mar 2.0'])
      expect(displayTitle(title)).toBe(title);
  });
});
