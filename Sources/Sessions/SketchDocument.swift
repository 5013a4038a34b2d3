import Raster

/// A session's drawing as pure state: the operation log, strokes, per-participant undo history, sliders, and
/// the raster kept up to date incrementally. Knows nothing of connections, threads or storage.
///
/// Rendering rule (what every replica implements): the canvas is white, then every `stroke.points` operation
/// after the newest clear that is not undone paints its segments in sequence order, skipping strokes that are
/// undone. Applying a points operation live paints exactly what a full re-render would.
///
/// Undo reach: only the most recent drawing, about `undoReach` pixels of painting work, can be undone or
/// redone. Everything older is baked into a checkpoint raster (`base`), so an undo or redo re-renders at most
/// that window, clipped to the stroke's bounds, however long the history (docs/SESSIONS.md, "Undo reach").
public struct SketchDocument {
    /// Every operation's encoded `op` message, `encodedOps[i]` being seq `i + 1` (snapshots send them as they are).
    public internal(set) var encodedOps: [String] = []
    /// The operations after `horizon`, decoded (`window[i].seq == horizon + 1 + i`): older ones live only as text,
    /// so a long history costs its encoded bytes, not its values twice over.
    var window: [Operation] = []
    /// UTF-8 bytes of `encodedOps` (what the session and server byte budgets count).
    public internal(set) var storedBytes = 0
    /// The raster after all operations.
    public internal(set) var canvas = Canvas()
    /// Current slider values.
    public internal(set) var sliders = SliderValues()
    /// Current guidance mode.
    public internal(set) var mode = GuidanceMode.live
    /// The appearance palette index picked last; nil while nobody picked one (the model's default).
    public internal(set) var appearance: Int?
    /// The highest `ref` applied per author: a reconnecting client resends only what came after it.
    public internal(set) var lastRef: [String: Int] = [:]
    /// Painting work (`CapsuleRasterizer.cost`) the undo window may hold before its oldest operations are baked.
    public let undoReach: Int
    /// Operations up to this seq are baked into `base`: their strokes and clears can no longer be undone or redone.
    public internal(set) var horizon = 0
    /// The raster of the operations up to `horizon`, as they will stay.
    var base = Canvas()
    /// Painting work of the `stroke.points` operations after `horizon` (what a re-render costs at most).
    public internal(set) var windowWork = 0
    /// Work of each `stroke.points` operation after `horizon`, by seq.
    var work: [Int: Int] = [:]

    /// Per-stroke state, keyed by the stroke's begin seq.
    struct StrokeState {
        var author: String
        var tool: Tool
        var width: Int
        var lastPoint: StrokePoint?
        var pointCount = 0
        var ended = false
        var bounds = DirtyRect.empty
        /// Seq of the stroke's last `stroke.points` (a clear after it hides the whole stroke).
        var lastPaint = 0
    }
    var strokes: [Int: StrokeState] = [:]
    /// The point each `stroke.points` op continues from (nil for a stroke's first batch), keyed by op seq.
    var previousPoint: [Int: StrokePoint] = [:]
    /// Undone strokes and clears (by seq).
    var undone: Set<Int> = []
    /// All clear operations, in order.
    var clears: [Int] = []
    /// Per-author undo and redo stacks of stroke/clear seqs.
    var undoStacks: [String: [Int]] = [:]
    var redoStacks: [String: [Int]] = [:]
    /// FNV-1a (64 bit) of every encoded operation, each followed by a newline: ties a checkpoint to its log.
    public internal(set) var logHash = SketchDocument.emptyLogHash

    /// Default `undoReach`: about a thousand ordinary strokes; a re-render of it takes tens of milliseconds.
    public static let defaultUndoReach = 4_000_000

    public init(undoReach: Int = SketchDocument.defaultUndoReach) {
        self.undoReach = undoReach
    }

    /// The highest sequence number applied (0 when empty).
    public var head: Int { encodedOps.count }

    /// The effect of one applied operation, for observers.
    public struct Change: Equatable {
        /// Pixels that may have changed (`.full` after a re-render).
        public var dirty: DirtyRect
        /// Where the stroke this op belongs to stands.
        public var strokePhase: StrokePhase
    }

    /// The newest clear that is not undone (0 when none): what came before it is hidden.
    private var visibleClear: Int { clears.last(where: { !undone.contains($0) }) ?? 0 }

