// The shadow layer under the strokes: one guide image per model component, placed on its box of the canvas, and
// the Shadow / Opacity controls (kept per browser in localStorage).

import { SIZE } from './raster.js';

const PREFS = 'sketchface.guidance';

/** @param {object} parts  { canvas (shadow layer), toggle (checkbox), opacity (range input) } */
export function shadowLayer({ canvas, toggle, opacity }) {
  const context = canvas.getContext('2d');
  const prefs = loadPrefs();
  const shadows = new Map();   // component → { seq, box: [x, y, side], bitmap }
  let drawnSize = [0, 0];
  let redrawQueued = false;

  toggle.checked = prefs.show;
  opacity.value = String(prefs.opacity);
  toggle.onchange = () => { prefs.show = toggle.checked; savePrefs(prefs); applyStyle(); };
  opacity.oninput = () => { prefs.opacity = Number(opacity.value); savePrefs(prefs); applyStyle(); };
  applyStyle();
  // The sketchpad resizes this canvas with the sketch (device pixels): redraw when its size changes.
  new ResizeObserver(() => requestAnimationFrame(() => {
    if (canvas.width !== drawnSize[0] || canvas.height !== drawnSize[1]) redraw();
  })).observe(canvas);

  function applyStyle() {
    canvas.style.opacity = String(prefs.opacity);
    canvas.style.visibility = prefs.show ? 'visible' : 'hidden';
    opacity.disabled = !prefs.show;
  }

  function redraw() {
    const { width, height } = canvas;
    drawnSize = [width, height];
    context.clearRect(0, 0, width, height);
    context.imageSmoothingEnabled = true;
    context.imageSmoothingQuality = 'high';
    const sx = width / SIZE, sy = height / SIZE;
    for (const { box: [x, y, side], bitmap } of shadows.values()) {
      context.drawImage(bitmap, x * sx, y * sy, side * sx, side * sy);
    }
  }

  function queueRedraw() {
    if (redrawQueued) return;
    redrawQueued = true;
    requestAnimationFrame(() => { redrawQueued = false; redraw(); });
  }

  return {
    /** A shadow message: keeps the newest per component (decoding is asynchronous, so check again after it). */
    async receive({ component, box, seq, png }) {
      const current = shadows.get(component);
      if (current && current.seq > seq) return;
      const bitmap = await createImageBitmap(new Blob([png], { type: 'image/png' }));
      const latest = shadows.get(component);
      if (latest && latest.seq > seq) { bitmap.close(); return; }
      latest?.bitmap.close?.();
      shadows.set(component, { seq, box, bitmap });
      queueRedraw();
    },
    /** After a (re)join every shadow is sent again. */
    clear() {
      for (const { bitmap } of shadows.values()) bitmap.close?.();
      shadows.clear();
      queueRedraw();
    },
    /** component → seq of the shadow shown. */
    seqs() { return Object.fromEntries([...shadows].map(([c, s]) => [c, s.seq])); },
  };
}

function loadPrefs() {
  try {
    const saved = JSON.parse(localStorage.getItem(PREFS) || '{}');
    return { show: saved.show !== false, opacity: Number.isFinite(saved.opacity) ? saved.opacity : 0.35 };
  } catch {
    return { show: true, opacity: 0.35 };
  }
}

function savePrefs(prefs) {
  try { localStorage.setItem(PREFS, JSON.stringify(prefs)); } catch { /* private mode: keep in memory */ }
}
