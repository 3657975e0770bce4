/**
 * A Jupyter kernel driven as JupyterLab drives it: its channels WebSocket (wss, trusting only the
 * given CA), an execute_request on the shell channel, the execute_result read from iopub.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { identityCheck } from './proxy.js';

/** Run `code` in kernel `kernelId` behind `baseUrl` (https://host:port); resolves to its text/plain result. */
export async function executeOverWss(opts: { baseUrl: string; kernelId: string; ca: string; headers: Record<string, string>; code: string; servername?: string; identityHost?: string; timeoutMs?: number }): Promise<string> {
  const wsUrl = `${opts.baseUrl.replace(/^https:/, 'wss:').replace(/\/$/, '')}/api/kernels/${opts.kernelId}/channels?session_id=${randomUUID()}`;
  const ws = new WebSocket(wsUrl, {
    ca: opts.ca, headers: opts.headers,
    ...(opts.servername ? { servername: opts.servername } : {}),
    ...(opts.identityHost ? { checkServerIdentity: identityCheck(opts.identityHost) } : {}),
  });
  try {
    await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
    const msgId = randomUUID();
    const result = new Promise<string>((resolve, reject) => {
      const ms = opts.timeoutMs ?? 45_000;
      const timer = setTimeout(() => reject(new Error(`no execute_result within ${ms / 1000} s`)), ms);
      ws.on('message', (data) => {
        const msg = JSON.parse(data.toString()) as { channel: string; header: { msg_type: string }; parent_header: { msg_id?: string }; content: { data?: Record<string, string> } };
        if (msg.channel === 'iopub' && msg.header.msg_type === 'execute_result' && msg.parent_header.msg_id === msgId) {
          clearTimeout(timer);
          resolve(msg.content.data?.['text/plain'] ?? '');
        }
      });
    });
    ws.send(JSON.stringify({
      header: { msg_id: msgId, username: 'e2e', session: randomUUID(), msg_type: 'execute_request', version: '5.3', date: new Date().toISOString() },
      parent_header: {}, metadata: {}, channel: 'shell', buffers: [],
      content: { code: opts.code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: true },
    }));
    return await result;
  } finally {
    ws.close();
  }
}
