/**
 * graphql-ws answers a client that sends a server-to-client message type (connection_ack, next, error) by closing
 * with 4500 Internal Server Error, as if the server had failed. It is the client's protocol error: close with 4400
 * Bad Request first. Must be installed before useServer so that this listener sees each message first.
 */
import type { WebSocket, WebSocketServer } from 'ws';

const SERVER_TO_CLIENT = new Set(['connection_ack', 'next', 'error']);

export function refuseServerMessagesFromClients(wsServer: WebSocketServer): void {
  wsServer.on('connection', (socket: WebSocket) => {
    socket.on('message', (data) => {
      let type: unknown;
      try {
        type = (JSON.parse(String(data)) as { type?: unknown } | null)?.type;
      } catch {
        return; // graphql-ws closes with 4400 for invalid JSON itself
      }
      if (typeof type === 'string' && SERVER_TO_CLIENT.has(type)) socket.close(4400, `a client may not send "${type}" messages`);
    });
  });
}
