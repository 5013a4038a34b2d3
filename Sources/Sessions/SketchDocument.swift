import Raster

/// A session's drawing as pure state: the operation log, strokes, per-participant undo history, sliders, and
/// the raster kept up to date incrementally. Knows nothing of connections, threads or storage.
///
/// Rendering rule (what every replica implements): the canvas is white, then every `stroke.points` operation
/// after the newest clear that is not undone paints its segments in sequence order, skipping strokes that are
/// undone. Applying a points operation live paints exactly what a full re-render would.
public struct SketchDocument {
    /// Every operation so far, `ops[i].seq == i + 1`.
    public private(set) var ops: [Operation] = []
    /// Their encoded `op` messages (cached for snapshots).
    public private(set) var encodedOps: [String] = []
    /// The raster after all operations.
    public private(set) var canvas = Canvas()
    /// Current slider values.
    public private(set) var sliders = SliderValues()
    /// Current guidance mode.
    public private(set) var mode = GuidanceMode.live
    /// The appearance palette index picked last; nil while nobody picked one (the model's default).
    public private(set) var appearance: Int?
    /// The highest `ref` applied per author: a reconnecting client resends only what came after it.
    public private(set) var lastRef: [String: Int] = [:]

    /// Per-stroke state, keyed by the stroke's begin seq.
    struct StrokeState {
        var author: String
        var tool: Tool
        var width: Int
        var lastPoint: StrokePoint?
        var pointCount = 0
        var ended = false
        var bounds = DirtyRect.empty
    }
    private var strokes: [Int: StrokeState] = [:]
    /// The point each `stroke.points` op continues from (nil for a stroke's first batch), keyed by op seq.
    private var previousPoint: [Int: StrokePoint] = [:]
    /// Undone strokes and clears (by seq).
    private var undone: Set<Int> = []
    /// All clear operations, in order.
    private var clears: [Int] = []
    /// Per-author undo and redo stacks of stroke/clear seqs.
    private var undoStacks: [String: [Int]] = [:]
    private var redoStacks: [String: [Int]] = [:]

    public init() {}

    /// The highest sequence number applied (0 when empty).
    public var head: Int { ops.count }

    /// The effect of one applied operation, for observers.
    public struct Change: Equatable {
        /// Pixels that may have changed (`.full` after a re-render).
        public var dirty: DirtyRect
        /// Where the stroke this op belongs to stands.
        public var strokePhase: StrokePhase
    }

    /// Builds the body for an undo by `author`, or throws `.nothingToUndo`.
    public func undoTarget(for author: String) throws -> Int {
        guard let target = undoStacks[author]?.last else { throw ProtocolError.nothingToUndo }
        return target
    }

    /// Builds the body for a redo by `author`, or throws `.nothingToRedo`.
    public func redoTarget(for author: String) throws -> Int {
        guard let target = redoStacks[author]?.last else { throw ProtocolError.nothingToRedo }
        return target
    }

    /// Points in a stroke so far (0 for unknown strokes).
    public func pointCount(ofStroke stroke: Int) -> Int { strokes[stroke]?.pointCount ?? 0 }

    /// True when `stroke` was begun and not yet ended.
    public func isOpen(stroke: Int) -> Bool { strokes[stroke].map { !$0.ended } ?? false }

    /// Applies the next operation (its `seq` must be `head + 1`; the session guarantees it, restore checks it).
    @discardableResult
    public mutating func apply(_ op: Operation) -> Change {
        precondition(op.seq == head + 1, "operations apply in sequence")
        ops.append(op)
        encodedOps.append(op.encoded)
        if let ref = op.ref { lastRef[op.author] = max(lastRef[op.author] ?? 0, ref) }
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
            let dirty = CapsuleRasterizer.paint(&canvas, points: points, after: state.lastPoint, width: state.width, tool: state.tool)
            state.lastPoint = last
            state.pointCount += points.count
            state.bounds = state.bounds.union(dirty)
            strokes[stroke] = state
            return Change(dirty: dirty, strokePhase: .inProgress)
        case .strokeEnd(let stroke):
            guard var state = strokes[stroke], !state.ended else { return Change(dirty: .empty, strokePhase: .none) }
            state.ended = true
            strokes[stroke] = state
            if state.pointCount > 0 { undoStacks[state.author, default: []].append(stroke) }
            return Change(dirty: .empty, strokePhase: .ended)
        case .clear:
            clears.append(op.seq)
            undoStacks[op.author, default: []].append(op.seq)
            redoStacks[op.author] = []
            canvas.clear()
            return Change(dirty: .full, strokePhase: .none)
        case .undo(let target):
            undone.insert(target)
            if let i = undoStacks[op.author]?.lastIndex(of: target) { undoStacks[op.author]?.remove(at: i) }
            redoStacks[op.author, default: []].append(target)
            return Change(dirty: rerender(affecting: target), strokePhase: .none)
        case .redo(let target):
            undone.remove(target)
            if let i = redoStacks[op.author]?.lastIndex(of: target) { redoStacks[op.author]?.remove(at: i) }
            undoStacks[op.author, default: []].append(target)
            return Change(dirty: rerender(affecting: target), strokePhase: .none)
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

    /// Re-renders from scratch; returns the target stroke's bounds (or the whole canvas for a clear).
    private mutating func rerender(affecting target: Int) -> DirtyRect {
        canvas = render()
        if let stroke = strokes[target] { return stroke.bounds }
        return .full
    }

    /// The canvas as the rendering rule defines it, computed from the log alone.
    public func render() -> Canvas {
        var canvas = Canvas()
        let start = clears.last(where: { !undone.contains($0) }) ?? 0
        for op in ops[start...] {
            guard case .strokePoints(let stroke, let points) = op.body,
                  let state = strokes[stroke], !undone.contains(stroke) else { continue }
            CapsuleRasterizer.paint(&canvas, points: points, after: previousPoint[op.seq], width: state.width, tool: state.tool)
        }
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
