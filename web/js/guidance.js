// Live guidance on the session page: the shadow layer under the strokes, the synthesized face with a "computing"
// indicator, the model's component sliders (built from the status message) with read-outs, the Convert hint in
// on-demand mode, and downloading the face as PNG.
// Wire format: docs/PROTOCOL.md, section "Guidance". The app calls attachGuidance once per page and forwards
// what Sessions does not handle itself; this module only touches the elements it is given (and adds its own
// controls inside the face panel, plus its stylesheet).
//
// attachGuidance({ socket, sessionId, shadowCanvas, facePanel, faceImage, sliderBox, sliderValue, appearanceBox,
//                  appearanceValue, onAppearance, onCandidates, modeSelect, convertButton })
// returns { onWelcome(welcome), onOperation(op), onBinary(arrayBuffer), onMessage(message) → handled?,
//           onRefused(ref) }.
// `sliderBox` holds the static master slider (`input[data-slider=master]`); a slider per component of the
// loaded model is added before it when the status message names the components; `sliderValue(name)` is the
// session's current value. `appearanceBox` gets one swatch per code of the model's appearance palette (status
// message `appearance`); `appearanceValue()` is the session's pick (null: the palette default) and
// `onAppearance(index)` sends a pick. With a palette, a "Candidates" button asks for the face under up to four codes
// (`onCandidates(indices)` sends the request and returns its ref): the answer (binary 0x03, for this page only) is
// shown as tiles side by side, each labelled with its swatch; clicking one picks that appearance for everyone.
// `onRefused(ref)` is an `error` naming a ref: a refused candidates request frees the button.

const SHADOW = 0x01;
const FRAME = 0x02;
const CANDIDATE = 0x03;
const MAX_CANDIDATES = 4;
const CANDIDATES_TIMEOUT_MS = 20000;
const HEADER = 16;
const CANVAS = 512;
const PREFS = 'sketchface.guidance';

