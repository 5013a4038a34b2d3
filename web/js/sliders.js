// Refinement sliders: one per component of the loaded model (built from the guidance status message, in
// manifest order, before the static Master), each with a read-out. Moves are sent as one `sliders` message per
// 100 ms; the session's values (operations from anyone) are shown unless the slider is being dragged here.

import { SIZE } from './raster.js';

const SEND_EVERY_MS = 100;

/** @param {object} parts  { box (fieldset), value(name) → the session's value, submit(values) } */
export function sliderPanel({ box, value, submit }) {
  const sliders = {};          // name → range input (master and the model's components)
  const changes = {};
  let timer = null;

  for (const input of box.querySelectorAll('input[data-slider]')) watch(input);
  box.addEventListener('input', (e) => {
    const name = e.target.dataset.slider;
    if (!name) return;
    changes[name] = Number(e.target.value);
    if (!timer) timer = setTimeout(() => {
      timer = null;
      submit({ ...changes });
      for (const k of Object.keys(changes)) delete changes[k];
    }, SEND_EVERY_MS);
  });

  function watch(input) {
    let out = input.parentElement.querySelector('output');
    if (!out) { out = readOut(input); input.after(out); }
    out.textContent = format(input.value);
    input.addEventListener('input', () => { out.textContent = format(input.value); });
    sliders[input.dataset.slider] = { input, out };
  }

  return {
    /** One slider per model component, in manifest order, before the master; rebuilt if the model changes. */
    build(components) {
      const names = components.map((c) => c.name);
      for (const [name, { input }] of Object.entries(sliders)) {
        if (name !== 'master' && !names.includes(name)) { input.closest('label').remove(); delete sliders[name]; }
      }
      const master = box.querySelector('input[data-slider=master]')?.closest('label') || null;
      for (const { name, box: area } of components) {
        if (sliders[name]) continue;
        const input = Object.assign(document.createElement('input'),
          { type: 'range', id: `slider-${name}`, min: '0', max: '1', step: '0.01', value: String(value(name)) });
        input.dataset.slider = name;
        const row = Object.assign(document.createElement('label'), { className: 'component-slider' });
        row.append(componentLabel(name, area), ' ', input);
        box.insertBefore(row, master);
        watch(input);
      }
    },
    /** Shows the session's values (not on the slider being dragged here). */
    sync() {
      for (const [name, { input, out }] of Object.entries(sliders)) {
        if (document.activeElement === input) continue;
        input.value = value(name);
        out.textContent = format(input.value);
      }
    },
  };
}

function readOut(input) {
  const out = Object.assign(document.createElement('output'), { className: 'guidance-value' });
  out.setAttribute('for', input.id);
  return out;
}

/** "left_eye" → "Left eye"; the component whose box is the whole canvas is the face and hair around the parts. */
function componentLabel(name, box) {
  if (box && box[0] === 0 && box[1] === 0 && box[2] >= SIZE) return 'Face & hair';
  const words = name.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function format(value) {
  return Number(value).toFixed(2);
}
