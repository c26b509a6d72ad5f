import { describe, expect, it } from 'vitest';
import { sniffAudio } from '../src/audio/io/audio-sniff.ts';

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));
const text = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

describe('sniffAudio', () => {
  it.each([
    ['ID3v2 tag', text('ID3\x04\x00\x00\x00\x00\x00\x00'), 'mp3'],
    ['MPEG-1 layer III frame, 128 kbit/s, 44.1 kHz', hex('fffb9064 0000'), 'mp3'],
    ['MPEG-2 layer III frame', hex('fff39064 0000'), 'mp3'],
    ['ADTS AAC, MPEG-4', hex('fff15080 2bff'), 'aac'],
    ['ADTS AAC, MPEG-2', hex('fff95080 2bff'), 'aac'],
    ['FLAC', text('fLaC\x00\x00\x00\x22'), 'flac'],
    ['RIFF WAVE', text('RIFF\x24\x00\x00\x00WAVEfmt '), 'wav'],
    ['AIFF', text('FORM\x00\x00\x00\x00AIFFCOMM'), 'aiff'],
    ['Ogg', text('OggS\x00\x02\x00\x00'), 'ogg'],
    ['MP4/M4A', text('\x00\x00\x00\x20ftypM4A \x00\x00'), 'mp4'],
    ['WebM/Matroska', hex('1a45dfa3 9f428681'), 'webm'],
  ])('recognises %s', (_name, bytes, kind) => {
    expect(sniffAudio(bytes)).toEqual({ audio: true, kind });
  });

  it.each([
    ['HTML', text('<!doctype html><html>'), 'a web page'],
    ['HTML after a BOM and blank lines', text('\xef\xbb\xbf\r\n  <html lang="en">'), 'a web page'],
    ['XML', text('<?xml version="1.0"?>'), 'a web page'],
    ['JSON object', text('{"ok":false}'), 'JSON data'],
    ['JSON array', text('[1,2,3]'), 'JSON data'],
    ['PNG', hex('89504e470d0a1a0a0000000d'), 'an image'],
    ['JPEG (starts with 0xFF like an MPEG frame)', hex('ffd8ffe000104a464946'), 'an image'],
    ['GIF', text('GIF89a\x01\x00'), 'an image'],
    ['WebP (RIFF but not WAVE)', text('RIFF\x24\x00\x00\x00WEBPVP8 '), 'an image'],
    ['PDF', text('%PDF-1.7\n'), 'a PDF document'],
    ['zip', text('PK\x03\x04\x14\x00'), 'a zip archive'],
  ])('refuses %s', (_name, bytes, looksLike) => {
    expect(sniffAudio(bytes)).toEqual({ audio: false, looksLike });
  });

  it.each([
    ['plain text', text('hello, world')],
    ['bad MPEG version bits', hex('ffeb9064 0000')],
    ['bad MPEG bitrate index', hex('fffbf064 0000')],
    ['too short to tell', hex('ff')],
  ])('refuses %s without a guess', (_name, bytes) => {
    expect(sniffAudio(bytes)).toEqual({ audio: false });
  });
});
