// Online status of a tree node: the broker's devices/status word for the
// top-level gateway when the broker sends it (the dev broker and ThingsPanel
// do), else "last seen": a node heard from within STALE_MS is online.
import { nodeId, type NodeInfo } from '../protocol';

export const STALE_MS = 30_000;

export type Status = 'online' | 'offline' | 'stale' | 'unknown';

export function statusOf(info: NodeInfo, infos: Map<string, NodeInfo>, now: number): Status {
  const top = info.kind === 'gateway' ? info : infos.get(nodeId({ gateway: info.gateway, kind: 'gateway', path: [] }));
  if (top?.status === false) return 'offline';
  if (info.kind === 'gateway' && info.status === true) return 'online';
  if (info.lastSeen === 0) return 'unknown';
  return now - info.lastSeen < STALE_MS ? 'online' : 'stale';
}

export function statusLabel(s: Status): string {
  return { online: 'online', offline: 'offline', stale: 'not heard from lately', unknown: 'no data yet' }[s];
}
