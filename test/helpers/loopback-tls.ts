import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { makeTempDir } from './ffmpeg-fixtures.ts';

export interface LoopbackCert {
  key: string;
  cert: string;
}

/**
 * A self-signed certificate for 127.0.0.1, made now by openssl (node:crypto makes keys but no X.509 certificates), and
 * trusted by this process's TLS clients from now on: @discordjs/voice always dials `wss://<endpoint>`, so a voice server
 * on loopback must speak TLS with a certificate the bot's `ws` client accepts. Nothing is patched and no verification is
 * turned off: the certificate joins the default CA list (`tls.setDefaultCACertificates`), as NODE_EXTRA_CA_CERTS would
 * at start-up.
 */
export function trustedLoopbackCert(): LoopbackCert {
  const tmp = makeTempDir('minidj-tls-');
  try {
    const key = path.join(tmp.dir, 'key.pem');
    const cert = path.join(tmp.dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const pair = { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
    tls.setDefaultCACertificates([...tls.getCACertificates('default'), pair.cert]);
    return pair;
  } finally {
    tmp.cleanup();
  }
}
