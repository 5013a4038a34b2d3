// Who is here: the participant list in the header and the other participants' cursors over the canvas.

import { SIZE } from './raster.js';

const CURSOR_HIDE_MS = 3000;

/** @param {object} parts  { list (ul), layer (cursor overlay), self() → this page's client id (it changes when
 *                          the page takes a new identity) } */
export function presencePanel({ list, layer, self }) {
  let participants = [];
  const cursors = new Map();   // participant id → element

  function show(people) {
    participants = people;
    list.replaceChildren(...people.map((p) => {
      const li = document.createElement('li');
      li.style.setProperty('--color', p.color);
      li.textContent = p.id === self() ? `${p.name} (you)` : p.name;
      return li;
    }));
    for (const [id, el] of cursors) {
      if (!people.some((p) => p.id === id)) { el.remove(); cursors.delete(id); }
    }
  }

  function showCursor({ id, x, y }) {
    const who = participants.find((p) => p.id === id);
    let el = cursors.get(id);
    if (!el) {
      el = document.createElement('div');
      el.className = 'cursor';
      el.innerHTML = '<span class="dot"></span><span class="label"></span>';
      layer.appendChild(el);
      cursors.set(id, el);
    }
    el.style.setProperty('--color', who ? who.color : '#888');
    el.querySelector('.label').textContent = who ? who.name : '';
    el.style.left = `${(x / SIZE) * 100}%`;
    el.style.top = `${(y / SIZE) * 100}%`;
    el.classList.add('visible');
    clearTimeout(el.hideTimer);
    el.hideTimer = setTimeout(() => el.classList.remove('visible'), CURSOR_HIDE_MS);
  }

  return { show, showCursor, get participants() { return participants; } };
}
