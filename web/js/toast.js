// A short message at the bottom of the page ("Invite link copied", refusals from the server).

const TOAST_MS = 2500;

/** A function that shows `text` in `element` for a moment. */
export function toaster(element) {
  let timer = null;
  return (text) => {
    element.textContent = text;
    element.classList.add('visible');
    clearTimeout(timer);
    timer = setTimeout(() => element.classList.remove('visible'), TOAST_MS);
  };
}
