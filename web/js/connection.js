// The session WebSocket: hello/resume, automatic reconnect with exponential backoff and jitter, and the
// connection state the banner shows ('connecting' → 'live' → 'reconnecting' → 'live' …, or 'closed').

const FATAL = new Map([
  [4400, 'The server refused this client (protocol version or an invalid hello).'],
  [4404, 'This sketch does not exist or has expired.'],
  [4409, 'This session is full.'],
  [4410, 'This session expired.'],
  [4500, 'This sketch is damaged and read-only until the server operator recovers it.'],
]);

export class SessionSocket {
  /**
   * @param {string} url       ws(s)://host/ws/<id>
   * @param {() => object} hello  builds the hello message (called on every (re)connect, so lastSeq is fresh)
   * @param {object} handlers  { onState(state, detail), onText(message), onBinary(buffer),
   *                            onRefused(code) → true to reconnect at once (e.g. after taking a new identity) }
   */
  constructor(url, hello, handlers) {
    this.url = url;
    this.hello = hello;
    this.handlers = handlers;
    this.state = 'connecting';
    this.attempt = 0;
    this.ws = null;
    this.timer = null;
    this.open();
  }

  open() {
    const ws = new WebSocket(this.url);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify(this.hello()));
    ws.onmessage = (event) => {
      if (typeof event.data !== 'string') { this.handlers.onBinary(event.data); return; }
      let message;
      try { message = JSON.parse(event.data); } catch { return; }
      if (message.type === 'welcome') { this.attempt = 0; this.setState('live'); }
      this.handlers.onText(message);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.handlers.onRefused && this.handlers.onRefused(event.code)) { this.timer = setTimeout(() => this.open(), 0); return; }
      if (FATAL.has(event.code)) { this.setState('closed', FATAL.get(event.code)); return; }
      if (this.state === 'closed') return;
      this.setState('reconnecting', event.reason || '');
      const delay = Math.min(10000, 500 * 2 ** this.attempt) * (0.75 + Math.random() * 0.5);
      this.attempt += 1;
      this.timer = setTimeout(() => this.open(), delay);
    };
  }

  setState(state, detail = '') {
    this.state = state;
    this.handlers.onState(state, detail);
  }

  /** True when messages can be sent and will be answered. */
  get live() { return this.state === 'live' && this.ws && this.ws.readyState === WebSocket.OPEN; }

  /** Sends a JSON message; dropped (returns false) while not live. */
  send(message) {
    if (!this.live) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  /** Drops the connection as if the network failed (tests, "reconnect now"). */
  drop() { if (this.ws) this.ws.close(); }
}
