// Online status of a tree node: the broker's devices/status word for the
// top-level gateway when the broker sends it (the dev broker and ThingsPanel
// do), else "last seen": a node heard from within STALE_MS is online.
import { gatewayStatus, nodeId, type NodeInfo, type Status } from '../protocol';

export { STALE_MS, type Status } from '../protocol';

export function statusOf(info: NodeInfo, infos: Map<string, NodeInfo>, now: number): Status {
  const top = info.kind === 'gateway' ? info : infos.get(nodeId({ gateway: info.gateway, kind: 'gateway', path: [] }));
  if (top?.status === false) return 'offline';
  return gatewayStatus(info.kind === 'gateway' ? info.status : null, info.lastSeen, now);
}

export function statusLabel(s: Status): string {
  return { online: 'online', offline: 'offline', stale: 'not heard from lately', unknown: 'no data yet' }[s];
}
