// Port of Sources/Sessions/SketchDocument.swift: the client's replica of a session, built only from the
// server's `op` messages applied in seq order (see docs/PROTOCOL.md, "Units and rendering").
import { newCanvas, paint, quantizePoint, quantizeWidth } from './raster.js';

/** A slider's value: the one set in the session, else its default (docs/PROTOCOL.md, "sliders"). */
export function sliderValue(sliders, name) {
  return name in sliders ? sliders[name] : (name === 'master' ? 1 : 0.5);
}

export class SketchDocument {
  constructor() { this.reset(); }

  reset() {
    this.head = 0;
    this.ops = [];
    this.canvas = newCanvas();
    this.strokes = new Map();      // begin seq → {author, tool, width, last, ended}
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
    const kept = { seq: op.seq, kind: op.kind, author: op.author };
    this.ops.push(kept);
    switch (op.kind) {
      case 'stroke.begin':
        this.strokes.set(op.seq, { author: op.author, tool: op.tool, width: quantizeWidth(op.width), last: null, ended: false, count: 0 });
        return { dirty: null };
      case 'stroke.points': {
        const s = this.strokes.get(op.stroke);
        if (!s || s.ended || op.points.length === 0) return { dirty: null };
        const pts = op.points.map((q) => quantizePoint(q.x, q.y, q.p));
        kept.stroke = op.stroke;
        kept.points = pts;
        if (s.last) this.previous.set(op.seq, s.last);
        const dirty = paint(this.canvas, pts, s.last, s.width, s.tool);
        s.last = pts[pts.length - 1];
        s.count += pts.length;
        return { dirty };
      }
      case 'stroke.end': {
        const s = this.strokes.get(op.stroke);
        if (!s || s.ended) return { dirty: null };
        s.ended = true;
        if (s.count > 0) this.stack(s.author).push(op.stroke);
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
        this.canvas = this.render();
        return { dirty: 'full' };
      }
      case 'redo':
        this.undone.delete(op.target);
        this.stack(op.author).push(op.target);
        this.canvas = this.render();
        return { dirty: 'full' };
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

  stack(author) {
    if (!this.undoStacks.has(author)) this.undoStacks.set(author, []);
    return this.undoStacks.get(author);
  }

  /** The canvas from the log alone. */
  render() {
    const canvas = newCanvas();
    let start = 0;
    for (let k = this.clears.length - 1; k >= 0; k--) {
      if (!this.undone.has(this.clears[k])) { start = this.clears[k]; break; }
    }
    for (let k = start; k < this.ops.length; k++) {
      const op = this.ops[k];
      if (op.kind !== 'stroke.points' || this.undone.has(op.stroke)) continue;
      const s = this.strokes.get(op.stroke);
      paint(canvas, op.points, this.previous.get(op.seq) || null, s.width, s.tool);
    }
    return canvas;
  }
}
