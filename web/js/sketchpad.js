// The drawing surface: the replica drawn on the visible canvas (plus this page's own not-yet-echoed points, drawn
// with the same rasteriser so nothing jumps when the server's copy arrives), pointer input (mouse, pen, touch)
// and the keyboard pen, turned into stroke messages through the outbox.

import { paint, quantizePoint, quantizeWidth, SIZE } from './raster.js';

const MAX_OPEN_STROKES = 4;
const KEY_STEP = 4;
const KEY_STEP_BIG = 32;
const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

/**
 * @param {object} parts  { view (sketch canvas), layers (canvases resized with it), marker (keyboard pen element),
 *                          doc, outbox, canDraw() → bool, onPointerMove(point) }
 */
export function sketchpad({ view, layers, marker, doc, outbox, canDraw, onPointerMove }) {
  const viewContext = view.getContext('2d');
  const image = new ImageData(SIZE, SIZE);
  const scratch = document.createElement('canvas');
  scratch.width = SIZE; scratch.height = SIZE;
  const scratchContext = scratch.getContext('2d');
  const pad = {
    tool: 'pen', width: 4,
    pending: [],          // batches sent but not yet applied: { ref, points, previous, width, tool }
    active: new Map(),    // pointer id (or 'keyboard') → stroke being drawn
    dirty: true,
  };

  // ---- rendering ---------------------------------------------------------------------------------------------
  function displayedPixels() {
    if (pad.pending.length === 0) return doc.canvas;
    const preview = doc.canvas.slice();
    for (const batch of pad.pending) paint(preview, batch.points, batch.previous, batch.width, batch.tool);
    return preview;
  }

  function draw() {
    if (pad.dirty) {
      pad.dirty = false;
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
    for (const stroke of pad.active.values()) flushStroke(stroke);
    requestAnimationFrame(draw);
  }

  function resize() {
    const rect = view.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    for (const c of [view, ...layers]) {
      c.width = Math.round(rect.width * dpr);
      c.height = Math.round(rect.height * dpr);
    }
    pad.dirty = true;
  }

  // ---- strokes -----------------------------------------------------------------------------------------------
  function ready() { return canDraw() && pad.active.size < MAX_OPEN_STROKES; }

  /** Starts a stroke for `key` (a pointer id, or 'keyboard') at canvas point `point`. */
  function beginStroke(key, point) {
    const stroke = { id: outbox.strokeId(), tool: pad.tool, width: quantizeWidth(pad.width), queue: [], last: null };
    pad.active.set(key, stroke);
    outbox.submit({ type: 'stroke.begin', id: stroke.id, tool: stroke.tool, width: pad.width });
    stroke.queue.push(point);
  }

  function endStroke(key) {
    const stroke = pad.active.get(key);
    if (!stroke) return;
    flushStroke(stroke);
    outbox.submit({ type: 'stroke.end', id: stroke.id });
    pad.active.delete(key);
  }

  function flushStroke(stroke) {
    while (stroke.queue.length > 0) {
      const points = stroke.queue.splice(0, 256);
      const join = outbox.takeJoin(stroke.id);
      if (join) points.unshift(join);
      const ref = outbox.submit({ type: 'stroke.points', id: stroke.id, points });
      const quantized = points.map((q) => quantizePoint(q.x, q.y, q.p));
      pad.pending.push({ ref, points: quantized, previous: stroke.last, width: stroke.width, tool: stroke.tool });
      stroke.last = quantized[quantized.length - 1];
      pad.dirty = true;
    }
  }

  // ---- pointer input -----------------------------------------------------------------------------------------
  function canvasPoint(e) {
    const rect = view.getBoundingClientRect();
    const x = Math.min(SIZE, Math.max(0, ((e.clientX - rect.left) / rect.width) * SIZE));
    const y = Math.min(SIZE, Math.max(0, ((e.clientY - rect.top) / rect.height) * SIZE));
    const p = e.pointerType === 'pen' ? (e.pressure > 0 ? e.pressure : 0.5) : 1;
    return { x: Math.round(x * 16) / 16, y: Math.round(y * 16) / 16, p: Math.round(p * 255) / 255 };
  }

  view.addEventListener('pointerdown', (e) => {
    if (!ready() || (e.pointerType === 'mouse' && e.button !== 0)) return;
    e.preventDefault();
    view.setPointerCapture(e.pointerId);
    beginStroke(e.pointerId, canvasPoint(e));
  });
  view.addEventListener('pointermove', (e) => {
    onPointerMove(canvasPoint(e));
    const stroke = pad.active.get(e.pointerId);
    if (!stroke) return;
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    for (const ev of (events.length ? events : [e])) stroke.queue.push(canvasPoint(ev));
  });
  view.addEventListener('pointerup', (e) => endStroke(e.pointerId));
  view.addEventListener('pointercancel', (e) => endStroke(e.pointerId));

  // ---- the keyboard pen: for people who cannot use a pointer. Arrows move it (Shift: bigger steps), Space or
  // Enter puts it down and lifts it, Escape or leaving the canvas lifts it.
  const keyPen = { x: SIZE / 2, y: SIZE / 2 };
  function showKeyPen() {
    marker.style.left = `${(keyPen.x / SIZE) * 100}%`;
    marker.style.top = `${(keyPen.y / SIZE) * 100}%`;
    marker.classList.toggle('down', pad.active.has('keyboard'));
  }
  view.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (ARROWS[e.key]) {
      const step = e.shiftKey ? KEY_STEP_BIG : KEY_STEP;
      keyPen.x = Math.min(SIZE, Math.max(0, keyPen.x + ARROWS[e.key][0] * step));
      keyPen.y = Math.min(SIZE, Math.max(0, keyPen.y + ARROWS[e.key][1] * step));
      pad.active.get('keyboard')?.queue.push({ x: keyPen.x, y: keyPen.y, p: 1 });
    } else if (e.key === ' ' || e.key === 'Enter') {
      if (pad.active.has('keyboard')) endStroke('keyboard');
      else if (ready()) beginStroke('keyboard', { x: keyPen.x, y: keyPen.y, p: 1 });
    } else if (e.key === 'Escape') {
      endStroke('keyboard');
    } else {
      return;
    }
    e.preventDefault();
    showKeyPen();
  });
  view.addEventListener('focus', () => { marker.hidden = false; showKeyPen(); });
  view.addEventListener('blur', () => { endStroke('keyboard'); marker.hidden = true; });

  new ResizeObserver(resize).observe(view);
  resize();
  requestAnimationFrame(draw);

  return {
    /** The batches not yet applied (tests read their count). */
    get pending() { return pad.pending; },
    setTool(tool) { pad.tool = tool; },
    setWidth(width) { pad.width = width; },
    /** The replica changed: redraw on the next frame. */
    invalidate() { pad.dirty = true; },
    /** The batch with this ref was applied or refused: stop previewing it. */
    settle(ref) {
      const before = pad.pending.length;
      pad.pending = pad.pending.filter((b) => b.ref !== ref);
      if (pad.pending.length !== before) pad.dirty = true;
    },
    /** The outbox numbered its refs anew (a new identity): `renumbered` maps old → new ref. */
    renumber(renumbered) {
      for (const batch of pad.pending) batch.ref = renumbered.get(batch.ref) ?? batch.ref;
    },
    /**
     * After a (re)join: what the session already holds is confirmed, the rest is resent; strokes still being
     * drawn continue under the ids the outbox gives them.
     */
    resume(lastRef) {
      const remap = outbox.resume(lastRef, [...pad.active.values()].map((s) => s.id));
      for (const stroke of pad.active.values()) {
        if (remap.has(stroke.id)) stroke.id = remap.get(stroke.id);
      }
      const held = new Set(outbox.entries.map((e) => e.ref));
      pad.pending = pad.pending.filter((b) => held.has(b.ref));
      pad.dirty = true;
    },
    /** The sketch as a PNG data URL, 512×512 grey, exactly the replica. */
    pngURL() {
      const out = document.createElement('canvas');
      out.width = SIZE; out.height = SIZE;
      const ctx = out.getContext('2d');
      const data = ctx.createImageData(SIZE, SIZE);
      for (let k = 0, o = 0; k < doc.canvas.length; k++, o += 4) {
        const v = doc.canvas[k];
        data.data[o] = v; data.data[o + 1] = v; data.data[o + 2] = v; data.data[o + 3] = 255;
      }
      ctx.putImageData(data, 0, 0);
      return out.toDataURL('image/png');
    },
  };
}
