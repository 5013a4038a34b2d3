// The session WebSocket: hello/resume, automatic reconnect with capped backoff and jitter, and the connection
// state the banner shows ('connecting' → 'live' → 'reconnecting' → 'live' …, or 'closed').
// While the page is visible a retry waits at most RETRY_CAP_MS (a restarted server is back within a few seconds,
// so a growing delay only keeps people waiting); a hidden page backs off further. The browser coming back
// `online` or the page becoming visible retries at once.

const FATAL = new Map([
  [4400, 'The server refused this client (protocol version or an invalid hello).'],
  [4404, 'This sketch does not exist or has expired.'],
  [4409, 'This session is full.'],
  [4410, 'This session expired.'],
  [4500, 'This sketch is damaged and read-only until the server operator recovers it.'],
]);

// The server handed the session to another node (its lease was lost, or it is draining): not an outage, so the
// retry starts over at the first, shortest delay and lands on the new owner (docs/PROTOCOL.md, 4503).
const MOVED = 4503;

const RETRY_FIRST_MS = 250;
const RETRY_CAP_MS = 2000;
const RETRY_CAP_HIDDEN_MS = 10000;

/** Delay before retry number `attempt` (0, 1, …): doubling from RETRY_FIRST_MS up to the cap, jittered to 50–100 %. */
export function retryDelay(attempt, visible, random = Math.random) {
  const cap = visible ? RETRY_CAP_MS : RETRY_CAP_HIDDEN_MS;
  return Math.min(cap, RETRY_FIRST_MS * 2 ** attempt) * (0.5 + random() * 0.5);
}

export class SessionSocket {
  /**
   * @param {string} url       ws(s)://host/ws/<id>
   * @param {() => object} hello  builds the hello message (called on every (re)connect, so lastSeq is fresh)
   * @param {object} handlers  { onState(state, detail), onText(message), onBinary(buffer),
   *                           onRefused(code) → true to reconnect at once (e.g. after taking a new identity) };
   *                           while reconnecting, `retryAt` is the Date.now() of the next try (null while a try is
   *                           under way)
   */
  constructor(url, hello, handlers) {
    this.url = url;
    this.hello = hello;
    this.handlers = handlers;
    this.state = 'connecting';
    this.attempt = 0;
    this.ws = null;
    this.timer = null;
    this.retryAt = null;
    this.detail = '';
    this.retries = [];   // { delay, reason } of the latest retries: the tests read the backoff from here
    const now = (reason) => { if (this.state === 'reconnecting' && this.timer) this.retry(reason); };
    window.addEventListener('online', () => now('online'));
    document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') now('visible'); });
    this.open();
  }

  /** Tries again now (cancelling the scheduled try). */
  retry(reason) {
    clearTimeout(this.timer);
    this.timer = null;
    this.retryAt = null;
    this.log({ delay: 0, reason });
    this.setState('reconnecting', this.detail);
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
      if (this.handlers.onRefused && this.handlers.onRefused(event.code)) {
        this.log({ delay: 0, reason: 'refused' });
        this.timer = setTimeout(() => { this.timer = null; this.open(); }, 0);
        return;
      }
      if (FATAL.has(event.code)) { this.setState('closed', FATAL.get(event.code)); return; }
      if (this.state === 'closed') return;
      if (event.code === MOVED) this.attempt = 0;
      const delay = retryDelay(this.attempt, document.visibilityState !== 'hidden');
      const detail = event.reason || '';
      this.attempt += 1;
      this.log({ delay, reason: 'timer' });
      this.retryAt = Date.now() + delay;
      this.timer = setTimeout(() => { this.timer = null; this.retryAt = null; this.setState('reconnecting', detail); this.open(); }, delay);
      this.setState('reconnecting', detail);
    };
  }

  log(retry) {
    this.retries.push(retry);
    if (this.retries.length > 50) this.retries.shift();
  }

  setState(state, detail = '') {
    this.state = state;
    this.detail = detail;
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