    /// True when undoing `item` (a stroke or clear seq) would change what everyone sees: it is inside the undo
    /// window and not hidden by a newer clear (docs/PROTOCOL.md: "still visible").
    private func isUndoable(_ item: Int, hiddenBefore clear: Int) -> Bool {
        guard item > horizon else { return false }
        if let stroke = strokes[item] { return stroke.lastPaint > clear }
        return item >= clear
    }

    /// The target of an undo by `author`: its most recent stroke or clear that is still visible, or throws
    /// `.nothingToUndo`.
    public func undoTarget(for author: String) throws -> Int {
        let clear = visibleClear
        guard let target = undoStacks[author]?.last(where: { isUndoable($0, hiddenBefore: clear) }) else {
            throw ProtocolError.nothingToUndo
        }
        return target
    }

    /// The target of a redo by `author`: its most recently undone stroke or clear still inside the undo window,
    /// or throws `.nothingToRedo`.
    public func redoTarget(for author: String) throws -> Int {
        guard let target = redoStacks[author]?.last(where: { $0 > horizon }) else { throw ProtocolError.nothingToRedo }
        return target
    }

    /// Painting work an undo or redo may cost at most: the window's strokes re-rendered, plus the copy.
    public var rerenderWork: Int { windowWork + Canvas.size * Canvas.size }

    /// Painting work of appending `points` to `stroke` (0 for unknown strokes: they paint nothing).
    public func paintWork(ofStroke stroke: Int, points: [StrokePoint]) -> Int {
        guard let state = strokes[stroke] else { return 0 }
        return CapsuleRasterizer.cost(points: points, after: state.lastPoint, width: state.width)
    }

    /// Points in a stroke so far (0 for unknown strokes).
    public func pointCount(ofStroke stroke: Int) -> Int { strokes[stroke]?.pointCount ?? 0 }

    /// True when `stroke` was begun and not yet ended.
    public func isOpen(stroke: Int) -> Bool { strokes[stroke].map { !$0.ended } ?? false }

    /// Applies the next operation (its `seq` must be `head + 1`; the session guarantees it, restore checks it).
    /// With `painting` false (replaying a stored log) the live raster is left stale until `repaint()`: each
    /// operation is painted once, when it is baked, instead of at every undo along the way.
    @discardableResult
    public mutating func apply(_ op: Operation, painting: Bool = true) -> Change {
        precondition(op.seq == head + 1, "operations apply in sequence")
        window.append(op)
        let encoded = op.encoded
        encodedOps.append(encoded)
        storedBytes += encoded.utf8.count
        logHash = SketchDocument.logHash(logHash, appending: encoded)
        if let ref = op.ref { lastRef[op.author] = max(lastRef[op.author] ?? 0, ref) }
        let change = update(op, painting: painting)
        bakeBeyondReach()
        return change
    }

    private mutating func update(_ op: Operation, painting: Bool) -> Change {
        switch op.body {
        case .strokeBegin(let tool, let width):
            strokes[op.seq] = StrokeState(author: op.author, tool: tool, width: width)
            redoStacks[op.author] = []
            return Change(dirty: .empty, strokePhase: .inProgress)
        case .strokePoints(let stroke, let points):
            guard var state = strokes[stroke], !state.ended, let last = points.last else {
                return Change(dirty: .empty, strokePhase: .none)
            }
            if let previous = state.lastPoint { previousPoint[op.seq] = previous }
            let cost = CapsuleRasterizer.cost(points: points, after: state.lastPoint, width: state.width)
            work[op.seq] = cost
            windowWork += cost
            var dirty = DirtyRect.empty
            if painting {
                dirty = CapsuleRasterizer.paint(&canvas, points: points, after: state.lastPoint, width: state.width, tool: state.tool)
            }
            state.lastPoint = last
            state.pointCount += points.count
            state.bounds = state.bounds.union(CapsuleRasterizer.bounds(points: points, after: previousPoint[op.seq], width: state.width))
            state.lastPaint = op.seq
            strokes[stroke] = state
            return Change(dirty: dirty, strokePhase: .inProgress)
        case .strokeEnd(let stroke):
            guard var state = strokes[stroke], !state.ended else { return Change(dirty: .empty, strokePhase: .none) }
            state.ended = true
            strokes[stroke] = state
            if state.pointCount > 0, stroke > horizon { undoStacks[state.author, default: []].append(stroke) }
            return Change(dirty: .empty, strokePhase: .ended)
        case .clear:
            clears.append(op.seq)
            undoStacks[op.author, default: []].append(op.seq)
            redoStacks[op.author] = []
            if painting { canvas.clear() }
            return Change(dirty: .full, strokePhase: .none)
        case .undo(let target):
            undone.insert(target)
            if let i = undoStacks[op.author]?.lastIndex(of: target) { undoStacks[op.author]?.remove(at: i) }
            redoStacks[op.author, default: []].append(target)
            return Change(dirty: painting ? rerender(affecting: target) : .empty, strokePhase: .none)
        case .redo(let target):
            undone.remove(target)
            if let i = redoStacks[op.author]?.lastIndex(of: target) { redoStacks[op.author]?.remove(at: i) }
            undoStacks[op.author, default: []].append(target)
            return Change(dirty: painting ? rerender(affecting: target) : .empty, strokePhase: .none)
        case .sliders(let values):
            sliders = values
            return Change(dirty: .empty, strokePhase: .none)
        case .mode(let mode):
            self.mode = mode
            return Change(dirty: .empty, strokePhase: .none)
        case .appearance(let index):
            appearance = index
            return Change(dirty: .empty, strokePhase: .none)
        }
    }

