// The SketchFace session page: drawing with Pointer Events, the shared replica, presence, cursors, and the
// connection banner. The canvas shown is the replica built from server operations (plus this client's own
// not-yet-echoed points, drawn with the same rasteriser so nothing jumps when the server's copy arrives).
import { SketchDocument, sliderValue } from './document.js';
import { SessionSocket } from './connection.js';
import { newCanvas, paint, quantizePoint, quantizeWidth, SIZE, checksum } from './raster.js';
import { attachGuidance } from './guidance.js';
import { Outbox } from './outbox.js';

const $ = (id) => document.getElementById(id);
const sessionId = location.pathname.split('/').filter(Boolean)[1];

function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
// This tab's identity in the session: its client id and the secret token the server issued at the first welcome
// (needed to rejoin as that id: docs/PROTOCOL.md, "hello").
let clientId = sessionStorage.getItem('sketchface.client') || randomId();
sessionStorage.setItem('sketchface.client', clientId);

/** Starts over as a new participant (a fresh id, no token): own undo history is left behind, drawing is not. */
function newIdentity() {
  clientId = randomId();
  sessionStorage.setItem('sketchface.client', clientId);
  sessionStorage.removeItem('sketchface.token');
  const renumbered = outbox.renumber();
  for (const batch of state.pending) batch.ref = renumbered.get(batch.ref) ?? batch.ref;
}
/** A name the server accepts (docs/PROTOCOL.md, hello): no controls, bidi overrides, BOM or separators; at most
 *  40 scalars and 160 UTF-8 bytes. */
function displayName(text) {
  const forbidden = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\u2028\u2029]/gu;
  let scalars = Array.from(String(text).replace(forbidden, '').trim()).slice(0, 40);
  while (new TextEncoder().encode(scalars.join('')).length > 160) scalars = scalars.slice(0, -1);
  return scalars.join('').trim();
}
let myName = displayName(localStorage.getItem('sketchface.name') || '') || `Guest ${Math.floor(100 + Math.random() * 900)}`;
localStorage.setItem('sketchface.name', myName);

const doc = new SketchDocument();
const view = $('sketch');
const viewContext = view.getContext('2d');
const image = new ImageData(SIZE, SIZE);
const state = {
  tool: 'pen', width: Number($('width').value), me: null, participants: [], dirty: true,
  pending: [], active: new Map(), acked: 0, snapshotPages: 0, joined: false,
};

// ---- rendering -----------------------------------------------------------------------------------------
function displayedPixels() {
  if (state.pending.length === 0) return doc.canvas;
  const preview = doc.canvas.slice();
  for (const batch of state.pending) paint(preview, batch.points, batch.previous, batch.width, batch.tool);
  return preview;
}

function draw() {
  if (state.dirty) {
    state.dirty = false;
    const px = displayedPixels();
    const data = image.data;
    for (let k = 0, o = 0; k < px.length; k++, o += 4) {
      data[o] = 0; data[o + 1] = 0; data[o + 2] = 0; data[o + 3] = 255 - px[k];
    }
    scratchContext.putImageData(image, 0, 0);
    viewContext.clearRect(0, 0, view.width, view.height);
    viewContext.imageSmoothingEnabled = true;
    viewContext.imageSmoothingQuality = 'high';
    viewContext.drawImage(scratch, 0, 0, view.width, view.height);
  }
  flushPoints();
  requestAnimationFrame(draw);
}
const scratch = document.createElement('canvas');
scratch.width = SIZE; scratch.height = SIZE;
const scratchContext = scratch.getContext('2d');

function resize() {
  const rect = view.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  for (const c of [view, $('shadow')]) {
    c.width = Math.round(rect.width * dpr);
    c.height = Math.round(rect.height * dpr);
  }
  state.dirty = true;
}
new ResizeObserver(resize).observe(view);

