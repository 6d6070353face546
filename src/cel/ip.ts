/**
 * IP addresses and CIDR ranges for CEL (`cidr("10.0.0.0/8").containsIP(source.address)`, the
 * Kubernetes CEL library's functions that agentgateway's network authorization examples use).
 * Addresses are numbers of 32 or 128 bits; an IPv4-mapped IPv6 address (`::ffff:10.1.2.3`, what
 * a dual-stack listener reports for IPv4 clients) counts as its IPv4 address.
 */

export interface Ip {
  v6: boolean;
  value: bigint;
}

export class Cidr {
  constructor(
    readonly ip: Ip,
    readonly prefix: number,
  ) {}

  containsIP(address: Ip): boolean {
    if (address.v6 !== this.ip.v6) return false;
    const width = this.ip.v6 ? 128 : 32;
    const shift = BigInt(width - this.prefix);
    return address.value >> shift === this.ip.value >> shift;
  }

  containsCIDR(other: Cidr): boolean {
    return other.prefix >= this.prefix && this.containsIP(other.ip);
  }
}

/** Parses an IPv4 or IPv6 address (IPv4-mapped IPv6 as IPv4); throws on anything else. */
export function parseIp(text: string): Ip {
  const s = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const v4 = parseV4(s);
  if (v4 !== undefined) return { v6: false, value: v4 };
  const v6 = parseV6(s);
  if (v6 === undefined) throw new Error(`invalid IP address ${JSON.stringify(text)}`);
  // ::ffff:a.b.c.d
  if (v6 >> 32n === 0xffffn) return { v6: false, value: v6 & 0xffffffffn };
  return { v6: true, value: v6 };
}

export function parseCidr(text: string): Cidr {
  const slash = text.indexOf("/");
  if (slash === -1) throw new Error(`invalid CIDR ${JSON.stringify(text)}: expected address/prefix`);
  const ip = parseIp(text.slice(0, slash));
  const prefix = Number(text.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > (ip.v6 ? 128 : 32)) throw new Error(`invalid CIDR prefix in ${JSON.stringify(text)}`);
  return new Cidr(ip, prefix);
}

function parseV4(s: string): bigint | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(p);
  }
  return v;
}

function parseV6(s: string): bigint | undefined {
  const lastColon = s.lastIndexOf(":");
  if (!/^[0-9a-fA-F:.]+$/.test(s) || lastColon === -1) return undefined;
  // a dotted IPv4 at the end stands for the last two groups
  let text = s;
  const tailGroups: number[] = [];
  const tail = s.slice(lastColon + 1);
  if (tail.includes(".")) {
    const v4 = parseV4(tail);
    if (v4 === undefined) return undefined;
    tailGroups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
    text = s.slice(0, lastColon + 1);
    if (!text.endsWith("::")) text = text.slice(0, -1);
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string) => (part === "" ? [] : part.split(":"));
  const head = groupsOf(halves[0]!);
  const rest = halves.length === 2 ? groupsOf(halves[1]!) : undefined;
  const count = head.length + (rest?.length ?? 0) + tailGroups.length;
  if (rest === undefined ? count !== 8 : count > 7) return undefined;
  const hex = [...head, ...(rest === undefined ? [] : [...Array<string>(8 - count).fill("0"), ...rest])];
  const groups = [...hex.map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)), ...tailGroups];
  if (groups.some((g) => Number.isNaN(g))) return undefined;
  return groups.reduce((v, g) => (v << 16n) | BigInt(g), 0n);
}