export function attachGuidance(context) {
  const { shadowCanvas, facePanel, faceImage, sliderBox, sliderValue = () => 0.5, convertButton, sessionId = 'sketch',
          appearanceBox, appearanceValue = () => null, onAppearance = () => {}, onCandidates = null } = context;
  let palette = null;          // { regions, palette: [[…]], default } from the status message
  const sliders = {};          // name → range input (master and the model's components)
  const shadowContext = shadowCanvas.getContext('2d');
  const prefs = loadPrefs();

  const state = {
    enabled: null,             // null until the server said; false with `reason` when no model is loaded
    reason: '',
    mode: 'live',
    shadows: new Map(),        // component → { seq, box: [x, y, side], bitmap }
    frame: null,               // { seq, number, isDefault, url, blob }
    frames: 0,                 // frames shown since load (tests read it)
    busy: false,
    headSeq: 0,                // newest op applied on this page
    candidates: null,          // { ref, indices, seq, faces: Map index → { url, blob }, timer } of the newest request
    candidateStart: 0,         // first palette index of the next request (pages through palettes of more than 4)
    drawnSize: [0, 0],
  };

  // ---- controls inside the face panel ------------------------------------------------------------------------
  addStylesheet('/css/guidance.css');
  facePanel.classList.add('guided');
  const frameBox = faceImage.parentElement;
  const indicator = element('div', { className: 'guidance-busy', title: 'A newer face is being computed' });
  indicator.setAttribute('role', 'status');
  indicator.setAttribute('aria-label', 'Computing a newer face');
  frameBox.append(indicator);
  const notice = element('p', { className: 'guidance-notice', hidden: true });
  frameBox.after(notice);

  const controls = element('fieldset', { className: 'guidance-controls' });
  controls.append(element('legend', { textContent: 'Guidance' }));
  const showToggle = element('input', { type: 'checkbox', id: 'guidance-shadow', checked: prefs.show });
  const opacity = element('input', { type: 'range', id: 'guidance-opacity', min: '0', max: '1', step: '0.05', value: String(prefs.opacity) });
  const download = element('button', { type: 'button', id: 'guidance-download', textContent: 'Download face', disabled: true });
  controls.append(
    label('Shadow', showToggle),
    label('Opacity', opacity),
    download,
  );
  notice.after(controls);

  function addReadOut(name, input) {
    const out = element('output', { className: 'guidance-value', textContent: format(input.value) });
    out.setAttribute('for', input.id);
    input.after(out);
    input.addEventListener('input', () => { out.textContent = format(input.value); });
    sliders[name] = input;
    input.guidanceOutput = out;
  }
  for (const input of sliderBox?.querySelectorAll('input[data-slider]') || []) addReadOut(input.dataset.slider, input);

  // One slider per model component, in manifest order, before the master; rebuilt if the model changes.
  function buildSliders(components) {
    if (!sliderBox) return;
    const names = components.map((c) => c.name);
    for (const [name, input] of Object.entries(sliders)) {
      if (name !== 'master' && !names.includes(name)) { input.closest('label').remove(); delete sliders[name]; }
    }
    const master = sliderBox.querySelector('input[data-slider=master]')?.closest('label') || null;
    for (const { name, box } of components) {
      if (sliders[name]) continue;
      const input = element('input', { type: 'range', id: `slider-${name}`, min: '0', max: '1', step: '0.01', value: String(sliderValue(name)) });
      input.dataset.slider = name;
      const row = element('label', { className: 'component-slider' });
      row.append(componentLabel(name, box), ' ', input);
      sliderBox.insertBefore(row, master);
      addReadOut(name, input);
    }
  }

  // One swatch per palette code: a stripe per region in its mean colour (RGB in [−1, 1]).
  function buildPalette(appearance) {
    if (!appearanceBox) return;
    const same = palette && JSON.stringify(palette) === JSON.stringify(appearance);
    palette = appearance || null;
    appearanceBox.hidden = !palette;
    if (same) return showAppearance();
    for (const old of appearanceBox.querySelectorAll('button.swatch[data-appearance]')) old.remove();
    tiles.replaceChildren();
    tiles.hidden = true;
    if (state.candidates) finishCandidates();
    dropCandidates();
    state.candidateStart = 0;
    if (!palette) return;
    palette.palette.forEach((code, index) => {
      const colours = palette.regions.map((region, r) => ({ region, css: swatchColour(code, r) }));
      const button = element('button', { type: 'button', className: 'swatch', title: `Appearance ${index + 1}: ${colours.map((c) => c.region).join(', ')}` });
      button.dataset.appearance = String(index);
      button.style.background = swatchGradient(code, palette.regions.length);
      button.setAttribute('aria-label', `Appearance ${index + 1}`);
      button.onclick = () => onAppearance(index);
      appearanceBox.insertBefore(button, candidatesButton.parentElement === appearanceBox ? candidatesButton : null);
    });
    showAppearance();
  }

  function showAppearance() {
    if (!appearanceBox || !palette) return;
    const picked = appearanceValue();
    const current = picked !== null && picked !== undefined && picked < palette.palette.length ? picked : palette.default;
    for (const button of appearanceBox.querySelectorAll('button[data-appearance]')) {
      button.setAttribute('aria-pressed', String(Number(button.dataset.appearance) === current));
    }
  }

  // ---- candidate faces: the face under several palette codes, side by side; a click picks one for everyone ----
  const candidatesButton = element('button', { type: 'button', id: 'candidates', className: 'candidates-button', textContent: 'Candidates',
                                               title: 'Show this face under several appearances side by side' });
  const tiles = element('div', { className: 'candidate-tiles', hidden: true });
  tiles.setAttribute('role', 'group');
  tiles.setAttribute('aria-label', 'Candidate faces');
  if (appearanceBox && onCandidates) {
    appearanceBox.append(candidatesButton, tiles);
    candidatesButton.onclick = requestCandidates;
  }

  function requestCandidates() {
    if (!palette || state.candidates?.timer) return;
    const size = palette.palette.length;
    const count = Math.min(MAX_CANDIDATES, size);
    const start = state.candidateStart % size;
    const indices = Array.from({ length: count }, (_, i) => (start + i) % size);
    state.candidateStart = size > MAX_CANDIDATES ? start + count : 0;
    const ref = onCandidates(indices);
    if (ref === null) return;   // offline: nothing was sent
    dropCandidates();
    state.candidates = { ref, indices, seq: null, faces: new Map(),
                         timer: setTimeout(() => finishCandidates(), CANDIDATES_TIMEOUT_MS) };
    tiles.replaceChildren(...indices.map(candidateTile));
    tiles.hidden = false;
    tiles.classList.remove('stale');
    tiles.title = '';
    candidatesButton.disabled = true;
    candidatesButton.setAttribute('aria-busy', 'true');
    showAppearance();
  }

  function candidateTile(index) {
    const tile = element('button', { type: 'button', className: 'candidate loading', title: `Use appearance ${index + 1} for everyone` });
    tile.dataset.appearance = String(index);
    const image = element('img', { alt: `Candidate face, appearance ${index + 1}` });
    const caption = element('span', { className: 'candidate-label' });
    const stripe = element('span', { className: 'swatch-stripe' });
    stripe.style.background = swatchGradient(palette.palette[index], palette.regions.length);
    caption.append(stripe, String(index + 1));
    tile.append(image, caption);
    tile.onclick = () => onAppearance(index);
    return tile;
  }

  function onCandidate(view, bytes) {
    const current = state.candidates;
    if (!current || view.getUint32(4) !== current.ref) return;   // an answer to an older request
    const index = view.getUint8(2), count = view.getUint8(3);
    const blob = new Blob([bytes.subarray(HEADER)], { type: 'image/png' });
    const url = URL.createObjectURL(blob);
    if (current.faces.has(index)) URL.revokeObjectURL(current.faces.get(index).url);
    current.faces.set(index, { url, blob });
    current.seq = Number(view.getBigUint64(8));
    const tile = tiles.querySelector(`button[data-appearance="${index}"]`);
    if (tile) {
      tile.querySelector('img').src = url;
      tile.classList.remove('loading');
    }
    if (current.faces.size >= count) finishCandidates();
  }

  function finishCandidates() {
    if (!state.candidates) return;
    clearTimeout(state.candidates.timer);
    state.candidates.timer = null;
    for (const tile of tiles.querySelectorAll('.candidate.loading')) tile.classList.replace('loading', 'missing');
    candidatesButton.disabled = false;
    candidatesButton.removeAttribute('aria-busy');
  }

  function dropCandidates() {
    for (const { url } of state.candidates?.faces.values() || []) URL.revokeObjectURL(url);
    state.candidates = null;
  }

  showToggle.onchange = () => { prefs.show = showToggle.checked; savePrefs(prefs); applyShadowStyle(); };
  opacity.oninput = () => { prefs.opacity = Number(opacity.value); savePrefs(prefs); applyShadowStyle(); };
  download.onclick = () => {
    if (!state.frame) return;
    const a = element('a', { href: state.frame.url, download: `sketchface-${sessionId}-${state.frame.seq}.png` });
    document.body.append(a);
    a.click();
    a.remove();
  };
  applyShadowStyle();

  // The app resizes the shadow canvas with the sketch (device pixels): redraw when its size changes.
  new ResizeObserver(() => requestAnimationFrame(redrawIfResized)).observe(shadowCanvas);

  // ---- rendering ---------------------------------------------------------------------------------------------
  function applyShadowStyle() {
    shadowCanvas.style.opacity = String(prefs.opacity);
    shadowCanvas.style.visibility = prefs.show ? 'visible' : 'hidden';
    opacity.disabled = !prefs.show;
  }

  function redrawIfResized() {
    if (shadowCanvas.width !== state.drawnSize[0] || shadowCanvas.height !== state.drawnSize[1]) redrawShadows();
  }

  function redrawShadows() {
    const { width, height } = shadowCanvas;
    state.drawnSize = [width, height];
    shadowContext.clearRect(0, 0, width, height);
    shadowContext.imageSmoothingEnabled = true;
    shadowContext.imageSmoothingQuality = 'high';
    const sx = width / CANVAS, sy = height / CANVAS;
    for (const { box: [x, y, side], bitmap } of state.shadows.values()) {
      shadowContext.drawImage(bitmap, x * sx, y * sy, side * sx, side * sy);
    }
  }

  let redrawQueued = false;
  function queueRedraw() {
    if (redrawQueued) return;
    redrawQueued = true;
    requestAnimationFrame(() => { redrawQueued = false; redrawShadows(); });
  }

  function showBusy() {
    facePanel.classList.toggle('computing', state.busy && state.enabled !== false);
    indicator.hidden = !(state.busy && state.enabled !== false);
  }

  function showStale() {
    // On demand: hint that Convert would show something newer than the face on screen.
    if (!convertButton) return;
    const stale = state.mode === 'on_demand' && (!state.frame || state.headSeq > state.frame.seq);
    convertButton.classList.toggle('stale', stale);
  }

  function showStatus() {
    notice.hidden = state.enabled !== false;
    notice.textContent = state.enabled === false ? `Guidance is off: ${state.reason}. Sketching works as usual.` : '';
    facePanel.classList.toggle('guidance-off', state.enabled === false);
    showBusy();
  }

  // ---- messages ----------------------------------------------------------------------------------------------
  async function onShadow(view, bytes) {
    const component = view.getUint8(1);
    const box = [view.getUint16(2), view.getUint16(4), view.getUint16(6)];
    const seq = Number(view.getBigUint64(8));
    const current = state.shadows.get(component);
    if (current && current.seq > seq) return;
    const bitmap = await createImageBitmap(new Blob([bytes.subarray(HEADER)], { type: 'image/png' }));
    const latest = state.shadows.get(component);
    if (latest && latest.seq > seq) { bitmap.close(); return; }   // a newer one decoded first
    latest?.bitmap.close?.();
    state.shadows.set(component, { seq, box, bitmap });
    queueRedraw();
  }

  const objectUrls = new Set();
  function onFrame(view, bytes) {
    const number = view.getUint32(4);
    if (state.frame && number <= state.frame.number) return;   // frames are numbered; never go back
    const blob = new Blob([bytes.subarray(HEADER)], { type: 'image/png' });
    const url = URL.createObjectURL(blob);
    objectUrls.add(url);
    state.frame = { seq: Number(view.getBigUint64(8)), number, isDefault: (view.getUint8(1) & 1) === 1, url, blob };
    faceImage.onload = () => {
      // Older faces are no longer shown (or never were, when frames came faster than images load).
      for (const old of objectUrls) if (old !== faceImage.src && old !== state.frame.url) { URL.revokeObjectURL(old); objectUrls.delete(old); }
    };
    faceImage.src = url;
    faceImage.hidden = false;
    faceImage.alt = state.frame.isDefault ? 'Default face (nothing drawn yet)' : `Synthesized face for operation ${state.frame.seq}`;
    faceImage.dataset.seq = String(state.frame.seq);
    faceImage.dataset.number = String(number);
    facePanel.classList.toggle('default-face', state.frame.isDefault);
    download.disabled = false;
    state.frames += 1;
    showStale();
  }

  const hooks = {
    onWelcome(welcome) {
      // After a (re)join the server sends status, every shadow and the current face again; its frame numbers
      // restart after a server restart, so forget ours.
      if (state.frame) state.frame.number = 0;
      for (const { bitmap } of state.shadows.values()) bitmap.close?.();
      state.shadows.clear();
      state.mode = welcome.mode || state.mode;
      state.headSeq = welcome.head || 0;
      if (state.candidates?.timer) finishCandidates();   // asked on the old connection: that answer is gone
      showAppearance();
      for (const [name, input] of Object.entries(sliders)) {
        if (input.guidanceOutput) input.guidanceOutput.textContent = format(input.value);
      }
      queueRedraw();
      showStale();
    },
    onOperation(op) {
      state.headSeq = Math.max(state.headSeq, op.seq);
      if (op.kind === 'mode') state.mode = op.mode;
      if (op.kind === 'appearance') showAppearance();
      // Candidates show the sketch and sliders of their seq; a later edit makes them out of date (not a new pick).
      if (state.candidates?.seq !== null && state.candidates?.seq < op.seq && op.kind !== 'appearance' && op.kind !== 'mode') {
        tiles.classList.add('stale');
        tiles.title = 'The sketch changed since: press Candidates again for current faces';
      }
      if (op.kind === 'sliders') {
        for (const [name, input] of Object.entries(sliders)) {
          if (input.guidanceOutput && document.activeElement !== input) input.guidanceOutput.textContent = format(sliderValue(name));
        }
      }
      showStale();
    },
    onBinary(buffer) {
      const bytes = new Uint8Array(buffer);
      if (bytes.length < HEADER) return;
      const view = new DataView(buffer);
      if (bytes[0] === SHADOW) onShadow(view, bytes).catch((e) => console.warn('guidance: bad shadow', e));
      else if (bytes[0] === FRAME) onFrame(view, bytes);
      else if (bytes[0] === CANDIDATE) onCandidate(view, bytes);
    },
    onRefused(ref) {
      if (state.candidates && state.candidates.ref === ref) finishCandidates();
    },
    onMessage(message) {
      switch (message.type) {
        case 'guidance':
          state.enabled = message.enabled;
          state.reason = message.reason || '';
          state.mode = message.mode || state.mode;
          if (Array.isArray(message.components)) buildSliders(message.components);
          if (message.enabled) buildPalette(message.appearance);
          showStatus();
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
  };

  // For tests and debugging.
  window.sketchfaceGuidance = {
    get enabled() { return state.enabled; },
    get busy() { return state.busy; },
    get frames() { return state.frames; },
    get frame() { return state.frame && { seq: state.frame.seq, number: state.frame.number, isDefault: state.frame.isDefault }; },
    get shadows() { return Object.fromEntries([...state.shadows].map(([c, s]) => [c, s.seq])); },
    get palette() { return palette; },
    get candidates() {
      const c = state.candidates;
      return c && { ref: c.ref, indices: c.indices, seq: c.seq, received: [...c.faces.keys()], pending: !!c.timer };
    },
    candidateBytes: async (index) => {
      const face = state.candidates?.faces.get(index);
      return face ? Array.from(new Uint8Array(await face.blob.arrayBuffer())) : null;
    },
    faceBytes: async () => state.frame ? Array.from(new Uint8Array(await state.frame.blob.arrayBuffer())) : null,
  };
  return hooks;
}

function element(tag, props = {}) {
  return Object.assign(document.createElement(tag), props);
}

function label(text, input) {
  const l = element('label', { className: 'guidance-row' });
  l.append(text, ' ', input);
  return l;
}

/** "left_eye" → "Left eye"; the component whose box is the whole canvas is the face and hair around the parts. */
function componentLabel(name, box) {
  if (box && box[0] === 0 && box[1] === 0 && box[2] >= CANVAS) return 'Face & hair';
  const words = name.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A left-to-right stripe per region of an appearance code, in its colour. */
function swatchGradient(code, regions) {
  const stops = Array.from({ length: regions }, (_, r) => `${swatchColour(code, r)} ${(100 * r) / regions}% ${(100 * (r + 1)) / regions}%`);
  return `linear-gradient(90deg, ${stops.join(', ')})`;
}

/** The CSS colour of region `r` of an appearance code (R, G, B in [−1, 1] → 0…255). */
export function swatchColour(code, r) {
  const channel = (v) => Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)));
  return `rgb(${channel(code[3 * r])}, ${channel(code[3 * r + 1])}, ${channel(code[3 * r + 2])})`;
}

function format(value) {
  return Number(value).toFixed(2);
}

function addStylesheet(href) {
  if (document.querySelector(`link[href="${href}"]`)) return;
  document.head.append(element('link', { rel: 'stylesheet', href }));
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