// ---- socket ----------------------------------------------------------------------------------------------
const wsURL = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/${sessionId}`;
const socket = new SessionSocket(wsURL, () => ({
  type: 'hello', version: 1, client: clientId, name: myName, lastSeq: doc.head || undefined,
  token: sessionStorage.getItem('sketchface.token') || undefined,
}), {
  // Another tab owns this id (4403): carry on under a new one rather than stop.
  onRefused: (code) => { if (code === 4403) { newIdentity(); return true; } return false; },
  onState: showConnection,
  onText: handleMessage,
  onBinary: (buffer) => guidance.onBinary(buffer),
});

const outbox = new Outbox((message) => socket.send(message));

const guidance = attachGuidance({
  socket, sessionId,
  shadowCanvas: $('shadow'), facePanel: $('face-panel'), faceImage: $('face'),
  sliderBox: $('sliders'),
  sliderValue: (name) => sliderValue(doc.sliders, name),
  appearanceBox: $('appearance'),
  appearanceValue: () => doc.appearance,
  onAppearance: (index) => outbox.submit({ type: 'appearance', index }),
  onCandidates: (indices) => {
    const ref = outbox.reserveRef();
    return socket.send({ type: 'candidates', indices, ref }) ? ref : null;
  },
  modeSelect: $('mode'), convertButton: $('convert'),
});

function handleMessage(m) {
  switch (m.type) {
    case 'welcome':
      state.renumbering = false;
      if (m.reset) doc.reset(m.undoReach || doc.undoReach);
      early.clear();
      state.me = m.you;
      if (m.token) sessionStorage.setItem('sketchface.token', m.token);
      state.joined = true;
      for (const op of m.ops) applyOp(op);
      resumeDrawing(m.lastRef || 0);
      if (m.more) socket.send({ type: 'snapshot', after: doc.head });
      setParticipants(m.participants);
      syncSliders(); syncMode();
      state.dirty = true;
      guidance.onWelcome(m);
      break;
    case 'op': applyOp(m); break;
    case 'snapshot':   // a further page of a long history, asked for one at a time
      state.snapshotPages += 1;
      for (const op of m.ops) applyOp(op);
      if (m.more) socket.send({ type: 'snapshot', after: doc.head });
      state.dirty = true;
      break;
    case 'ack': state.acked = Math.max(state.acked, m.seq); break;
    case 'presence': setParticipants(m.participants); break;
    case 'cursor': showCursor(m); break;
    case 'error':
      if (m.field === 'ref') {
        // Our numbering is out of the server's range (it never should be): rejoin under a new identity with refs
        // renumbered from 1 and resend everything unconfirmed (this message included), so drawing keeps flowing
        // instead of staying a local preview forever. Later ref errors from the old socket change nothing.
        // (A candidates request is not resent: the next welcome frees its button.)
        if (!state.renumbering) { state.renumbering = true; newIdentity(); socket.drop(); }
        break;
      }
      if (m.ref !== undefined) { outbox.refused(m.ref); dropPending(m.ref); guidance.onRefused(m.ref); }
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
  if (op.author === clientId && op.ref !== undefined) { outbox.applied(op.ref); dropPending(op.ref); }
  if (op.kind === 'sliders') syncSliders();
  if (op.kind === 'mode') syncMode();
  if (op.kind !== 'stroke.begin' && op.kind !== 'stroke.end') state.dirty = true;
  guidance.onOperation(op);
}

// After a (re)join: what the session already holds is confirmed, the rest is resent; strokes still being drawn
// continue under the ids the outbox gives them.
function resumeDrawing(lastRef) {
  const remap = outbox.resume(lastRef, [...state.active.values()].map((s) => s.id));
  for (const stroke of state.active.values()) {
    if (remap.has(stroke.id)) stroke.id = remap.get(stroke.id);
  }
  const held = new Set(outbox.entries.map((e) => e.ref));
  state.pending = state.pending.filter((b) => held.has(b.ref));
  state.dirty = true;
}

function dropPending(ref) {
  const before = state.pending.length;
  state.pending = state.pending.filter((b) => b.ref !== ref);
  if (state.pending.length !== before) state.dirty = true;
}

// ---- drawing -----------------------------------------------------------------------------------------------
function canvasPoint(e) {
  const rect = view.getBoundingClientRect();
  const x = Math.min(SIZE, Math.max(0, ((e.clientX - rect.left) / rect.width) * SIZE));
  const y = Math.min(SIZE, Math.max(0, ((e.clientY - rect.top) / rect.height) * SIZE));
  const p = e.pointerType === 'pen' ? (e.pressure > 0 ? e.pressure : 0.5) : 1;
  return { x: Math.round(x * 16) / 16, y: Math.round(y * 16) / 16, p: Math.round(p * 255) / 255 };
}

view.addEventListener('pointerdown', (e) => {
  if (!state.joined || socket.state === 'closed' || state.active.size >= 4 || (e.pointerType === 'mouse' && e.button !== 0)) return;
  e.preventDefault();
  view.setPointerCapture(e.pointerId);
  const stroke = { id: outbox.strokeId(), tool: state.tool, width: quantizeWidth(state.width), queue: [], last: null };
  state.active.set(e.pointerId, stroke);
  outbox.submit({ type: 'stroke.begin', id: stroke.id, tool: stroke.tool, width: state.width });
  stroke.queue.push(canvasPoint(e));
});

view.addEventListener('pointermove', (e) => {
  sendCursor(e);
  const stroke = state.active.get(e.pointerId);
  if (!stroke) return;
  const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
  for (const ev of (events.length ? events : [e])) stroke.queue.push(canvasPoint(ev));
});

function endStroke(e) {
  const stroke = state.active.get(e.pointerId);
  if (!stroke) return;
  flushStroke(stroke);
  outbox.submit({ type: 'stroke.end', id: stroke.id });
  state.active.delete(e.pointerId);
}
view.addEventListener('pointerup', endStroke);
view.addEventListener('pointercancel', endStroke);

function flushPoints() { for (const stroke of state.active.values()) flushStroke(stroke); }

function flushStroke(stroke) {
  while (stroke.queue.length > 0) {
    const points = stroke.queue.splice(0, 256);
    const join = outbox.takeJoin(stroke.id);
    if (join) points.unshift(join);
    const ref = outbox.submit({ type: 'stroke.points', id: stroke.id, points });
    const quantized = points.map((q) => quantizePoint(q.x, q.y, q.p));
    state.pending.push({ ref, points: quantized, previous: stroke.last, width: stroke.width, tool: stroke.tool });
    stroke.last = quantized[quantized.length - 1];
    state.dirty = true;
  }
}

// ---- cursors & presence --------------------------------------------------------------------------------------
let lastCursor = 0;
function sendCursor(e) {
  const now = performance.now();
  if (now - lastCursor < 50) return;
  lastCursor = now;
  const q = canvasPoint(e);
  socket.send({ type: 'cursor', x: q.x, y: q.y });
}

const cursors = new Map();
function showCursor(m) {
  const who = state.participants.find((p) => p.id === m.id);
  let el = cursors.get(m.id);
  if (!el) {
    el = document.createElement('div');
    el.className = 'cursor';
    el.innerHTML = '<span class="dot"></span><span class="label"></span>';
    $('cursors').appendChild(el);
    cursors.set(m.id, el);
  }
  el.style.setProperty('--color', who ? who.color : '#888');
  el.querySelector('.label').textContent = who ? who.name : '';
  el.style.left = `${(m.x / SIZE) * 100}%`;
  el.style.top = `${(m.y / SIZE) * 100}%`;
  el.classList.add('visible');
  clearTimeout(el.hideTimer);
  el.hideTimer = setTimeout(() => el.classList.remove('visible'), 3000);
}

function setParticipants(list) {
  state.participants = list;
  const ul = $('participants');
  ul.replaceChildren(...list.map((p) => {
    const li = document.createElement('li');
    li.style.setProperty('--color', p.color);
    li.textContent = p.id === clientId ? `${p.name} (you)` : p.name;
    return li;
  }));
  for (const [id, el] of cursors) {
    if (!list.some((p) => p.id === id)) { el.remove(); cursors.delete(id); }
  }
}

// ---- controls ---------------------------------------------------------------------------------------------------
function setTool(tool) {
  state.tool = tool;
  $('pen').setAttribute('aria-pressed', tool === 'pen');
  $('eraser').setAttribute('aria-pressed', tool === 'eraser');
}
$('pen').onclick = () => setTool('pen');
$('eraser').onclick = () => setTool('eraser');
$('width').oninput = () => { state.width = Number($('width').value); $('width-value').textContent = state.width; };
const undo = () => outbox.submit({ type: 'undo' });
const redo = () => outbox.submit({ type: 'redo' });
$('undo').onclick = undo;
$('redo').onclick = redo;
$('clear').onclick = () => {
  if (confirm('Clear the canvas for everyone? You can undo it.')) outbox.submit({ type: 'clear' });
};
document.addEventListener('keydown', (e) => {
  if (e.target instanceof HTMLInputElement && e.target.type === 'text') return;
  const mod = e.ctrlKey || e.metaKey;
  if (mod && e.key.toLowerCase() === 'z') { e.preventDefault(); (e.shiftKey ? redo : undo)(); }
  else if (mod && e.key.toLowerCase() === 'y') { e.preventDefault(); redo(); }
  else if (!mod && e.key === 'e') setTool('eraser');
  else if (!mod && e.key === 'p') setTool('pen');
});
$('invite').onclick = async () => {
  try { await navigator.clipboard.writeText(location.href); toast('Invite link copied'); }
  catch { prompt('Copy this link:', location.href); }
};
$('export').onclick = () => {
  const out = document.createElement('canvas');
  out.width = SIZE; out.height = SIZE;
  const ctx = out.getContext('2d');
  const data = ctx.createImageData(SIZE, SIZE);
  for (let k = 0, o = 0; k < doc.canvas.length; k++, o += 4) {
    const v = doc.canvas[k];
    data.data[o] = v; data.data[o + 1] = v; data.data[o + 2] = v; data.data[o + 3] = 255;
  }
  ctx.putImageData(data, 0, 0);
  const a = document.createElement('a');
  a.download = `sketch-${sessionId}.png`;
  a.href = out.toDataURL('image/png');
  a.click();
};
$('name').value = myName;
$('name').onchange = () => {
  myName = displayName($('name').value) || myName;
  localStorage.setItem('sketchface.name', myName);
  socket.drop();   // rejoin with the new name (resumes from the last seq, nothing is lost)
};

let sliderTimer = null;
const sliderChanges = {};
// The component sliders are built by guidance from the model's components: listen on their fieldset.
$('sliders').addEventListener('input', (e) => {
  const name = e.target.dataset.slider;
  if (!name) return;
  sliderChanges[name] = Number(e.target.value);
  if (!sliderTimer) sliderTimer = setTimeout(() => {
    sliderTimer = null;
    outbox.submit({ type: 'sliders', values: { ...sliderChanges } });
    for (const k of Object.keys(sliderChanges)) delete sliderChanges[k];
  }, 100);
});
function syncSliders() {
  for (const el of $('sliders').querySelectorAll('input[data-slider]')) {
    if (document.activeElement !== el) el.value = sliderValue(doc.sliders, el.dataset.slider);
  }
}
$('mode').onchange = () => outbox.submit({ type: 'mode', mode: $('mode').value });
function syncMode() {
  $('mode').value = doc.mode;
  $('convert').hidden = doc.mode !== 'on_demand';
}
$('convert').onclick = () => socket.send({ type: 'convert' });

// ---- banner ---------------------------------------------------------------------------------------------------
function showConnection(s, detail) {
  const banner = $('connection');
  banner.dataset.state = s;
  banner.textContent = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', closed: detail || 'Disconnected' }[s];
  document.body.classList.toggle('offline', s !== 'live');
}

let toastTimer = null;
function toast(text) {
  const el = $('toast');
  el.textContent = text;
  el.classList.add('visible');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('visible'), 2500);
}

// For tests and debugging: the replica and its checksum.
window.sketchface = { doc, state, socket, outbox, checksum: () => checksum(doc.canvas), pixels: () => Array.from(doc.canvas) };

resize();
requestAnimationFrame(draw);
