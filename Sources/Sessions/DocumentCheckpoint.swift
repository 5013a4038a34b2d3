import Raster

/// Why a stored checkpoint cannot be used (the session is then rebuilt by replaying its whole log).
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    /// The bytes are cut short, fail their checksum, or hold a value out of range.
    case malformed(String)
    /// The checkpoint does not belong to this log or these settings (seq beyond the log, another log, another
    /// undo reach).
    case mismatch(String)

    public var description: String {
        switch self {
        case .malformed(let why): return "checkpoint malformed: \(why)"
        case .mismatch(let why): return "checkpoint does not match: \(why)"
        }
    }
}

/// Raster checkpoints: a document's whole state after operation `seq` (live raster, baked raster, undo window
/// bookkeeping, settings), so a session loads from its newest checkpoint plus the operations after it instead of
/// replaying its whole history (docs/SESSIONS.md, "Durability").
///
/// Format (version 1): `SFCK`, a version byte, the fields below as LEB128 varints (signed ones zigzagged), strings
/// as length + UTF-8, both rasters run-length coded; then FNV-1a 64 of everything before it. Dictionaries are
/// written in key order, so equal states give equal bytes. The undo window's operations are stored decoded (packed
/// integers: decoding their JSON again would cost most of a load); the checkpoint records the log's hash
/// (``SketchDocument/logHash``), which a restore checks, so it is only ever used with the log it was made from.
extension SketchDocument {
    static let checkpointMagic: [UInt8] = Array("SFCK".utf8) + [1]
    /// `logHash` of an empty log (the FNV-1a offset basis).
    public static let emptyLogHash: UInt64 = 0xcbf2_9ce4_8422_2325

