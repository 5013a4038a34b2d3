// Live guidance on the studio page: routes the Guidance messages (docs/PROTOCOL.md, "Guidance messages") to
// the panels that show them — the shadow layer, the face, the sliders, the appearance palette and candidates,
// and the Convert hint of on-demand mode. Model facts (components, palette) come only from the status message.
//
// attachGuidance({ shadows, face, sliders, appearance, mode }) takes the panels and returns
// { onWelcome(welcome), onOperation(op), onBinary(arrayBuffer), onMessage(message) → handled?, onRefused(ref),
//   testHooks }.

const SHADOW = 0x01;
const FRAME = 0x02;
const CANDIDATE = 0x03;
const HEADER = 16;

export function attachGuidance({ shadows, face, sliders, appearance, mode }) {
  const state = {
    enabled: null,             // null until the server said; false with `reason` when no model is loaded
    reason: '',
    mode: 'live',
    busy: false,
    headSeq: 0,                // newest op applied on this page
  };

  function showBusy() { face.showBusy(state.busy && state.enabled !== false); }

  // On demand: hint that Convert would show something newer than the face on screen.
  function showStale() {
    const frame = face.frame;
    mode.showStale(state.mode === 'on_demand' && (!frame || state.headSeq > frame.seq));
  }

  /** The fields of a binary message's 16-byte header, by type, and its PNG. */
  function decode(buffer) {
    const bytes = new Uint8Array(buffer);
    if (bytes.length < HEADER) return null;
    const view = new DataView(buffer);
    const seq = Number(view.getBigUint64(8));
    const png = bytes.subarray(HEADER);
    switch (bytes[0]) {
      case SHADOW: return { type: SHADOW, component: bytes[1], box: [view.getUint16(2), view.getUint16(4), view.getUint16(6)], seq, png };
      case FRAME: return { type: FRAME, isDefault: (bytes[1] & 1) === 1, number: view.getUint32(4), seq, png };
      case CANDIDATE: return { type: CANDIDATE, index: bytes[2], count: bytes[3], ref: view.getUint32(4), seq, png };
      default: return null;
    }
  }

  return {
    onWelcome(welcome) {
      // After a (re)join the server sends status, every shadow and the current face again; its frame numbers
      // restart after a server restart, so forget ours.
      face.forgetNumber();
      shadows.clear();
      state.mode = welcome.mode || state.mode;
      state.headSeq = welcome.head || 0;
      appearance.abandon();   // asked on the old connection: that answer is gone
      appearance.show();
      showStale();
    },
    onOperation(op) {
      state.headSeq = Math.max(state.headSeq, op.seq);
      if (op.kind === 'mode') state.mode = op.mode;
      if (op.kind === 'appearance') appearance.show();
      appearance.edited(op);
      showStale();
    },
    onBinary(buffer) {
      const message = decode(buffer);
      if (message?.type === SHADOW) shadows.receive(message).catch((e) => console.warn('guidance: bad shadow', e));
      else if (message?.type === FRAME && face.show(message)) showStale();
      else if (message?.type === CANDIDATE) appearance.receive(message);
    },
    onRefused(ref) { appearance.refused(ref); },
    onMessage(message) {
      switch (message.type) {
        case 'guidance':
          state.enabled = message.enabled;
          state.reason = message.reason || '';
          state.mode = message.mode || state.mode;
          if (Array.isArray(message.components)) sliders.build(message.components);
          if (message.enabled) appearance.build(message.appearance);
          face.showStatus(state.enabled, state.reason);
          showBusy();
          showStale();
          return true;
        case 'guidance.busy':
          state.busy = !!message.busy;
          showBusy();
          return true;
        default:
          return false;
      }
    },
    /** What the browser tests read (exposed only on pages loaded for tests). */
    testHooks: {
      get enabled() { return state.enabled; },
      get busy() { return state.busy; },
      get frames() { return face.frames; },
      get frame() { const f = face.frame; return f && { seq: f.seq, number: f.number, isDefault: f.isDefault }; },
      get shadows() { return shadows.seqs(); },
      get palette() { return appearance.palette; },
      get candidates() { return appearance.candidates; },
      candidateBytes: (index) => appearance.candidateBytes(index),
      faceBytes: async () => face.frame ? Array.from(new Uint8Array(await face.frame.blob.arrayBuffer())) : null,
    },
  };
}
