// The synthesized face: the newest frame, the "computing" mark, the notice when guidance is off, and the
// Download face button.

/** @param {object} parts  { panel, image, busy (indicator), notice, download (button), sessionId } */
export function facePanel({ panel, image, busy, notice, download, sessionId }) {
  let frame = null;            // { seq, number, isDefault, url, blob }
  let frames = 0;              // frames shown since load (tests read it)
  const objectUrls = new Set();

  download.onclick = () => {
    if (!frame) return;
    const a = Object.assign(document.createElement('a'), { href: frame.url, download: `sketchface-${sessionId}-${frame.seq}.png` });
    document.body.append(a);
    a.click();
    a.remove();
  };

  return {
    get frame() { return frame; },
    get frames() { return frames; },
    /** Shows a face frame unless a newer one is shown (frames are numbered; never go back); true when shown. */
    show({ number, seq, isDefault, png }) {
      if (frame && number <= frame.number) return false;
      const blob = new Blob([png], { type: 'image/png' });
      const url = URL.createObjectURL(blob);
      objectUrls.add(url);
      frame = { seq, number, isDefault, url, blob };
      image.onload = () => {
        // Older faces are no longer shown (or never were, when frames came faster than images load).
        for (const old of objectUrls) if (old !== image.src && old !== frame.url) { URL.revokeObjectURL(old); objectUrls.delete(old); }
      };
      image.src = url;
      image.hidden = false;
      image.alt = isDefault ? 'Default face (nothing drawn yet)' : `Synthesized face for operation ${seq}`;
      image.dataset.seq = String(seq);
      image.dataset.number = String(number);
      panel.classList.toggle('default-face', isDefault);
      download.disabled = false;
      frames += 1;
      return true;
    },
    /** Frame numbers restart with the server: after a (re)join any number is newer than ours. */
    forgetNumber() { if (frame) frame.number = 0; },
    showBusy(computing) {
      panel.classList.toggle('computing', computing);
      busy.hidden = !computing;
    },
    showStatus(enabled, reason) {
      notice.hidden = enabled !== false;
      notice.textContent = enabled === false ? `Guidance is off: ${reason}. Sketching works as usual.` : '';
      panel.classList.toggle('guidance-off', enabled === false);
    },
  };
}
