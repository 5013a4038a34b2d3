// Port of Sources/Sessions/SketchDocument.swift: the client's replica of a session, built only from the
// server's `op` messages applied in seq order (see docs/PROTOCOL.md, "Units and rendering").
//
// Like the server, it bakes drawing older than the undo reach (the welcome's `undoReach`, in painting work) into a
// checkpoint raster, with the same integer rule, so an undo or redo re-renders only the recent window, clipped to
// the stroke's bounds, however long the session: the server never targets anything older.
import { bounds, clearRect, copyRect, cost, intersects, newCanvas, paint, quantizePoint, quantizeWidth } from './raster.js';

const FULL = [0, 0, 512, 512];

/** A slider's value: the one set in the session, else its default (docs/PROTOCOL.md, "sliders"). */
export function sliderValue(sliders, name) {
  return name in sliders ? sliders[name] : (name === 'master' ? 1 : 0.5);
}

export class SketchDocument {
  constructor(undoReach = 4000000) { this.reset(undoReach); }

  reset(undoReach = this.undoReach) {
    this.undoReach = undoReach;
    this.head = 0;
    this.window = [];              // ops after the horizon, in seq order
    this.horizon = 0;              // ops up to here are baked into `base`
    this.base = newCanvas();
    this.windowWork = 0;
    this.work = new Map();         // points op seq → its painting work
    this.canvas = newCanvas();
    this.strokes = new Map();      // begin seq → {author, tool, width, last, ended, count, bounds}
    this.previous = new Map();     // points op seq → point it continues from
    this.undone = new Set();
    this.clears = [];
    this.undoStacks = new Map();   // author → [seq]
    this.sliders = {};              // values set in the session; the others are at their default (sliderValue)
    this.mode = 'live';
    this.appearance = null;         // palette index picked in the session; null: the model's default
  }

  /** Applies one `op` message (must be head + 1). Returns {dirty: [x0,y0,x1,y1] | 'full' | null}. */
  apply(op) {
    if (op.seq !== this.head + 1) throw new Error(`op ${op.seq} applied at head ${this.head}`);
    this.head = op.seq;
    const kept = { seq: op.seq, kind: op.kind, author: op.author, target: op.target };
    this.window.push(kept);
    const change = this.update(op, kept);
    this.bakeBeyondReach();
    return change;
  }

  update(op, kept) {
    switch (op.kind) {
      case 'stroke.begin':
        this.strokes.set(op.seq, { author: op.author, tool: op.tool, width: quantizeWidth(op.width), last: null, ended: false, count: 0, bounds: null });
        return { dirty: null };
      case 'stroke.points': {
        const s = this.strokes.get(op.stroke);
        if (!s || s.ended || op.points.length === 0) return { dirty: null };
        const pts = op.points.map((q) => quantizePoint(q.x, q.y, q.p));
        kept.stroke = op.stroke;
        kept.points = pts;
        if (s.last) this.previous.set(op.seq, s.last);
        const work = cost(pts, s.last, s.width);
        this.work.set(op.seq, work);
        this.windowWork += work;
        const dirty = paint(this.canvas, pts, s.last, s.width, s.tool);
        const touched = bounds(pts, s.last, s.width);
        s.bounds = s.bounds ? [Math.min(s.bounds[0], touched[0]), Math.min(s.bounds[1], touched[1]),
          Math.max(s.bounds[2], touched[2]), Math.max(s.bounds[3], touched[3])] : touched;
        s.last = pts[pts.length - 1];
        s.count += pts.length;
        return { dirty };
      }
      case 'stroke.end': {
        const s = this.strokes.get(op.stroke);
        if (!s || s.ended) return { dirty: null };
        s.ended = true;
        kept.stroke = op.stroke;
        if (s.count > 0 && op.stroke > this.horizon) this.stack(s.author).push(op.stroke);
        return { dirty: null };
      }
      case 'clear':
        this.clears.push(op.seq);
        this.stack(op.author).push(op.seq);
        this.canvas.fill(255);
        return { dirty: 'full' };
      case 'undo': {
        this.undone.add(op.target);
        const st = this.stack(op.author);
        const i = st.lastIndexOf(op.target);
        if (i >= 0) st.splice(i, 1);
        return { dirty: this.rerender(op.target) };
      }
      case 'redo':
        this.undone.delete(op.target);
        this.stack(op.author).push(op.target);
        return { dirty: this.rerender(op.target) };
      case 'sliders':
        this.sliders = { ...op.values };
        return { dirty: null, sliders: true };
      case 'mode':
        this.mode = op.mode;
        return { dirty: null, mode: true };
      case 'appearance':
        this.appearance = op.index;
        return { dirty: null, appearance: true };
      default:
        return { dirty: null };
    }
  }

  /** Bakes the oldest ops while the window holds more than the undo reach, down to three quarters of it. */
  bakeBeyondReach() {
    if (this.windowWork <= this.undoReach) return;
    let baked = 0;
    const floor = Math.floor(this.undoReach * 3 / 4);
    while (this.windowWork > floor && this.horizon < this.head) {
      this.horizon += 1;
      const op = this.window[baked];
      baked += 1;
      if (op.kind === 'stroke.points' && op.points) {
        const s = this.strokes.get(op.stroke);
        if (s && !this.undone.has(op.stroke)) paint(this.base, op.points, this.previous.get(op.seq) || null, s.width, s.tool);
        this.windowWork -= this.work.get(op.seq) || 0;
        this.work.delete(op.seq);
        this.previous.delete(op.seq);
      } else if (op.kind === 'clear' && !this.undone.has(op.seq)) {
        this.base.fill(255);
      } else if (op.kind === 'stroke.end' && op.stroke !== undefined) {
        const s = this.strokes.get(op.stroke);
        if (s && s.ended && op.stroke <= this.horizon) this.strokes.delete(op.stroke);
      }
    }
    this.window.splice(0, baked);
    const horizon = this.horizon;
    for (const [author, st] of this.undoStacks) this.undoStacks.set(author, st.filter((seq) => seq > horizon));
    this.undone = new Set([...this.undone].filter((seq) => seq > horizon || this.strokes.has(seq)));
    this.clears = this.clears.filter((seq) => seq > horizon);
  }

  stack(author) {
    if (!this.undoStacks.has(author)) this.undoStacks.set(author, []);
    return this.undoStacks.get(author);
  }

  /** Re-renders the target's pixels (its bounds, or everything for a clear); returns them as the dirty rect. */
  rerender(target) {
    const s = this.strokes.get(target);
    const region = s && s.bounds ? s.bounds : FULL;
    this.renderInto(this.canvas, region);
    return region === FULL ? 'full' : region;
  }

  renderInto(canvas, region) {
    copyRect(canvas, this.base, region);
    for (const op of this.window) {
      if (op.kind === 'stroke.points' && op.points) {
        const s = this.strokes.get(op.stroke);
        if (!s || this.undone.has(op.stroke) || !s.bounds || !intersects(s.bounds, region)) continue;
        paint(canvas, op.points, this.previous.get(op.seq) || null, s.width, s.tool, region);
      } else if (op.kind === 'clear' && !this.undone.has(op.seq)) {
        clearRect(canvas, region);
      }
    }
  }

  /** The canvas from the checkpoint and the window alone. */
  render() {
    const canvas = newCanvas();
    this.renderInto(canvas, FULL);
    return canvas;
  }
}
