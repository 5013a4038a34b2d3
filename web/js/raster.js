// Exact port of Sources/Raster (CapsuleRasterizer, StrokePoint, StrokeWidth): the same integer arithmetic,
// so a browser's replica of a session canvas equals the server's byte for byte. All intermediate values are
// integers below 2^53 (the largest product is below 2^45), so JavaScript doubles represent them exactly.

export const SIZE = 512;
export const SUB = 16;
export const PAPER = 255;

/** A blank 512×512 canvas (row-major grey, 255 = paper). */
export function newCanvas() {
  return new Uint8Array(SIZE * SIZE).fill(PAPER);
}

/** Quantises a point given in canvas pixels and 0..1 pressure (round half up, as the server does). */
export function quantizePoint(x, y, p) {
  return { x: Math.floor(x * SUB + 0.5), y: Math.floor(y * SUB + 0.5), p: Math.floor(p * 255 + 0.5) };
}

/** Nominal width in 1/16 px from pixels. */
export function quantizeWidth(pixels) {
  return Math.floor(pixels * SUB + 0.5);
}

/** Radius in 1/16 px at a pressure (0..255). */
export function radius(width, pressure) {
  return Math.max(4, Math.floor((width * (255 + 3 * pressure)) / 2040));
}

function floorDiv(a, b) {
  let q = Math.floor(a / b);
  if (q * b > a) q -= 1;
  else if ((q + 1) * b <= a) q += 1;
  return q;
}

function isqrt(n) {
  let s = Math.floor(Math.sqrt(n));
  while (s * s > n) s -= 1;
  while ((s + 1) * (s + 1) <= n) s += 1;
  return s;
}

const MARGIN = 1;

/** The capsule's row spans (CapsuleShape.swift): the pixels of each row that may be covered, a superset. */
function capsuleShape(a, b, reachSub) {
  return { ax: a.x / SUB, ay: a.y / SUB, bx: b.x / SUB, by: b.y / SUB, reach: reachSub / SUB + 0.5 + MARGIN };
}

function restrict(span, slope, offset, lower, upper) {
  if (slope === 0) {
    if (offset < lower || offset > upper) { span.from = Infinity; span.to = -Infinity; }
    return;
  }
  const x1 = (lower - offset) / slope, x2 = (upper - offset) / slope;
  span.from = Math.max(span.from, Math.min(x1, x2));
  span.to = Math.min(span.to, Math.max(x1, x2));
}

/** [first, last] columns of row `row` that may be covered, clipped to [minX, maxX]; null when none. */
function columns(shape, row, minX, maxX) {
  const cy = row + 0.5;
  let low = Infinity, high = -Infinity;
  for (let end = 0; end < 2; end++) {
    const x = end === 0 ? shape.ax : shape.bx, y = end === 0 ? shape.ay : shape.by;
    const h = shape.reach * shape.reach - (cy - y) * (cy - y);
    if (h >= 0) {
      const half = Math.sqrt(h);
      low = Math.min(low, x - half); high = Math.max(high, x + half);
    }
  }
  const dx = shape.bx - shape.ax, dy = shape.by - shape.ay;
  const lengthSquared = dx * dx + dy * dy;
  if (lengthSquared > 0) {
    const band = shape.reach * Math.sqrt(lengthSquared);
    const span = { from: -Infinity, to: Infinity };
    restrict(span, dx, (cy - shape.ay) * dy - shape.ax * dx, 0, lengthSquared);
    restrict(span, dy, -(cy - shape.ay) * dx - shape.ax * dy, -band, band);
    if (span.from <= span.to) { low = Math.min(low, span.from); high = Math.max(high, span.to); }
  }
  if (!(low <= high)) return null;
  const first = Math.max(minX, Math.ceil(low - 0.5));
  const last = Math.min(maxX, Math.floor(high - 0.5));
  return first <= last ? [first, last] : null;
}

const FULL = [0, 0, SIZE, SIZE];

/** Paints one capsule segment a→b, only inside `clip` ([x0, y0, x1, y1), default the canvas); returns the dirty
 *  rect [minX, minY, maxX, maxY) or null. */
