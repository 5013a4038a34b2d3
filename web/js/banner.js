// The connection banner in the header and the page's offline look. While reconnecting it says what happens to
// drawing ("kept and will sync") and counts down to the next try; the page gets `data-connection` so the
// stylesheet can mark the face as out of date and grey the participants, whose presence is unknown meanwhile.

const TEXT = { connecting: 'Connecting…', live: 'Live' };
export const OFFLINE_TEXT = 'offline — your strokes are kept and will sync';

/** Shows connection state `state` of `socket` in `element`, ticking the countdown while a retry is scheduled. */
export function connectionBanner(element, socket, page = document.body) {
  let ticker = null;
  function render() {
    const state = socket.state;
    element.dataset.state = state;
    page.dataset.connection = state;
    if (state === 'reconnecting') {
      const wait = socket.retryAt === null ? 0 : Math.ceil((socket.retryAt - Date.now()) / 1000);
      const countdown = ` · ${wait > 0 ? `retrying in ${wait} s` : 'reconnecting…'}`;
      // The countdown ticks every second: shown, but not read out each time by screen readers.
      if (element.firstChild?.nodeValue !== OFFLINE_TEXT) {
        element.replaceChildren(OFFLINE_TEXT, Object.assign(document.createElement('span'), { ariaHidden: 'true' }));
      }
      if (element.lastChild.textContent !== countdown) element.lastChild.textContent = countdown;
    } else if (state === 'closed') {
      element.textContent = socket.detail || 'Disconnected';
    } else {
      element.textContent = TEXT[state];
    }
    if (state === 'reconnecting' && !ticker) ticker = setInterval(render, 250);
    if (state !== 'reconnecting' && ticker) { clearInterval(ticker); ticker = null; }
  }
  return render;
}