    /// Extends a log hash by one encoded operation and its newline.
    static func logHash(_ hash: UInt64, appending text: String) -> UInt64 {
        var hash = hash
        let hashed: Void? = text.utf8.withContiguousStorageIfAvailable { bytes in
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        }
        if hashed == nil { for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 } }
        return (hash ^ 0x0a) &* 0x100_0000_01b3
    }

    /// The document's state after operation ``head``, to resume from with ``init(checkpoint:log:undoReach:)``.
    public func checkpoint() -> [UInt8] {
        var out = CheckpointWriter()
        out.bytes = SketchDocument.checkpointMagic
        out.uint(head); out.uint(horizon); out.uint(undoReach); out.fixed(logHash); out.uint(windowWork)
        out.raster(canvas); out.raster(base)
        out.uint(sliders.values.count)
        for (name, value) in sliders.values.sorted(by: { $0.key < $1.key }) { out.string(name); out.fixed(value.bitPattern) }
        out.string(mode.rawValue)
        out.uint(appearance.map { $0 + 1 } ?? 0)
        out.uint(lastRef.count)
        for (author, ref) in lastRef.sorted(by: { $0.key < $1.key }) { out.string(author); out.int(ref) }
        out.uint(work.count)
        for (seq, cost) in work.sorted(by: { $0.key < $1.key }) { out.uint(seq); out.uint(cost) }
        out.uint(strokes.count)
        for (seq, stroke) in strokes.sorted(by: { $0.key < $1.key }) {
            out.uint(seq); out.string(stroke.author); out.uint(stroke.tool == .pen ? 0 : 1); out.uint(stroke.width)
            out.optionalPoint(stroke.lastPoint); out.uint(stroke.pointCount); out.uint(stroke.ended ? 1 : 0)
            for edge in [stroke.bounds.minX, stroke.bounds.minY, stroke.bounds.maxX, stroke.bounds.maxY] { out.int(edge) }
            out.uint(stroke.lastPaint)
        }
        out.uint(previousPoint.count)
        for (seq, point) in previousPoint.sorted(by: { $0.key < $1.key }) { out.uint(seq); out.optionalPoint(point) }
        out.seqs(undone.sorted())
        out.seqs(clears)
        for stacks in [undoStacks, redoStacks] {
            out.uint(stacks.count)
            for (author, stack) in stacks.sorted(by: { $0.key < $1.key }) { out.string(author); out.seqs(stack) }
        }
        out.window(window)
        out.fixed(CheckpointWriter.fnv(out.bytes[...]))
        return out.bytes
    }

    /// The document after the checkpoint's operation: `log` holds the session's encoded operations from seq 1 (at
    /// least up to the checkpoint's seq; the caller applies the rest). Throws ``CheckpointError`` when the bytes are
    /// damaged or belong to another log or undo reach; nothing is trusted that was not verified.
    public init(checkpoint bytes: [UInt8], log: [String], undoReach: Int) throws {
        guard bytes.count > SketchDocument.checkpointMagic.count + 8,
              Array(bytes.prefix(SketchDocument.checkpointMagic.count)) == SketchDocument.checkpointMagic else {
            throw CheckpointError.malformed("not a version 1 checkpoint")
        }
        var checksum = CheckpointReader(bytes[(bytes.count - 8)...])
        guard try checksum.fixed() == CheckpointWriter.fnv(bytes[..<(bytes.count - 8)]) else {
            throw CheckpointError.malformed("checksum")
        }
        var input = CheckpointReader(bytes[SketchDocument.checkpointMagic.count..<(bytes.count - 8)])
        let seq = try input.uint(), horizon = try input.uint()
        guard try input.uint() == undoReach else { throw CheckpointError.mismatch("another undo reach") }
        guard seq <= log.count, horizon <= seq else { throw CheckpointError.mismatch("op \(seq) is beyond the log (\(log.count))") }
        let hash = try input.fixed()
        self.init(undoReach: undoReach)
        encodedOps = Array(log[..<seq])
        for text in encodedOps {
            logHash = SketchDocument.logHash(logHash, appending: text)
            storedBytes += text.utf8.count
        }
        guard logHash == hash else { throw CheckpointError.mismatch("another log") }
        self.horizon = horizon
        windowWork = try input.uint()
        canvas = try input.raster()
        base = try input.raster()
        var values = [String: Double]()
        for _ in 0..<(try input.count()) { values[try input.string()] = Double(bitPattern: try input.fixed()) }
        sliders = SliderValues().merging(values)
        guard let mode = GuidanceMode(rawValue: try input.string()) else { throw CheckpointError.malformed("mode") }
        self.mode = mode
        let appearance = try input.uint()
        self.appearance = appearance == 0 ? nil : appearance - 1
        for _ in 0..<(try input.count()) { lastRef[try input.string()] = try input.int() }
        for _ in 0..<(try input.count()) { work[try input.uint()] = try input.uint() }
        for _ in 0..<(try input.count()) {
            let key = try input.uint(), author = try input.string()
            var stroke = StrokeState(author: author, tool: try input.tool(), width: try input.uint())
            stroke.lastPoint = try input.optionalPoint()
            stroke.pointCount = try input.uint()
            stroke.ended = try input.uint() == 1
            stroke.bounds = DirtyRect(minX: try input.int(), minY: try input.int(), maxX: try input.int(), maxY: try input.int())
            stroke.lastPaint = try input.uint()
            strokes[key] = stroke
        }
        for _ in 0..<(try input.count()) {
            let key = try input.uint()
            guard let point = try input.optionalPoint() else { throw CheckpointError.malformed("previous point") }
            previousPoint[key] = point
        }
        undone = Set(try input.seqs())
        clears = try input.seqs()
        for _ in 0..<(try input.count()) { undoStacks[try input.string()] = try input.seqs() }
        for _ in 0..<(try input.count()) { redoStacks[try input.string()] = try input.seqs() }
        window = try input.window(from: horizon + 1)
        guard window.count == seq - horizon else { throw CheckpointError.malformed("undo window") }
        guard input.isAtEnd else { throw CheckpointError.malformed("trailing bytes") }
    }
}

/// Appends a checkpoint's fields.
private struct CheckpointWriter {
    var bytes: [UInt8] = []

    static func fnv(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var hash = SketchDocument.emptyLogHash
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }

    mutating func uint(_ value: Int) {
        var rest = UInt64(value)
        while rest >= 0x80 {
            bytes.append(UInt8(rest & 0x7f) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    mutating func int(_ value: Int) { uint((value << 1) ^ (value >> 63)) }

    mutating func fixed(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    mutating func string(_ text: String) {
        uint(text.utf8.count)
        bytes.append(contentsOf: text.utf8)
    }

    mutating func seqs(_ values: [Int]) {
        uint(values.count)
        values.forEach { uint($0) }
    }

    mutating func optionalPoint(_ point: StrokePoint?) {
        guard let point else { return uint(0) }
        uint(1); int(point.x); int(point.y); uint(point.pressure)
    }

    /// The undo window's operations: their authors once, then each op as author index, ref + 1 (0: none), a kind
    /// number and its fields.
    mutating func window(_ ops: [Operation]) {
        let authors = Array(Set(ops.map(\.author))).sorted()
        let index = Dictionary(uniqueKeysWithValues: authors.enumerated().map { ($1, $0) })
        uint(authors.count)
        authors.forEach { string($0) }
        uint(ops.count)
        for op in ops {
            uint(index[op.author]!)
            uint(op.ref.map { $0 + 1 } ?? 0)
            switch op.body {
            case .strokeBegin(let tool, let width): uint(0); uint(tool == .pen ? 0 : 1); uint(width)
            case .strokePoints(let stroke, let points):
                uint(1); uint(stroke); uint(points.count)
                for point in points { uint(point.x); uint(point.y); uint(point.pressure) }
            case .strokeEnd(let stroke): uint(2); uint(stroke)
            case .undo(let target): uint(3); uint(target)
            case .redo(let target): uint(4); uint(target)
            case .clear: uint(5)
            case .sliders(let values):
                uint(6); uint(values.values.count)
                for (name, value) in values.values.sorted(by: { $0.key < $1.key }) { string(name); fixed(value.bitPattern) }
            case .mode(let mode): uint(7); string(mode.rawValue)
            case .appearance(let index): uint(8); uint(index)
            }
        }
    }

    /// Run-length coding: a control byte `c` < 128 is followed by `c + 1` literal bytes; `c` ≥ 128 by one byte
    /// repeated `c - 125` times (3…130). Sketches are mostly paper, so a raster shrinks to a few kilobytes.
    mutating func raster(_ canvas: Canvas) {
        var coded = [UInt8]()
        let pixels = canvas.pixels
        var i = 0, literalStart = 0
        func flushLiterals(upTo end: Int) {
            var start = literalStart
            while start < end {
                let n = min(128, end - start)
                coded.append(UInt8(n - 1))
                coded.append(contentsOf: pixels[start..<(start + n)])
                start += n
            }
        }
        while i < pixels.count {
            var run = 1
            while i + run < pixels.count, run < 130, pixels[i + run] == pixels[i] { run += 1 }
            if run >= 3 {
                flushLiterals(upTo: i)
                coded.append(UInt8(run + 125))
                coded.append(pixels[i])
                i += run
                literalStart = i
            } else {
                i += run
            }
        }
        flushLiterals(upTo: pixels.count)
        uint(coded.count)
        bytes.append(contentsOf: coded)
    }
}

/// Reads a checkpoint's fields; every read is bounds-checked and throws ``CheckpointError/malformed(_:)``.
private struct CheckpointReader {
    private let bytes: ArraySlice<UInt8>
    private var index: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        index = bytes.startIndex
    }

    var isAtEnd: Bool { index == bytes.endIndex }

    mutating func byte() throws -> UInt8 {
        guard index < bytes.endIndex else { throw CheckpointError.malformed("cut short") }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func uint() throws -> Int {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 63, by: 7) {
            let byte = try byte()
            value |= UInt64(byte & 0x7f) << UInt64(shift)
            if byte & 0x80 == 0 {
                guard value <= UInt64(Int32.max) * 1024 else { throw CheckpointError.malformed("number out of range") }
                return Int(value)
            }
        }
        throw CheckpointError.malformed("number too long")
    }

    mutating func int() throws -> Int {
        let zigzag = try uint()
        return (zigzag >> 1) ^ -(zigzag & 1)
    }

    /// A count of items that each take at least one byte (so a forged count cannot make a loop run long).
    mutating func count() throws -> Int {
        let count = try uint()
        guard count <= bytes.endIndex - index else { throw CheckpointError.malformed("count beyond the data") }
        return count
    }

    mutating func fixed() throws -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 8) { value |= UInt64(try byte()) << UInt64(shift) }
        return value
    }

    mutating func string() throws -> String {
        let length = try count()
        defer { index += length }
        return String(decoding: bytes[index..<(index + length)], as: UTF8.self)
    }

    mutating func seqs() throws -> [Int] {
        try (0..<(try count())).map { _ in try uint() }
    }

    mutating func optionalPoint() throws -> StrokePoint? {
        guard try uint() == 1 else { return nil }
        let x = try int(), y = try int(), pressure = try uint()
        guard (0...StrokePoint.maxCoordinate).contains(x), (0...StrokePoint.maxCoordinate).contains(y),
              pressure <= StrokePoint.maxPressure else { throw CheckpointError.malformed("point out of range") }
        return StrokePoint(x: x, y: y, pressure: pressure)
    }

    /// The undo window's operations, numbered from `seq`; see ``CheckpointWriter/window(_:)``.
    mutating func window(from seq: Int) throws -> [Operation] {
        let authors = try (0..<(try count())).map { _ in try string() }
        var ops = [Operation]()
        for offset in 0..<(try count()) {
            let author = try uint()
            guard author < authors.count else { throw CheckpointError.malformed("author") }
            let ref = try uint()
            let body: Operation.Body
            switch try uint() {
            case 0: body = .strokeBegin(tool: try tool(), width: try uint())
            case 1:
                let stroke = try uint()
                var points = [StrokePoint]()
                for _ in 0..<(try count()) {
                    let x = try uint(), y = try uint(), pressure = try uint()
                    guard x <= StrokePoint.maxCoordinate, y <= StrokePoint.maxCoordinate, pressure <= StrokePoint.maxPressure else {
                        throw CheckpointError.malformed("point out of range")
                    }
                    points.append(StrokePoint(x: x, y: y, pressure: pressure))
                }
                body = .strokePoints(stroke: stroke, points: points)
            case 2: body = .strokeEnd(stroke: try uint())
            case 3: body = .undo(target: try uint())
            case 4: body = .redo(target: try uint())
            case 5: body = .clear
            case 6:
                var values = [String: Double]()
                for _ in 0..<(try count()) { values[try string()] = Double(bitPattern: try fixed()) }
                body = .sliders(SliderValues().merging(values))
            case 7:
                guard let mode = GuidanceMode(rawValue: try string()) else { throw CheckpointError.malformed("mode") }
                body = .mode(mode)
            case 8: body = .appearance(try uint())
            default: throw CheckpointError.malformed("operation kind")
            }
            ops.append(Operation(seq: seq + offset, author: authors[author], ref: ref == 0 ? nil : ref - 1, body: body))
        }
        return ops
    }

    mutating func tool() throws -> Tool {
        switch try uint() {
        case 0: return .pen
        case 1: return .eraser
        default: throw CheckpointError.malformed("tool")
        }
    }

    mutating func raster() throws -> Canvas {
        let length = try count()
        let end = index + length
        var pixels = [UInt8]()
        pixels.reserveCapacity(Canvas.size * Canvas.size)
        while index < end {
            let control = try byte()
            if control < 128 {
                let n = Int(control) + 1
                guard index + n <= end else { throw CheckpointError.malformed("raster cut short") }
                pixels.append(contentsOf: bytes[index..<(index + n)])
                index += n
            } else {
                guard index < end else { throw CheckpointError.malformed("raster cut short") }
                pixels.append(contentsOf: repeatElement(try byte(), count: Int(control) - 125))
            }
            guard pixels.count <= Canvas.size * Canvas.size else { throw CheckpointError.malformed("raster too long") }
        }
        guard pixels.count == Canvas.size * Canvas.size else { throw CheckpointError.malformed("raster size") }
        return Canvas(pixels: pixels)
    }
}
