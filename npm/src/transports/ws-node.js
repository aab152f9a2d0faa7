// MQTT over WebSocket in Node, with the `ws` package (Node 20 has no global
// WebSocket). One binary frame per write; frames are handed on as they come
// (the session's decoder accepts any chunking).
import WebSocket from 'ws';

const TEXT_FRAME = 'received a text frame; MQTT over WebSocket uses binary frames only [MQTT-6.0.0-1]: closing the connection';

/**
 * @param {URL} url
 * @param {{wsProtocols: string[], tls?: object}} options
 * @param {{open(): void, data(bytes: Uint8Array): void, error(err: Error): void, closed(): void}} sink
 */
export function openWebSocket(url, options, sink) {
  const socket = new WebSocket(url, options.wsProtocols, {
    ...options.tls,
    // MQTT payloads are often already compact; compression costs CPU per message.
    perMessageDeflate: false,
  });
  socket.binaryType = 'nodebuffer'; // a Buffer is a Uint8Array: no conversion
  socket.on('open', () => sink.open());
  socket.on('message', (data, isBinary) => {
    if (!isBinary) {
      // [MQTT-6.0.0-1]: a frame that is not binary closes the connection.
      sink.error(new Error(TEXT_FRAME));
      socket.close(1003, 'binary frames only');
      return;
    }
    sink.data(data);
  });
  socket.on('error', (err) => sink.error(err));
  socket.on('close', () => sink.closed());
  return {
    send(bytes) {
      socket.send(bytes);
    },
    /** Closing handshake; 'close' follows. */
    end() {
      socket.close();
    },
    destroy() {
      socket.terminate();
    },
  };
}
