import { generateDependencyReport } from '@discordjs/voice';
import { describe, expect, it } from 'vitest';

describe('voice dependencies', () => {
  it('has everything @discordjs/voice needs for Discord today: DAVE, transport encryption, and no Opus encoder to build', () => {
    const report = generateDependencyReport();
    // 0.19.2: the first release with working DAVE end-to-end encryption (Discord refuses voice without it).
    expect(report).toMatch(/- @discordjs\/voice: 0\.19\.2\n/);
    expect(report).toMatch(/- @snazzah\/davey: \d+\.\d+\.\d+/);
    // aes-256-gcm from node:crypto, with the pure-JS fallback installed.
    expect(report).toMatch(/- native crypto support for aes-256-gcm: yes/);
    expect(report).toMatch(/- @noble\/ciphers: \d+\.\d+\.\d+/);
    expect(report).toMatch(/- prism-media: 1\.3\.5/);
  });
});
