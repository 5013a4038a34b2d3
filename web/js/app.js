// The SketchFace studio page: the shared replica kept in step with the session (welcome, operations in seq order,
// paged snapshots, resume after a reconnect) and wired to the panels that show and edit it. `startStudio` is the
// page's one entry (web/js/main.js calls it); each panel is its own module and owns its elements in sketch.html.
import { SketchDocument, sliderValue } from './document.js';
import { SessionSocket } from './connection.js';
import { checksum } from './raster.js';
import { attachGuidance } from './guidance.js';
import { Outbox } from './outbox.js';
import { connectionBanner } from './banner.js';
import { sketchpad } from './sketchpad.js';
import { presencePanel } from './presence.js';
import { toolPanel } from './tools.js';
import { toaster } from './toast.js';
import { shadowLayer } from './shadow-layer.js';
import { facePanel } from './face-panel.js';
import { modePanel } from './mode.js';
import { sliderPanel } from './sliders.js';
import { appearancePanel } from './appearance.js';
import { displayName, randomId } from './identity.js';

const CURSOR_EVERY_MS = 50;

/**
 * Starts the studio for the session named by the page's path.
 * @param {object} options  { testHooks: expose `window.sketchface` and `window.sketchfaceGuidance` (browser tests) }
 */
export function startStudio({ testHooks = false } = {}) {
  const $ = (id) => document.getElementById(id);
  const sessionId = location.pathname.split('/').filter(Boolean)[1];

  // This tab's identity in the session: its client id and the secret token the server issued at the first welcome
  // (needed to rejoin as that id: docs/PROTOCOL.md, "hello").
  let clientId = sessionStorage.getItem('sketchface.client') || randomId();
  sessionStorage.setItem('sketchface.client', clientId);
  let myName = displayName(localStorage.getItem('sketchface.name') || '') || `Guest ${Math.floor(100 + Math.random() * 900)}`;
  localStorage.setItem('sketchface.name', myName);

  /** Starts over as a new participant (a fresh id, no token): own undo history is left behind, drawing is not. */
  function newIdentity() {
    clientId = randomId();
    sessionStorage.setItem('sketchface.client', clientId);
    sessionStorage.removeItem('sketchface.token');
    pad.renumber(outbox.renumber());
  }

  const doc = new SketchDocument();
  const session = { me: null, acked: 0, snapshotPages: 0, joined: false, renumbering: false };

  // ---- socket ------------------------------------------------------------------------------------------------
  const wsURL = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/${sessionId}`;
  const socket = new SessionSocket(wsURL, () => ({
    type: 'hello', version: 1, client: clientId, name: myName, lastSeq: doc.head || undefined,
    token: sessionStorage.getItem('sketchface.token') || undefined,
  }), {
    // Another tab owns this id (4403): carry on under a new one rather than stop.
    onRefused: (code) => { if (code === 4403) { newIdentity(); return true; } return false; },
    onState: () => showConnection(),
    onText: handleMessage,
    onBinary: (buffer) => guidance.onBinary(buffer),
  });
  const outbox = new Outbox((message) => socket.send(message));
  const showConnection = connectionBanner($('connection'), socket);
  const toast = toaster($('toast'));

  // ---- panels ------------------------------------------------------------------------------------------------
  let lastCursor = 0;
  const pad = sketchpad({
    view: $('sketch'), layers: [$('shadow')], marker: $('keyboard-pen'), doc, outbox,
    canDraw: () => session.joined && socket.state !== 'closed',
    onPointerMove: (point) => {
      const now = performance.now();
      if (now - lastCursor < CURSOR_EVERY_MS) return;
      lastCursor = now;
      socket.send({ type: 'cursor', x: point.x, y: point.y });
    },
  });
  const presence = presencePanel({ list: $('participants'), layer: $('cursors'), self: () => clientId });
  toolPanel({
    $, pad, submit: (message) => outbox.submit(message), toast, sessionId, name: myName,
    onName: (name) => {
      myName = displayName(name) || myName;
      localStorage.setItem('sketchface.name', myName);
      socket.drop();   // rejoin with the new name (resumes from the last seq, nothing is lost)
    },
  });
  const sliders = sliderPanel({
    box: $('sliders'), value: (name) => sliderValue(doc.sliders, name),
    submit: (values) => outbox.submit({ type: 'sliders', values }),
  });
  const mode = modePanel({
    select: $('mode'), convert: $('convert'),
    pick: (value) => outbox.submit({ type: 'mode', mode: value }),
    convertNow: () => socket.send({ type: 'convert' }),
  });
  const guidance = attachGuidance({
    shadows: shadowLayer({ canvas: $('shadow'), toggle: $('guidance-shadow'), opacity: $('guidance-opacity') }),
    face: facePanel({ panel: $('face-panel'), image: $('face'), busy: $('face-busy'), notice: $('guidance-notice'),
                      download: $('guidance-download'), sessionId }),
    sliders,
    appearance: appearancePanel({
      box: $('appearance'), button: $('candidates'), tiles: $('candidate-tiles'),
      value: () => doc.appearance,
      pick: (index) => outbox.submit({ type: 'appearance', index }),
      ask: (indices) => {
        const ref = outbox.reserveRef();
        return socket.send({ type: 'candidates', indices, ref }) ? ref : null;
      },
    }),
    mode,
  });

  // ---- the replica ---------------------------------------------------------------------------------------------
  function handleMessage(m) {
    switch (m.type) {
      case 'welcome':
        session.renumbering = false;
        if (m.reset) doc.reset(m.undoReach || doc.undoReach);
        early.clear();
        session.me = m.you;
        if (m.token) sessionStorage.setItem('sketchface.token', m.token);
        session.joined = true;
        for (const op of m.ops) applyOp(op);
        pad.resume(m.lastRef || 0);
        if (m.more) socket.send({ type: 'snapshot', after: doc.head });
        presence.show(m.participants);
        sliders.sync(); mode.show(doc.mode);
        pad.invalidate();
        guidance.onWelcome(m);
        break;
      case 'op': applyOp(m); break;
      case 'snapshot':   // a further page of a long history, asked for one at a time
        session.snapshotPages += 1;
        for (const op of m.ops) applyOp(op);
        if (m.more) socket.send({ type: 'snapshot', after: doc.head });
        pad.invalidate();
        break;
      case 'ack': session.acked = Math.max(session.acked, m.seq); break;
      case 'presence': presence.show(m.participants); break;
      case 'cursor': presence.showCursor(m); break;
      case 'error':
        if (m.field === 'ref') {
          // Our numbering is out of the server's range (it never should be): rejoin under a new identity with refs
          // renumbered from 1 and resend everything unconfirmed (this message included), so drawing keeps flowing
          // instead of staying a local preview forever. Later ref errors from the old socket change nothing.
          // (A candidates request is not resent: the next welcome frees its button.)
          if (!session.renumbering) { session.renumbering = true; newIdentity(); socket.drop(); }
          break;
        }
        if (m.ref !== undefined) { outbox.refused(m.ref); pad.settle(m.ref); guidance.onRefused(m.ref); }
        if (m.code !== 'nothing_to_undo' && m.code !== 'nothing_to_redo') toast(m.message);
        break;
      case 'pong': break;
      default: guidance.onMessage(m);
    }
  }

  const early = new Map();   // ops that arrived ahead of a gap, applied once it fills
  function applyOp(op) {
    if (op.seq <= doc.head) return;              // already applied (resume overlap)
    if (op.seq > doc.head + 1) { early.set(op.seq, op); return; }
    applyInOrder(op);
    while (early.has(doc.head + 1)) {
      const next = early.get(doc.head + 1);
      early.delete(next.seq);
      applyInOrder(next);
    }
  }

  function applyInOrder(op) {
    early.delete(op.seq);
    doc.apply(op);
    if (op.author === clientId && op.ref !== undefined) { outbox.applied(op.ref); pad.settle(op.ref); }
    if (op.kind === 'sliders') sliders.sync();
    if (op.kind === 'mode') mode.show(doc.mode);
    if (op.kind !== 'stroke.begin' && op.kind !== 'stroke.end') pad.invalidate();
    guidance.onOperation(op);
  }

  if (testHooks) {
    window.sketchface = {
      doc, socket, outbox,
      state: { get pending() { return pad.pending; }, get acked() { return session.acked; },
               get snapshotPages() { return session.snapshotPages; },
               get participants() { return presence.participants; } },
      checksum: () => checksum(doc.canvas), pixels: () => Array.from(doc.canvas),
    };
    window.sketchfaceGuidance = guidance.testHooks;
  }
}
