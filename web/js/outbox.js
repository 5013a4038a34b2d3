// Drawing the server has not confirmed yet. Every drawing message gets a `ref` (increasing for the life of the
// page, across reconnects) and stays here until its `op` comes back (applied) or an `error` names it (refused).
// After a reconnect the `welcome` says which refs the session already holds (`lastRef`); the rest is resent,
// with strokes the server ended when the old connection dropped continued as new strokes from their last
// applied point. So drawing during a network blip or a server restart is not lost.

export class Outbox {
  /** @param {(message: object) => boolean} send  sends now if connected, returns false otherwise */
  constructor(send) {
    this.send = send;
    this.entries = [];          // {ref, msg}, in ref order
    this.strokes = new Map();   // client stroke id → {tool, width, last (px point applied or sent), open}
    this.nextRef = 1;
    this.nextStroke = 1;
  }

  /** Numbers what is unconfirmed from 1 again (a new identity starts with `lastRef` 0); returns old → new ref. */
  renumber() {
    const map = new Map();
    let ref = 1;
    for (const entry of this.entries) { map.set(entry.ref, ref); entry.ref = ref; entry.msg.ref = ref; ref += 1; }
    this.nextRef = ref;
    return map;
  }

  /** A fresh client stroke id. */
  strokeId() { return this.nextStroke++; }

  /** Queues a drawing message (sends it when connected); returns its ref. */
  submit(msg) {
    const ref = this.nextRef++;
    const message = { ...msg, ref };
    this.entries.push({ ref, msg: message });
    if (msg.type === 'stroke.begin') this.strokes.set(msg.id, { tool: msg.tool, width: msg.width, last: null, open: true });
    this.send(message);
    return ref;
  }

  /** A ref for a request that is not drawing (e.g. `candidates`): never reused, never resent. */
  reserveRef() {
    return this.nextRef++;
  }

  /** The op with this ref came back: it and everything before it were processed. */
  applied(ref) {
    while (this.entries.length && this.entries[0].ref <= ref) this.settle(this.entries.shift());
  }

  /** An error named this ref: it was refused. */
  refused(ref) {
    this.entries = this.entries.filter((e) => e.ref !== ref);
  }

  settle(entry) {
    const m = entry.msg;
    const stroke = this.strokes.get(m.id);
    if (m.type === 'stroke.points' && stroke) stroke.last = m.points[m.points.length - 1];
    if (m.type === 'stroke.end') this.strokes.delete(m.id);
  }

  /**
   * After a (re)join: drops what the session holds (ref ≤ lastRef), resends the rest, and returns the new
   * client ids of strokes that continue under another id (old id → new id) so the page can follow them.
   */
  resume(lastRef, activeIds) {
    this.nextRef = Math.max(this.nextRef, lastRef + 1);
    this.applied(lastRef);
    const remap = new Map();
    const continued = (oldId) => {
      if (remap.has(oldId)) return remap.get(oldId);
      const info = this.strokes.get(oldId);
      const newId = this.strokeId();
      remap.set(oldId, newId);
      if (info) {
        this.strokes.delete(oldId);
        this.strokes.set(newId, info);
        this.send({ type: 'stroke.begin', id: newId, tool: info.tool, width: info.width });
        info.join = info.last;   // the server ended the old stroke: start the new one where it stopped
      }
      return newId;
    };
    const kept = [];
    for (const entry of this.entries) {
      const m = entry.msg;
      if (m.type === 'stroke.begin') {
        const newId = this.strokeId();
        remap.set(m.id, newId);
        const info = this.strokes.get(m.id);
        this.strokes.delete(m.id);
        this.strokes.set(newId, info);
        m.id = newId;
      } else if (m.type === 'stroke.end' && !remap.has(m.id)) {
        this.strokes.delete(m.id);   // everything else of it was applied, and the server already ended it
        continue;
      } else if (m.type === 'stroke.points' || m.type === 'stroke.end') {
        m.id = continued(m.id);
        const info = this.strokes.get(m.id);
        if (m.type === 'stroke.points' && info && info.join) {
          m.points = [info.join, ...m.points];
          info.join = null;
        }
      }
      kept.push(entry);
      this.send(m);
    }
    this.entries = kept;
    for (const id of activeIds) continued(id);
    return remap;
  }

  /** Points to prepend to the next batch of a continued stroke (its last applied point), once. */
  takeJoin(id) {
    const info = this.strokes.get(id);
    if (!info || !info.join) return null;
    const join = info.join;
    info.join = null;
    return join;
  }
}
