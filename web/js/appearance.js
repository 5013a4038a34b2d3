// The appearance panel: one swatch per code of the model's appearance palette (a stripe per region in its mean
// colour), the session's pick pressed; and candidate faces — the face under up to four codes, side by side, for
// this page only (binary 0x03 answers matched by ref) — where a click picks that appearance for everyone.

const MAX_CANDIDATES = 4;
const CANDIDATES_TIMEOUT_MS = 20000;

/**
 * @param {object} parts  { box (fieldset), button (Candidates), tiles (their container), value() → the session's
 *                          pick (null: the palette default), pick(index), ask(indices) → ref, or null when offline }
 */
export function appearancePanel({ box, button, tiles, value, pick, ask }) {
  let palette = null;          // { regions, palette: [[…]], default } from the status message
  let candidates = null;       // { ref, indices, seq, faces: Map index → { url, blob }, timer } of the newest request
  let nextStart = 0;           // first palette index of the next request (pages through palettes of more than 4)
  button.onclick = request;

  function build(appearance) {
    const same = palette && JSON.stringify(palette) === JSON.stringify(appearance);
    palette = appearance || null;
    box.hidden = !palette;
    if (same) return show();
    for (const old of box.querySelectorAll('button.swatch[data-appearance]')) old.remove();
    tiles.replaceChildren();
    tiles.hidden = true;
    if (candidates) finish();
    drop();
    nextStart = 0;
    if (!palette) return;
    palette.palette.forEach((code, index) => {
      const swatch = element('button', { type: 'button', className: 'swatch', title: `Appearance ${index + 1}: ${palette.regions.join(', ')}` });
      swatch.dataset.appearance = String(index);
      swatch.style.background = swatchGradient(code, palette.regions.length);
      swatch.setAttribute('aria-label', `Appearance ${index + 1}`);
      swatch.onclick = () => pick(index);
      box.insertBefore(swatch, button);
    });
    show();
  }

  function show() {
    if (!palette) return;
    const picked = value();
    const current = picked !== null && picked !== undefined && picked < palette.palette.length ? picked : palette.default;
    for (const el of box.querySelectorAll('button[data-appearance]')) {
      el.setAttribute('aria-pressed', String(Number(el.dataset.appearance) === current));
    }
  }

  function request() {
    if (!palette || candidates?.timer) return;
    const size = palette.palette.length;
    const count = Math.min(MAX_CANDIDATES, size);
    const start = nextStart % size;
    const indices = Array.from({ length: count }, (_, i) => (start + i) % size);
    nextStart = size > MAX_CANDIDATES ? start + count : 0;
    const ref = ask(indices);
    if (ref === null) return;   // offline: nothing was sent
    drop();
    candidates = { ref, indices, seq: null, faces: new Map(), timer: setTimeout(finish, CANDIDATES_TIMEOUT_MS) };
    tiles.replaceChildren(...indices.map(tile));
    tiles.hidden = false;
    tiles.classList.remove('stale');
    tiles.title = '';
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    show();
  }

  function tile(index) {
    const el = element('button', { type: 'button', className: 'candidate loading', title: `Use appearance ${index + 1} for everyone` });
    el.dataset.appearance = String(index);
    const image = element('img', { alt: `Candidate face, appearance ${index + 1}` });
    const caption = element('span', { className: 'candidate-label' });
    const stripe = element('span', { className: 'swatch-stripe' });
    stripe.style.background = swatchGradient(palette.palette[index], palette.regions.length);
    caption.append(stripe, String(index + 1));
    el.append(image, caption);
    el.onclick = () => pick(index);
    return el;
  }

  function finish() {
    if (!candidates) return;
    clearTimeout(candidates.timer);
    candidates.timer = null;
    for (const el of tiles.querySelectorAll('.candidate.loading')) el.classList.replace('loading', 'missing');
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }

  function drop() {
    for (const { url } of candidates?.faces.values() || []) URL.revokeObjectURL(url);
    candidates = null;
  }

  return {
    build,
    show,
    get palette() { return palette; },
    /** One candidate face message: { index, count, ref, seq, png }. */
    receive({ index, count, ref, seq, png }) {
      if (!candidates || ref !== candidates.ref) return;   // an answer to an older request
      const blob = new Blob([png], { type: 'image/png' });
      const url = URL.createObjectURL(blob);
      if (candidates.faces.has(index)) URL.revokeObjectURL(candidates.faces.get(index).url);
      candidates.faces.set(index, { url, blob });
      candidates.seq = seq;
      const el = tiles.querySelector(`button[data-appearance="${index}"]`);
      if (el) {
        el.querySelector('img').src = url;
        el.classList.remove('loading');
      }
      if (candidates.faces.size >= count) finish();
    },
    /** The server refused the request with this ref: frees the button. */
    refused(ref) { if (candidates?.ref === ref) finish(); },
    /** The request waiting, if any, was lost with its connection: frees the button. */
    abandon() { if (candidates?.timer) finish(); },
    /** Candidates show the sketch and sliders of their seq; a later edit makes them out of date (not a new pick). */
    edited(op) {
      if (candidates?.seq === null || candidates?.seq === undefined || candidates.seq >= op.seq) return;
      if (op.kind === 'appearance' || op.kind === 'mode') return;
      tiles.classList.add('stale');
      tiles.title = 'The sketch changed since: press Candidates again for current faces';
    },
    /** For tests: what was asked and received, and the bytes of one face. */
    get candidates() {
      const c = candidates;
      return c && { ref: c.ref, indices: c.indices, seq: c.seq, received: [...c.faces.keys()], pending: !!c.timer };
    },
    async candidateBytes(index) {
      const face = candidates?.faces.get(index);
      return face ? Array.from(new Uint8Array(await face.blob.arrayBuffer())) : null;
    },
  };
}

function element(tag, props = {}) {
  return Object.assign(document.createElement(tag), props);
}

/** A left-to-right stripe per region of an appearance code, in its colour. */
function swatchGradient(code, regions) {
  const stops = Array.from({ length: regions }, (_, r) => `${swatchColour(code, r)} ${(100 * r) / regions}% ${(100 * (r + 1)) / regions}%`);
  return `linear-gradient(90deg, ${stops.join(', ')})`;
}

/** The CSS colour of region `r` of an appearance code (R, G, B in [−1, 1] → 0…255). */
function swatchColour(code, r) {
  const channel = (v) => Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)));
  return `rgb(${channel(code[3 * r])}, ${channel(code[3 * r + 1])}, ${channel(code[3 * r + 2])})`;
}
