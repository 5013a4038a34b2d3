// The tool bar and header controls: Pen/Eraser, width, Undo/Redo/Clear, Export PNG, their keyboard shortcuts,
// the invite link, the Replay link and the participant's name.

import { displayName } from './identity.js';

/**
 * @param {object} parts  { $ (id → element), pad (sketchpad), submit(message), toast(text), sessionId,
 *                          name, onName(name) }
 */
export function toolPanel({ $, pad, submit, toast, sessionId, name, onName }) {
  function setTool(tool) {
    pad.setTool(tool);
    $('pen').setAttribute('aria-pressed', String(tool === 'pen'));
    $('eraser').setAttribute('aria-pressed', String(tool === 'eraser'));
  }
  $('pen').onclick = () => setTool('pen');
  $('eraser').onclick = () => setTool('eraser');

  const width = $('width');
  const showWidth = () => { pad.setWidth(Number(width.value)); $('width-value').textContent = width.value; };
  width.oninput = showWidth;
  showWidth();

  const undo = () => submit({ type: 'undo' });
  const redo = () => submit({ type: 'redo' });
  $('undo').onclick = undo;
  $('redo').onclick = redo;
  $('clear').onclick = () => {
    if (confirm('Clear the canvas for everyone? You can undo it.')) submit({ type: 'clear' });
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
    try { await navigator.clipboard.writeText(location.origin + location.pathname); toast('Invite link copied'); }
    catch { prompt('Copy this link:', location.origin + location.pathname); }
  };
  $('replay-link').href = `/s/${sessionId}/replay`;
  $('export').onclick = () => {
    const a = document.createElement('a');
    a.download = `sketch-${sessionId}.png`;
    a.href = pad.pngURL();
    a.click();
  };

  const nameInput = $('name');
  nameInput.value = name;
  nameInput.onchange = () => {
    const next = displayName(nameInput.value);
    if (next) onName(next);
  };
}
