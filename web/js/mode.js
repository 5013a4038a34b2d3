// Synthesis mode (Live / On demand, a shared session setting) and the Convert button, marked while the face
// shown is older than the sketch.

/** @param {object} parts  { select, convert (button), pick(mode), convertNow() } */
export function modePanel({ select, convert, pick, convertNow }) {
  select.onchange = () => pick(select.value);
  convert.onclick = convertNow;
  return {
    show(mode) {
      select.value = mode;
      convert.hidden = mode !== 'on_demand';
    },
    showStale(stale) { convert.classList.toggle('stale', stale); },
  };
}
