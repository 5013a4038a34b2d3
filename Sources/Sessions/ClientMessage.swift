import Foundation
import Raster

/// A validated message from a client (docs/PROTOCOL.md, "Client → server"). Parsing never lets an out-of-range
/// value through: coordinates are inside the canvas, numbers finite, widths sane, strings bounded.
public enum ClientMessage: Equatable {
    /// First message on every connection.
    case hello(Hello)
    /// Opens a stroke; `id` is the client's own number for it, unique among its open strokes.
    case strokeBegin(id: Int, tool: Tool, width: Int, ref: Int?)
    /// Appends points to an open stroke.
    case strokePoints(id: Int, points: [StrokePoint], ref: Int?)
    /// Closes a stroke.
    case strokeEnd(id: Int, ref: Int?)
    case undo(ref: Int?)
    case redo(ref: Int?)
    case clear(ref: Int?)
    /// Changes some sliders (`master` or a component name of the loaded model, values 0...1).
    case sliders([String: Double], ref: Int?)
    /// Switches guidance mode (reserved for Guidance, persisted here).
    case mode(GuidanceMode, ref: Int?)
    /// Picks the session's appearance: an index into the model's palette (shared and persisted like sliders).
    case appearance(index: Int, ref: Int?)
    /// Asks Guidance for a face now (on-demand mode); not persisted.
    case convert
    /// Asks Guidance for candidate faces, one per palette index (nil: the default choice), for this connection
    /// only; not persisted. The indices are checked against the model's palette by Guidance
    /// (``ClientMessage/candidateIndices(_:paletteSize:)``).
    case candidates(indices: [Int]?, ref: Int?)
    /// Where this participant's pointer is, in canvas pixels (throttled, never persisted).
    case cursor(x: Double, y: Double)
    /// Liveness probe; answered with `pong`.
    case ping
    /// Asks for the next page of the join snapshot: operations after `after`.
    case snapshot(after: Int)

    /// The `hello` payload.
    public struct Hello: Equatable {
        /// Protocol version (must be `SessionProtocol.version`).
        public var version: Int
        /// Stable per browser tab (kept across reconnects); undo history belongs to it.
        public var client: String
        /// Display name: 1–40 Unicode scalars, at most 160 UTF-8 bytes, no controls (`JSONFields.isForbiddenInText`).
        public var name: String
        /// Longest name in Unicode scalars.
        public static let maxNameScalars = 40
        /// Longest name in UTF-8 bytes.
        public static let maxNameBytes = 160
        /// Chosen colour `#rrggbb`, or nil to be assigned one.
        public var color: String?
        /// Last sequence number this client applied, to resume; nil for a fresh join.
        public var lastSeq: Int?
        /// The secret the server issued to this client id at its first `welcome`; nil for a new client.
        public var token: String?
    }

    /// Limits that parsing enforces.
    public struct Limits: Equatable {
        /// Points one `stroke.points` may carry.
        public var pointsPerMessage: Int
        /// Slider names accepted besides `master` (the model's components); nil accepts any well-formed name.
        public var sliderNames: Set<String>?
        /// Codes in the model's appearance palette (0: the model has none); nil accepts any index up to
        /// ``ClientMessage/maxAppearanceIndex``.
        public var paletteSize: Int?
        public init(pointsPerMessage: Int = 512, sliderNames: Set<String>? = nil, paletteSize: Int? = nil) {
            self.pointsPerMessage = pointsPerMessage
            self.sliderNames = sliderNames
            self.paletteSize = paletteSize
        }
    }

    /// The largest appearance index the protocol carries.
    public static let maxAppearanceIndex = 255

    /// Most candidate faces one `candidates` request may ask for.
    public static let maxCandidates = 4

