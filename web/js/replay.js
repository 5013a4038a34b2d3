// The replay view (`/s/<id>/replay`): the session's op log, fetched page by page over HTTP (read-only: no
// WebSocket, so nobody sees the viewer as a participant), played in seq order at an adjustable speed, with a
// scrubber. The ink is the exact replica (SketchDocument, the same rasteriser as the studio); each pixel takes
// the colour of the author whose pen last darkened it. Export records the replay from the start as a WebM video
// with the browser's own encoder (MediaRecorder), so the server needs no video tool. Where a model is loaded,
// the face is shown as it evolved: the server synthesises it at a few keyframes (GET /replay-face/<id>?seq=N,
// cached there), fetched one at a time after the log.

import { SketchDocument } from './document.js';
import { SIZE } from './raster.js';

const OPS_PER_SECOND = 60;   // the studio sends a points batch per animation frame: 1× is about drawing speed
const EXPORT_FPS = 30;
const KEYFRAMES = 6;         // faces at up to this many stroke ends, plus the last operation

/** The colour of the `n`th author to appear in the history (golden-angle hues: neighbours differ). */
export function authorColour(n) {
  return `hsl(${Math.round((n * 137.508) % 360)}, 70%, 38%)`;
}

/** @param {object} options  { testHooks: expose `window.sketchfaceReplay` (browser tests) } */
export function startReplay({ testHooks = false } = {}) {
  const $ = (id) => document.getElementById(id);
  const sessionPath = location.pathname.replace(/\/replay\/?$/, '');
  const sessionId = sessionPath.split('/').filter(Boolean)[1];
  const me = sessionStorage.getItem('sketchface.client');
  $('back').href = sessionPath;

  const canvas = $('replay');
  const context = canvas.getContext('2d');
  const image = context.createImageData(SIZE, SIZE);
  const player = {
    ops: [],
    authors: new Map(),       // author id → { index, css, rgb: [r, g, b] }
    faces: new Map(),         // keyframe seq → object URL of its face
    doc: null, owner: null, previous: null,
    undoReach: undefined,     // the session's undo reach (X-Sketchface-Undo-Reach): the replica bakes as the server did
    applied: 0,               // ops applied to doc
    playing: false, speed: 1, carry: 0, lastTime: null,
  };

  // ---- the log -------------------------------------------------------------------------------------------------
  async function load() {
    let after = 0;
    for (;;) {
      const response = await fetch(`${sessionPath}/history?after=${after}`, { cache: 'no-store' });
      if (!response.ok) throw new Error(`history: HTTP ${response.status}`);
      const reach = Number(response.headers.get('X-Sketchface-Undo-Reach'));
      if (reach > 0) player.undoReach = reach;
      const page = await response.json();
      player.ops.push(...page.ops);
      after = player.ops.length ? player.ops[player.ops.length - 1].seq : after;
      if (!page.more || page.ops.length === 0) break;
    }
    for (const op of player.ops) {
      if (op.kind === 'stroke.begin' && !player.authors.has(op.author)) {
        const index = player.authors.size;
        player.authors.set(op.author, { index, css: authorColour(index), rgb: null });
      }
    }
    showAuthors();
    $('scrubber').max = String(player.ops.length);
    $('play').disabled = player.ops.length === 0;
    $('export').disabled = player.ops.length === 0 || typeof MediaRecorder === 'undefined';
    seek(0);
    loadFaces().catch((e) => console.warn('replay: faces', e)).finally(() => { player.facesDone = true; });
  }

  /** Seqs worth a face: evenly spaced stroke ends (and clears, undos, redos), and the last operation. */
  function keyframes() {
    const edits = player.ops.filter((op) => ['stroke.end', 'clear', 'undo', 'redo'].includes(op.kind)).map((op) => op.seq);
    const step = Math.max(1, edits.length / KEYFRAMES);
    const picked = new Set();
    for (let k = step - 1; k < edits.length; k += step) picked.add(edits[Math.floor(k)]);
    if (player.ops.length) picked.add(player.ops[player.ops.length - 1].seq);
    return [...picked].sort((a, b) => a - b);
  }

  async function loadFaces() {
    for (const seq of keyframes()) {
      const response = await fetch(`/replay-face/${sessionId}?seq=${seq}`);
      if (response.status === 404) return;   // no model on this server: the replay shows strokes only
      if (!response.ok) continue;
      player.faces.set(seq, URL.createObjectURL(await response.blob()));
      showFace();
    }
  }

  /** The face of the newest keyframe at or before the position. */
  function showFace() {
    let best = null;
    for (const seq of player.faces.keys()) if (seq <= player.applied && (best === null || seq > best)) best = seq;
    $('replay-face-box').hidden = player.faces.size === 0;
    const image = $('replay-face');
    if (best === null) {
      image.removeAttribute('src');
      image.alt = 'No face yet at this point';
      $('replay-face-caption').textContent = 'No face yet';
    } else if (image.dataset.seq !== String(best)) {
      image.src = player.faces.get(best);
      image.alt = `The face after operation ${best}`;
      $('replay-face-caption').textContent = `Face after operation ${best}`;
    }
    image.dataset.seq = best === null ? '' : String(best);
  }

  function showAuthors() {
    $('authors').replaceChildren(...[...player.authors].map(([id, author]) => {
      const li = document.createElement('li');
      li.style.setProperty('--color', author.css);
      li.textContent = id === me ? 'You' : `Participant ${author.index + 1}`;
      li.dataset.author = id;
      // The canvas needs the colour as numbers: let the browser resolve the CSS colour once.
      context.fillStyle = author.css;
      const hex = context.fillStyle;   // normalised to #rrggbb
      author.rgb = [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
      return li;
    }));
  }

  // ---- applying and drawing ----------------------------------------------------------------------------------------
  function reset() {
    player.doc = new SketchDocument(player.undoReach);
    player.owner = new Uint16Array(SIZE * SIZE);        // author index + 1 of each inked pixel, 0 = none
    player.previous = new Uint8Array(SIZE * SIZE).fill(255);
    player.applied = 0;
  }

  function applyNext() {
    const op = player.ops[player.applied++];
    const { dirty } = player.doc.apply(op);
    if (!dirty) return;
    const px = player.doc.canvas, prev = player.previous;
    const author = player.authors.get(op.author);
    const [x0, y0, x1, y1] = dirty === 'full' ? [0, 0, SIZE, SIZE] : dirty.map((v) => Math.max(0, Math.min(SIZE, v)));
    for (let y = y0; y < y1; y++) {
      for (let i = y * SIZE + x0, end = y * SIZE + x1; i < end; i++) {
        if (op.kind === 'stroke.points' && author && px[i] < prev[i]) player.owner[i] = author.index + 1;
        prev[i] = px[i];
      }
    }
  }

  function seek(position) {
    const target = Math.max(0, Math.min(player.ops.length, position));
    if (target < player.applied || !player.doc) reset();
    while (player.applied < target) applyNext();
    render();
  }

  function render() {
    const px = player.doc.canvas, data = image.data;
    const colours = [[0, 0, 0], ...[...player.authors.values()].map((a) => a.rgb || [0, 0, 0])];
    for (let i = 0, o = 0; i < px.length; i++, o += 4) {
      const [r, g, b] = colours[player.owner[i]] || colours[0];
      data[o] = r; data[o + 1] = g; data[o + 2] = b; data[o + 3] = 255 - px[i];
    }
    context.clearRect(0, 0, SIZE, SIZE);
    context.putImageData(image, 0, 0);
    $('scrubber').value = String(player.applied);
    $('position').textContent = `operation ${player.applied} of ${player.ops.length}`;
    if (player.faces.size) showFace();
  }

  // ---- playing -------------------------------------------------------------------------------------------------------
  function play(on) {
    player.playing = on;
    if (on && player.applied >= player.ops.length) seek(0);
    player.lastTime = null;
    player.carry = 0;
    $('play').textContent = on ? 'Pause' : 'Play';
    if (on) requestAnimationFrame(tick);
  }

  function tick(time) {
    if (!player.playing) return;
    if (player.lastTime !== null) {
      player.carry += ((time - player.lastTime) / 1000) * OPS_PER_SECOND * player.speed;
      const due = Math.floor(player.carry);
      player.carry -= due;
      if (due > 0) seek(player.applied + due);
    }
    player.lastTime = time;
    if (player.applied >= player.ops.length) { play(false); player.onEnd?.(); return; }
    requestAnimationFrame(tick);
  }

  $('play').onclick = () => play(!player.playing);
  $('scrubber').addEventListener('input', () => seek(Number($('scrubber').value)));
  $('speed').onchange = () => { player.speed = Number($('speed').value); };

  // ---- export: the replay from the start, recorded off the canvas -------------------------------------------------
  $('export').onclick = () => {
    const recorder = new MediaRecorder(canvas.captureStream(EXPORT_FPS), { mimeType: 'video/webm' });
    const chunks = [];
    recorder.ondataavailable = (e) => { if (e.data.size > 0) chunks.push(e.data); };
    recorder.onstop = () => {
      const a = document.createElement('a');
      a.download = `sketchface-replay-${sessionId}.webm`;
      a.href = URL.createObjectURL(new Blob(chunks, { type: 'video/webm' }));
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
      for (const id of ['play', 'scrubber', 'speed', 'export']) $(id).disabled = false;
    };
    for (const id of ['play', 'scrubber', 'speed', 'export']) $(id).disabled = true;
    player.onEnd = () => { player.onEnd = null; setTimeout(() => recorder.stop(), 300); };   // hold the last frame
    seek(0);
    recorder.start(250);
    play(true);
  };

  if (testHooks) {
    window.sketchfaceReplay = {
      get length() { return player.ops.length; },
      get position() { return player.applied; },
      get playing() { return player.playing; },
      get speed() { return player.speed; },
      authors: () => Object.fromEntries([...player.authors].map(([id, a]) => [id, a.rgb])),
      pixel: (x, y) => Array.from(context.getImageData(x, y, 1, 1).data),
      keyframes: () => [...player.faces.keys()],
      get facesDone() { return !!player.facesDone; },
      get faceShown() { return $('replay-face').dataset.seq || null; },
    };
  }
  load().catch((e) => { $('position').textContent = `Could not load the history: ${e.message}`; });
}
