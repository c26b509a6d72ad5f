import { isIP } from 'node:net';
import { setting } from '../util/config.ts';

/** The names a request to the ops port may give in `Host` when nothing else is configured: this machine's own. */
export const LOOPBACK_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

// A host name, an IPv4 address or a bracketed IPv6 address, then an optional port: nothing else (no userinfo, path,
// spaces), so a header such as `evil@127.0.0.1` cannot pass as one of ours.
const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?\.?)(?::(\d{1,5}))?$/i;

/** The name in a `Host` value (or a host list entry), lower case, without its port or trailing dot; undefined when malformed. */
export function hostNameOf(value: string | undefined): string | undefined {
  const match = value === undefined ? null : HOST_HEADER.exec(value.trim());
  if (!match) return undefined;
  const name = match[1]!.toLowerCase().replace(/\.$/, '');
  if (name.startsWith('[') && isIP(name.slice(1, -1)) !== 6) return undefined;
  return name;
}

/**
 * The `Host` names the ops endpoints answer: the loopback names, the address they listen on when it is a particular
 * one, and the names the operator lists (MINIDJ_OPS_HOSTS: those a Prometheus on another machine scrapes by). A
 * browser tricked by DNS rebinding sends the attacker's name, which is none of these. Throws on a malformed entry.
 */
export function allowedHostNames(listenHost: string | undefined, extra: readonly string[] = []): Set<string> {
  const names = new Set(LOOPBACK_HOSTS);
  if (listenHost && listenHost !== '0.0.0.0' && listenHost !== '::')
    names.add(isIP(listenHost) === 6 ? `[${listenHost.toLowerCase()}]` : listenHost.toLowerCase());
  for (const entry of extra) {
    const name = hostNameOf(entry);
    if (!name)
      throw new Error(
        `MINIDJ_OPS_HOSTS: "${entry}" is not a host name or address (a list such as "metrics.example.net,10.0.0.5")`,
      );
    names.add(name);
  }
  return names;
}

/** MINIDJ_OPS_HOSTS, comma-separated. */
export function opsHostsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return setting('MINIDJ_OPS_HOSTS', env);
}