    /// Parses and validates one text message.
    public static func parse(_ text: String, limits: Limits = Limits()) throws -> ClientMessage {
        let fields = try JSONFields.parse(text)
        let type = try fields.string("type", maxLength: 32)
        let ref = try fields.optionalInteger("ref", in: 0...Int(Int32.max))
        switch type {
        case "hello":
            let version = try fields.integer("version", in: 0...1_000_000)
            if version != SessionProtocol.version { throw ProtocolError.unsupportedVersion(version) }
            let client = try fields.string("client", maxLength: 64)
            guard client.utf8.count >= 8, client.utf8.allSatisfy(SessionID.isURLSafe) else {
                throw ProtocolError.invalidField("client", "must be 8–64 characters of A–Z a–z 0–9 - _")
            }
            var name = fields.has("name") ? try fields.string("name", maxLength: Hello.maxNameScalars, maxBytes: Hello.maxNameBytes) : "Guest"
            if name.unicodeScalars.contains(where: JSONFields.isForbiddenInText) {
                throw ProtocolError.invalidField("name", "must not hold control, bidi-override, BOM or line-separator characters")
            }
            name = name.trimmingCharacters(in: .whitespaces)
            if name.isEmpty { throw ProtocolError.invalidField("name", "must not be blank") }
            var color: String?
            if fields.has("color") {
                let c = try fields.string("color", maxLength: 7)
                guard isHexColor(c) else { throw ProtocolError.invalidField("color", "must look like #1a2b3c") }
                color = c.lowercased()
            }
            let lastSeq = try fields.optionalInteger("lastSeq", in: 0...Int(Int32.max))
            var token: String?
            if fields.has("token") {
                let t = try fields.string("token", maxLength: 64)
                guard t.utf8.allSatisfy(SessionID.isURLSafe) else { throw ProtocolError.invalidField("token", "must be the token the server issued") }
                token = t
            }
            return .hello(Hello(version: version, client: client, name: name, color: color, lastSeq: lastSeq, token: token))
        case "stroke.begin":
            let id = try fields.integer("id", in: 0...Int(Int32.max))
            guard let tool = Tool(rawValue: try fields.string("tool", maxLength: 16)) else {
                throw ProtocolError.invalidField("tool", "must be \"pen\" or \"eraser\"")
            }
            let width = try fields.number("width", in: StrokeWidth.minPixels...StrokeWidth.maxPixels)
            return .strokeBegin(id: id, tool: tool, width: StrokeWidth.quantize(pixels: width), ref: ref)
        case "stroke.points":
            let id = try fields.integer("id", in: 0...Int(Int32.max))
            return .strokePoints(id: id, points: try points(fields, limit: limits.pointsPerMessage), ref: ref)
        case "stroke.end":
            return .strokeEnd(id: try fields.integer("id", in: 0...Int(Int32.max)), ref: ref)
        case "undo": return .undo(ref: ref)
        case "redo": return .redo(ref: ref)
        case "clear": return .clear(ref: ref)
        case "sliders":
            let values = try sliders(fields.child("values"), names: limits.sliderNames)
            if values.isEmpty { throw ProtocolError.invalidField("values", "must name at least one slider") }
            return .sliders(values, ref: ref)
        case "mode":
            guard let mode = GuidanceMode(rawValue: try fields.string("mode", maxLength: 16)) else {
                throw ProtocolError.invalidField("mode", "must be \"live\" or \"on_demand\"")
            }
            return .mode(mode, ref: ref)
        case "appearance":
            let index = try fields.integer("index", in: 0...maxAppearanceIndex)
            if let size = limits.paletteSize { try checkPaletteIndex(index, field: "index", paletteSize: size) }
            return .appearance(index: index, ref: ref)
        case "convert": return .convert
        case "candidates":
            guard fields.has("indices") else { return .candidates(indices: nil, ref: ref) }
            let raw = try fields.array("indices")
            if raw.count > maxCandidates { throw ProtocolError.tooManyCandidates(maxCandidates) }
            let indices = try raw.indices.map { i in
                try JSONFields(["indices[\(i)]": raw[i]]).integer("indices[\(i)]", in: 0...maxAppearanceIndex)
            }
            return .candidates(indices: indices, ref: ref)
        case "cursor":
            let max = Double(Canvas.size)
            return .cursor(x: try fields.number("x", in: 0...max), y: try fields.number("y", in: 0...max))
        case "ping": return .ping
        case "snapshot": return .snapshot(after: try fields.integer("after", in: 0...Int(Int32.max)))
        default:
            throw ProtocolError.unknownType(type)
        }
    }

