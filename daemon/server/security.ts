import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { SightlineError } from '../../protocol';

/**
 * The daemon's front door. Loopback binding keeps other machines out; these checks keep out
 * other local actors: web pages (foreign `Origin`), DNS-rebinding pages (foreign `Host`), and
 * processes that cannot read the user-only token file.
 */
export interface AccessPolicy {
  token: string;
  port: () => number;
  /** Origins allowed besides none (browsers always send Origin; Node clients send none). */
  allowedOrigins: string[];
}

export function checkAccess(req: IncomingMessage, policy: AccessPolicy): void {
  const host = req.headers.host;
  const port = policy.port();
  const allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  if (!host || !allowedHosts.includes(host.toLowerCase())) {
    throw new SightlineError('forbidden_host', `Host header ${JSON.stringify(host ?? '')} is not this daemon (expected 127.0.0.1:${port}); refusing (DNS-rebinding protection)`);
  }
  // An absolute-form target (`GET http://evil.example/v1/health`) names the host it is meant for,
  // which takes precedence over Host (RFC 9112 §3.2.2): it must be this daemon too.
  const target = req.url ?? '/';
  if (!target.startsWith('/')) {
    let authority = '';
    try {
      authority = new URL(target).host.toLowerCase();
    } catch {
      /* not a URL: refused below */
    }
    if (!allowedHosts.includes(authority)) throw new SightlineError('forbidden_host', `request target ${JSON.stringify(target.slice(0, 100))} is not for this daemon (expected a path, or http://127.0.0.1:${port}/…); refusing`);
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !policy.allowedOrigins.includes(origin)) {
    throw new SightlineError('forbidden_origin', `requests from origin ${JSON.stringify(origin)} are refused; start the daemon with --allow-origin to permit one`);
  }
  const token = bearerToken(req);
  if (!token || !sameSecret(token, policy.token)) {
    throw new SightlineError('unauthorized', 'missing or wrong token: send `Authorization: Bearer <token>` with the token from $SIGHTLINE_HOME/daemon.json');
  }
}

/** From `Authorization: Bearer …`, or for WebSockets the subprotocol `bearer.<token>`. */
function bearerToken(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const protocols = req.headers['sec-websocket-protocol'];
  if (typeof protocols === 'string') {
    for (const p of protocols.split(',')) {
      const t = p.trim();
      if (t.startsWith('bearer.')) return t.slice(7);
    }
  }
  return null;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
