import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Guards against a receiver URL that points back into our own network (SSRF): an
 * alerts file or environment that names http://169.254.169.254/ or an internal admin
 * port would otherwise turn every alert into a request to it. Only http/https, and no
 * loopback, private, link-local or otherwise non-public address — as a literal or as
 * what the host name resolves to — unless the receiver says `allow_private`.
 *
 * Limit: the name is resolved here and again by fetch, so a DNS answer that changes in
 * between (rebinding) is not caught; pinning the address needs a custom HTTP agent.
 */
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** The IPv4 address inside an IPv4-mapped/compatible IPv6 address (::ffff:a.b.c.d or ::ffff:7f00:1), else null. */
function embeddedIPv4(addr: string): string | null {
  const m = /^(?:0{0,4}:){0,5}:?(?:ffff:)?(?:0{0,4}:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
  if (m) return m[1];
  const hex = /^(?:0{0,4}:){0,5}:?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(addr);
  if (!hex) return null;
  const hi = parseInt(hex[1], 16);
  const lo = parseInt(hex[2], 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** True for an IP literal that is not a public unicast address (see the module comment). */
export function isNonPublicAddress(address: string): boolean {
  const addr = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(addr);
  if (family === 4) return blocked.check(addr, 'ipv4');
  if (family === 6) {
    const v4 = embeddedIPv4(addr);
    if (v4 !== null && isIP(v4) === 4) return blocked.check(v4, 'ipv4');
    return blocked.check(addr, 'ipv6');
  }
  return false;
}

export type Resolver = (host: string) => Promise<{ address: string }[]>;

const systemResolver: Resolver = (host) => lookup(host, { all: true, verbatim: true });

export type TargetCheck = { ok: true } | { ok: false; reason: string; retry: boolean };

/**
 * Checks a receiver URL before each send. A refused target is a configuration problem,
 * not a transient one (`retry: false`); a failed DNS lookup may be transient
 * (`retry: true`). Reasons never contain the URL, which is a secret.
 */
export async function checkTarget(url: string, allowPrivate: boolean, resolver: Resolver = systemResolver): Promise<TargetCheck> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { ok: false, reason: 'receiver URL is not a valid URL', retry: false };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { ok: false, reason: `receiver URL scheme ${u.protocol} is not http or https`, retry: false };
  if (allowPrivate) return { ok: true };
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    return isNonPublicAddress(host) ? { ok: false, reason: 'receiver address is private, loopback or link-local (set allow_private to allow)', retry: false } : { ok: true };
  }
  let addresses: { address: string }[];
  try {
    addresses = await resolver(host);
  } catch (err) {
    return { ok: false, reason: `cannot resolve receiver host: ${(err as NodeJS.ErrnoException).code ?? 'lookup failed'}`, retry: true };
  }
  if (addresses.length === 0) return { ok: false, reason: 'receiver host resolves to no address', retry: true };
  if (addresses.some((a) => isNonPublicAddress(a.address))) {
    return { ok: false, reason: 'receiver host resolves to a private, loopback or link-local address (set allow_private to allow)', retry: false };
  }
  return { ok: true };
}