    /// The palette indices a `candidates` request stands for, checked against a palette of `paletteSize` codes:
    /// the requested ones, or without a list the first ``maxCandidates`` codes. Refused: more than
    /// ``maxCandidates`` (`limit`), an empty list, an index past the palette, an index twice (`invalid`, naming
    /// `indices[i]`), and any request when the model has no palette (`unavailable`).
    public static func candidateIndices(_ requested: [Int]?, paletteSize: Int) throws -> [Int] {
        guard paletteSize > 0 else { throw ProtocolError.candidatesUnavailable("the model has no appearance palette") }
        guard let requested else { return Array(0..<min(maxCandidates, paletteSize)) }
        if requested.count > maxCandidates { throw ProtocolError.tooManyCandidates(maxCandidates) }
        if requested.isEmpty { throw ProtocolError.invalidField("indices", "must hold 1–\(maxCandidates) palette indices") }
        for (i, index) in requested.enumerated() {
            try checkPaletteIndex(index, field: "indices[\(i)]", paletteSize: paletteSize)
            if requested[..<i].contains(index) { throw ProtocolError.invalidField("indices[\(i)]", "repeats index \(index)") }
        }
        return requested
    }

    /// Refuses an appearance index at or past the palette size (`field` names it in the error).
    static func checkPaletteIndex(_ index: Int, field: String, paletteSize: Int) throws {
        guard index < 0 || index >= paletteSize else { return }
        throw ProtocolError.invalidField(field, paletteSize == 0 ? "the model has no appearance palette" : "must be below the palette size \(paletteSize)")
    }

    /// Parses `points` (`[{x, y, p}]`, `p` optional, default 1) into quantised stroke points.
    static func points(_ fields: JSONFields, limit: Int) throws -> [StrokePoint] {
        let raw = try fields.array("points")
        if raw.isEmpty { throw ProtocolError.invalidField("points", "must hold at least one point") }
        if raw.count > limit { throw ProtocolError.tooManyPointsInMessage(limit) }
        let max = Double(Canvas.size)
        var out = [StrokePoint]()
        out.reserveCapacity(raw.count)
        for (i, item) in raw.enumerated() {
            guard let object = item as? [String: Any] else {
                throw ProtocolError.invalidField("points[\(i)]", "must be an object {x, y, p}")
            }
            let point = JSONFields(object, path: "points[\(i)]")
            let x = try point.number("x", in: 0...max)
            let y = try point.number("y", in: 0...max)
            let p = point.has("p") ? try point.number("p", in: 0...1) : 1
            out.append(StrokePoint(pixelX: x, pixelY: y, pressure: p))
        }
        return out
    }

    /// Parses a slider object; a name that is not `master` or one of `names` (any well-formed name when nil) is
    /// refused by name.
    static func sliders(_ fields: JSONFields, names: Set<String>?) throws -> [String: Double] {
        var values = [String: Double]()
        if fields.object.count > SliderValues.maxNames { throw ProtocolError.invalidField(fields.path, "at most \(SliderValues.maxNames) sliders") }
        for key in fields.object.keys.sorted() {
            let known = key == SliderValues.master || (names?.contains(key) ?? SliderValues.isWellFormed(key))
            guard known else { throw ProtocolError.invalidField(fields.name(key), "unknown slider") }
            values[key] = try fields.number(key, in: 0...1)
        }
        return values
    }

    static func isHexColor(_ s: String) -> Bool {
        let u = Array(s.utf8)
        return u.count == 7 && u[0] == 35 && u[1...].allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) || ($0 >= 65 && $0 <= 70) }
    }
}