    /// Bakes the oldest operations into `base` while the window holds more than `undoReach` of work, down to
    /// three quarters of it (so baking happens in runs, and the stacks are pruned once per run).
    private mutating func bakeBeyondReach() {
        guard windowWork > undoReach else { return }
        var baked = 0
        while windowWork > undoReach * 3 / 4, horizon < head {
            horizon += 1
            let op = window[baked]
            baked += 1
            switch op.body {
            case .strokePoints(let stroke, let points):
                if let state = strokes[stroke], !undone.contains(stroke) {
                    CapsuleRasterizer.paint(&base, points: points, after: previousPoint[op.seq], width: state.width, tool: state.tool)
                }
                windowWork -= work.removeValue(forKey: op.seq) ?? 0
                previousPoint[op.seq] = nil
            case .clear where !undone.contains(op.seq):
                base.clear()
            case .strokeEnd(let stroke):
                if strokes[stroke]?.ended == true, stroke <= horizon { strokes[stroke] = nil }
            default:
                break
            }
        }
        window.removeFirst(baked)
        let horizon = self.horizon
        for author in undoStacks.keys { undoStacks[author]?.removeAll { $0 <= horizon } }
        for author in redoStacks.keys { redoStacks[author]?.removeAll { $0 <= horizon } }
        undone = undone.filter { $0 > horizon || strokes[$0] != nil }   // a stroke straddling the horizon stays hidden
        clears.removeAll { $0 <= horizon }
    }

    /// Re-renders the target's pixels from the checkpoint; returns them (its bounds, or everything for a clear).
    private mutating func rerender(affecting target: Int) -> DirtyRect {
        let region = strokes[target]?.bounds ?? .full
        render(region, into: &canvas)
        return region
    }

    /// Paints `region` of `target` as the rendering rule defines it: the checkpoint, then the window.
    private func render(_ region: DirtyRect, into target: inout Canvas) {
        target.copy(region, from: base)
        for op in window {
            switch op.body {
            case .strokePoints(let stroke, let points):
                guard let state = strokes[stroke], !undone.contains(stroke), state.bounds.intersects(region) else { continue }
                CapsuleRasterizer.paint(&target, points: points, after: previousPoint[op.seq], width: state.width,
                                        tool: state.tool, clip: region)
            case .clear where !undone.contains(op.seq):
                target.clear(region)
            default:
                continue
            }
        }
    }

    /// Brings the live raster up to date after a replay with `painting: false`.
    public mutating func repaint() {
        render(.full, into: &canvas)
    }

    /// The canvas as the rendering rule defines it, re-rendered from the checkpoint and the window.
    public func render() -> Canvas {
        var canvas = Canvas()
        render(.full, into: &canvas)
        return canvas
    }
}

/// Where a stroke stands after an operation: guidance refreshes shadows while `inProgress` (throttled) and
/// synthesises when `ended`.
public enum StrokePhase: String, Sendable, Equatable {
    /// Not a stroke operation (undo, clear, sliders, …).
    case none
    /// A stroke began or grew.
    case inProgress
    /// A stroke just ended.
    case ended
}