export function paintSegment(px, a, b, width, tool, clip = FULL) {
  const ra = radius(width, a.p), rb = radius(width, b.p);
  const reach = Math.max(ra, rb);
  const minX = Math.max(clip[0], floorDiv(Math.min(a.x, b.x) - reach, SUB) - 1);
  const minY = Math.max(clip[1], floorDiv(Math.min(a.y, b.y) - reach, SUB) - 1);
  const maxX = Math.min(clip[2] - 1, floorDiv(Math.max(a.x, b.x) + reach, SUB) + 1);
  const maxY = Math.min(clip[3] - 1, floorDiv(Math.max(a.y, b.y) + reach, SUB) + 1);
  if (minX > maxX || minY > maxY) return null;
  const dx = b.x - a.x, dy = b.y - a.y;
  const den = dx * dx + dy * dy;
  const isPen = tool === 'pen';
  const shape = capsuleShape(a, b, reach);
  for (let j = minY; j <= maxY; j++) {
    const span = columns(shape, j, minX, maxX);
    if (span === null) continue;
    const cy = j * SUB + SUB / 2;
    for (let i = span[0]; i <= span[1]; i++) {
      const cx = i * SUB + SUB / 2;
      let qx = a.x * SUB, qy = a.y * SUB, r = reach;
      if (den > 0) {
        let num = (cx - a.x) * dx + (cy - a.y) * dy;
        if (num < 0) num = 0; else if (num > den) num = den;
        qx += floorDiv(dx * SUB * num, den);
        qy += floorDiv(dy * SUB * num, den);
        r = ra + floorDiv((rb - ra) * num, den);
      }
      const ex = cx * SUB - qx, ey = cy * SUB - qy;
      const d = isqrt(ex * ex + ey * ey);
      let cover = r * SUB - d + 128;
      if (cover <= 0) continue;
      if (cover > 256) cover = 256;
      const ink = (cover * 255 + 128) >> 8;
      const index = j * SIZE + i;
      if (isPen) {
        const v = 255 - ink;
        if (v < px[index]) px[index] = v;
      } else if (ink > px[index]) {
        px[index] = ink;
      }
    }
  }
  return [minX, minY, maxX + 1, maxY + 1];
}

/** Paints a run of points continuing from `previous` (or a dot at the first point when null), inside `clip`. */
export function paint(px, points, previous, width, tool, clip = FULL) {
  if (points.length === 0) return null;
  let dirty = unionRect(null, paintSegment(px, previous || points[0], points[0], width, tool, clip));
  for (let k = 1; k < points.length; k++) {
    dirty = unionRect(dirty, paintSegment(px, points[k - 1], points[k], width, tool, clip));
  }
  return dirty;
}

/** The rect `paint` may change for these points, without painting (CapsuleRasterizer.bounds). */
export function bounds(points, previous, width) {
  let dirty = null;
  let last = previous || points[0];
  for (const p of points) {
    const reach = Math.max(radius(width, last.p), radius(width, p.p));
    dirty = unionRect(dirty, [Math.max(0, floorDiv(Math.min(last.x, p.x) - reach, SUB) - 1),
      Math.max(0, floorDiv(Math.min(last.y, p.y) - reach, SUB) - 1),
      Math.min(SIZE, floorDiv(Math.max(last.x, p.x) + reach, SUB) + 2),
      Math.min(SIZE, floorDiv(Math.max(last.y, p.y) + reach, SUB) + 2)]);
    last = p;
  }
  return dirty;
}

/** Painting work of these points (CapsuleRasterizer.cost): what the undo window counts. */
export function cost(points, previous, width) {
  if (points.length === 0) return 0;
  let total = 0;
  let last = previous || points[0];
  for (const p of points) {
    const r = Math.floor(Math.max(radius(width, last.p), radius(width, p.p)) / SUB) + 1;
    const dx = p.x - last.x, dy = p.y - last.y;
    const length = Math.floor(isqrt(dx * dx + dy * dy) / SUB) + 1;
    total += (2 * r + 4) * (length + 2 * r + 4);
    last = p;
  }
  return total;
}

/** Copies rect [x0, y0, x1, y1) of `from` into `to`. */
export function copyRect(to, from, rect) {
  for (let y = rect[1]; y < rect[3]; y++) to.set(from.subarray(y * SIZE + rect[0], y * SIZE + rect[2]), y * SIZE + rect[0]);
}

/** Resets rect [x0, y0, x1, y1) to paper. */
export function clearRect(px, rect) {
  for (let y = rect[1]; y < rect[3]; y++) px.fill(PAPER, y * SIZE + rect[0], y * SIZE + rect[2]);
}

export function intersects(a, b) {
  return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3] && a[0] < a[2] && a[1] < a[3] && b[0] < b[2] && b[1] < b[3];
}

export function unionRect(a, b) {
  if (!a) return b;
  if (!b) return a;
  return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])];
}

/** FNV-1a of the pixels (the checksum RasterTests pins). */
export function checksum(px) {
  let h = 2166136261 >>> 0;
  for (let k = 0; k < px.length; k++) {
    h = Math.imul(h ^ px[k], 16777619) >>> 0;
  }
  return h;
}
