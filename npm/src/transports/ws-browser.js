// MQTT over the browser's own WebSocket: subprotocol 'mqtt' and ArrayBuffer
// frames. No Node globals here.

/**
 * @param {URL} url
 * @param {{wsProtocols: string[]}} options
 * @param {{open(): void, data(bytes: Uint8Array): void, error(err: Error): void, closed(): void}} sink
 */
export function openWebSocket(url, options, sink) {
  const socket = new WebSocket(url.href, options.wsProtocols);
  socket.binaryType = 'arraybuffer';
  socket.onopen = () => sink.open();
  socket.onmessage = (event) => {
    if (typeof event.data === 'string') {
      // [MQTT-6.0.0-1]: a frame that is not binary closes the connection.
      sink.error(new Error('received a text frame; MQTT over WebSocket uses binary frames only [MQTT-6.0.0-1]: closing the connection'));
      socket.close();
      return;
    }
    sink.data(new Uint8Array(event.data));
  };
  // The browser hides why a WebSocket failed; the close code is all there is.
  socket.onerror = () => sink.error(new Error(`WebSocket error on ${url.href}`));
  socket.onclose = (event) => {
    if (event.code !== 1000 && event.code !== 1005) {
      sink.error(new Error(`WebSocket closed with code ${event.code}${event.reason ? `: ${event.reason}` : ''}`));
    }
    sink.closed();
  };
  return {
    send(bytes) {
      socket.send(bytes);
    },
    end() {
      socket.close();
    },
    // Browsers have no abrupt close; close() is the best there is.
    destroy() {
      socket.close();
    },
  };
}
