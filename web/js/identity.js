// This tab's identity in a session: a random client id (kept in sessionStorage with the secret token the server
// issues at the first welcome) and the display names the server accepts.

/** A fresh client id: 12 random bytes as 16 characters of URL-safe base64. */
export function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A name the server accepts (docs/PROTOCOL.md, hello): no controls, bidi overrides, BOM or separators; at most
 *  40 scalars and 160 UTF-8 bytes. Empty when nothing acceptable is left. */
export function displayName(text) {
  const forbidden = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\u2028\u2029]/gu;
  let scalars = Array.from(String(text).replace(forbidden, '').trim()).slice(0, 40);
  while (new TextEncoder().encode(scalars.join('')).length > 160) scalars = scalars.slice(0, -1);
  return scalars.join('').trim();
}
