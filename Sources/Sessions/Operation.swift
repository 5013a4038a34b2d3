import Raster

/// One accepted, sequenced change to a session: what is broadcast, stored and replayed.
///
/// Its JSON form (`encoded`) is the `op` message of docs/PROTOCOL.md, byte-for-byte what every participant
/// receives and what the database row holds, so a restart replays exactly what clients saw.
public struct Operation: Equatable, Sendable {
    /// Session-wide sequence number, 1, 2, 3, … in the order the server accepted them.
    public var seq: Int
    /// Participant (client id) who made it.
    public var author: String
    /// The author's own message reference, echoed so it can match the op with what it drew; not meaningful to others.
    public var ref: Int?
    /// What happened.
    public var body: Body

    /// Operation payloads.
    public enum Body: Equatable, Sendable {
        /// A stroke starts; its id is this operation's `seq`. `width` is nominal width in 1/16 px.
        case strokeBegin(tool: Tool, width: Int)
        /// Points appended to an open stroke (quantised).
        case strokePoints(stroke: Int, points: [StrokePoint])
        /// The stroke is finished (and becomes undoable).
        case strokeEnd(stroke: Int)
        /// The author's stroke or clear `target` (a seq) is hidden.
        case undo(target: Int)
        /// The author's undone `target` is shown again.
        case redo(target: Int)
        /// Everything before is hidden (undoable like a stroke).
        case clear
        /// Slider values after the change (master and every slider set so far).
        case sliders(SliderValues)
        /// Guidance mode change.
        case mode(GuidanceMode)
        /// The appearance: an index into the model's palette of appearance codes.
        case appearance(Int)
    }

    public init(seq: Int, author: String, ref: Int?, body: Body) {
        self.seq = seq; self.author = author; self.ref = ref; self.body = body
    }

    /// The wire kind (`stroke.begin`, `undo`, …).
    public var kind: OperationKind {
        switch body {
        case .strokeBegin: return .strokeBegin
        case .strokePoints: return .strokePoints
        case .strokeEnd: return .strokeEnd
        case .undo: return .undo
        case .redo: return .redo
        case .clear: return .clear
        case .sliders: return .sliders
        case .mode: return .mode
        case .appearance: return .appearance
        }
    }

    /// The `op` message text.
    public var encoded: String {
        var json = JSONText()
        json.add("type", "op")
        json.add("seq", seq)
        json.add("kind", kind.rawValue)
        json.add("author", author)
        if let ref { json.add("ref", ref) }
        switch body {
        case .strokeBegin(let tool, let width):
            json.add("stroke", seq)
            json.add("tool", tool.rawValue)
            json.add("width", Double(width) / Double(StrokePoint.subpixels))
        case .strokePoints(let stroke, let points):
            json.add("stroke", stroke)
            json.add("points", raw: Operation.encode(points))
        case .strokeEnd(let stroke):
            json.add("stroke", stroke)
        case .undo(let target), .redo(let target):
            json.add("target", target)
        case .clear:
            break
        case .sliders(let sliders):
            json.add("values", raw: Operation.encode(sliders))
        case .mode(let mode):
            json.add("mode", mode.rawValue)
        case .appearance(let index):
            json.add("index", index)
        }
        return json.finished()
    }

    static func encode(_ points: [StrokePoint]) -> String {
        JSONText.array(points.map { p in
            var json = JSONText()
            json.add("x", p.pixelX); json.add("y", p.pixelY); json.add("p", p.unitPressure)
            return json.finished()
        })
    }

    static func encode(_ sliders: SliderValues) -> String {
        var json = JSONText()
        // The master always (a fresh session's welcome shows the shape), then every slider set, sorted.
        json.add(SliderValues.master, sliders[SliderValues.master])
        for name in sliders.values.keys.sorted() where name != SliderValues.master { json.add(name, sliders[name]) }
        return json.finished()
    }

    /// Decodes a stored `op` message (restore on start). Throws `ProtocolError` naming the bad field.
    public init(encoded text: String) throws {
        let fields = try JSONFields.parse(text)
        let seq = try fields.integer("seq", in: 1...Int(Int32.max))
        let author = try fields.string("author")
        let ref = try fields.optionalInteger("ref", in: 0...Int(Int32.max))
        let kindText = try fields.string("kind")
        guard let kind = OperationKind(rawValue: kindText) else { throw ProtocolError.invalidField("kind", "unknown kind") }
        let body: Body
        switch kind {
        case .strokeBegin:
            guard let tool = Tool(rawValue: try fields.string("tool")) else { throw ProtocolError.invalidField("tool", "unknown tool") }
            body = .strokeBegin(tool: tool, width: StrokeWidth.quantize(pixels: try fields.number("width", in: StrokeWidth.minPixels...StrokeWidth.maxPixels)))
        case .strokePoints:
            body = .strokePoints(stroke: try fields.integer("stroke", in: 1...Int(Int32.max)),
                                 points: try ClientMessage.points(fields, limit: Int.max))
        case .strokeEnd:
            body = .strokeEnd(stroke: try fields.integer("stroke", in: 1...Int(Int32.max)))
        case .undo:
            body = .undo(target: try fields.integer("target", in: 1...Int(Int32.max)))
        case .redo:
            body = .redo(target: try fields.integer("target", in: 1...Int(Int32.max)))
        case .clear:
            body = .clear
        case .sliders:
            // Stored values are replayed whatever model is loaded now: only their form is checked.
            body = .sliders(SliderValues().merging(try ClientMessage.sliders(fields.child("values"), names: nil)))
        case .mode:
            guard let mode = GuidanceMode(rawValue: try fields.string("mode")) else { throw ProtocolError.invalidField("mode", "unknown mode") }
            body = .mode(mode)
        case .appearance:
            body = .appearance(try fields.integer("index", in: 0...ClientMessage.maxAppearanceIndex))
        }
        self.init(seq: seq, author: author, ref: ref, body: body)
    }
}

/// The kinds of operation, as named on the wire.
public enum OperationKind: String, Sendable, Equatable {
    case strokeBegin = "stroke.begin"
    case strokePoints = "stroke.points"
    case strokeEnd = "stroke.end"
    case undo, redo, clear, sliders, mode, appearance
}
