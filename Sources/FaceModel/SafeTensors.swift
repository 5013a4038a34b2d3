import Foundation

/// A validated safetensors file held in memory: an 8-byte little-endian header length, a JSON header
/// `{name: {dtype, shape, data_offsets}}`, then the data region. Construction checks every entry
/// (known dtype, non-negative shape, offsets inside the data region, byte count = dtype × shape, no
/// overlaps), so the typed accessors below never read out of bounds. Immutable and `Sendable`.
public struct SafeTensors: Sendable {
    /// Element types found in safetensors files. Only `f32`, `f16`, `bf16` (read as f32), `u8` and
    /// `i32` can be read; the others are recognised so their offsets can still be validated.
    public enum DType: String, Sendable {
        case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
        case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
        case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8", bool = "BOOL"

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .f64, .i64, .u64: return 8
            case .f32, .i32, .u32: return 4
            case .f16, .bf16, .i16, .u16: return 2
            case .i8, .u8, .bool: return 1
            }
        }
    }

    /// One tensor's header entry; `range` is absolute within the file's bytes.
    public struct Entry: Sendable {
        public let name: String
        public let dtype: DType
        public let shape: [Int]
        let range: Range<Int>
        /// Number of elements (product of the shape).
        public var count: Int { shape.reduce(1, *) }
    }

    /// The path (or label) used in error messages.
    public let file: String
    /// Every tensor in the file by name.
    public let entries: [String: Entry]
    /// `__metadata__` string pairs, if any.
    public let metadata: [String: String]
    let bytes: [UInt8]

    /// Reads and validates the file at `path`.
    public init(path: String) throws {
        let bytes: [UInt8]
        do { bytes = try readFileBytes(path) } catch let failure as FileReadFailure {
            throw SafeTensorsError.unreadable(file: path, reason: failure.reason)
        }
        try self.init(bytes: bytes, file: path)
    }

    /// Validates in-memory file contents; `file` labels errors.
    public init(bytes: [UInt8], file: String) throws {
        self.file = file
        self.bytes = bytes
        guard bytes.count >= 8 else { throw SafeTensorsError.truncatedHeader(file: file, fileSize: bytes.count) }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw SafeTensorsError.headerOutOfRange(file: file, headerLength: headerLength, fileSize: bytes.count)
        }
        let dataStart = 8 + Int(headerLength)
        let dataSize = bytes.count - dataStart
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart]), options: [])
        } catch {
            throw SafeTensorsError.invalidHeader(file: file, reason: "not valid JSON (\(headerLength) header bytes)")
        }
        guard let header = json as? [String: Any] else {
            throw SafeTensorsError.invalidHeader(file: file, reason: "the header is not a JSON object")
        }
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let pairs = value as? [String: Any] else {
                    throw SafeTensorsError.invalidHeader(file: file, reason: "__metadata__ is not an object")
                }
                for (key, v) in pairs { metadata[key] = (v as? String) ?? "\(v)" }
                continue
            }
            entries[name] = try Self.entry(name: name, value: value, file: file, dataStart: dataStart, dataSize: dataSize)
        }
        let ordered = entries.values.sorted { ($0.range.lowerBound, $0.range.upperBound, $0.name) < ($1.range.lowerBound, $1.range.upperBound, $1.name) }
        for (previous, next) in zip(ordered, ordered.dropFirst()) where next.range.lowerBound < previous.range.upperBound {
            throw SafeTensorsError.overlapping(file: file, tensor: next.name, other: previous.name)
        }
        self.entries = entries
        self.metadata = metadata
    }

    private static func entry(name: String, value: Any, file: String, dataStart: Int, dataSize: Int) throws -> Entry {
        func invalid(_ reason: String) -> SafeTensorsError { .invalidEntry(file: file, tensor: name, reason: reason) }
        guard let object = value as? [String: Any] else { throw invalid("entry is not an object") }
        guard let dtypeName = object["dtype"] as? String else { throw invalid("missing dtype") }
        guard let dtype = DType(rawValue: dtypeName) else { throw invalid("unknown dtype \(dtypeName)") }
        guard let shapeValues = object["shape"] as? [Any] else { throw invalid("missing shape") }
        var shape: [Int] = []
        var count = 1
        for v in shapeValues {
            guard let d = jsonInteger(v), d >= 0 else { throw invalid("shape \(shapeValues) has a non-integer or negative dimension") }
            shape.append(d)
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, product <= Int(Int32.max) * 16 else { throw invalid("shape \(shape) is too large") }
            count = product
        }
        guard let offsets = object["data_offsets"] as? [Any], offsets.count == 2,
              let begin = jsonInteger(offsets[0]), let end = jsonInteger(offsets[1]) else {
            throw invalid("data_offsets must be two integers")
        }
        guard begin >= 0, begin <= end, end <= dataSize else {
            throw SafeTensorsError.offsetsOutOfRange(file: file, tensor: name, begin: begin, end: end, dataSize: dataSize)
        }
        let expected = count * dtype.size
        guard end - begin == expected else {
            throw SafeTensorsError.byteCountMismatch(file: file, tensor: name, expected: expected, actual: end - begin)
        }
        return Entry(name: name, dtype: dtype, shape: shape, range: (dataStart + begin)..<(dataStart + end))
    }

    /// The entry for `name`, checking its shape when `shape` is given.
    public func entry(_ name: String, shape: [Int]? = nil) throws -> Entry {
        guard let entry = entries[name] else { throw SafeTensorsError.missingTensor(file: file, tensor: name) }
        if let shape, shape != entry.shape {
            throw SafeTensorsError.wrongShape(file: file, tensor: name, expected: shape, actual: entry.shape)
        }
        return entry
    }

    /// A floating-point tensor (f32, f16 or bf16) as f32 values.
    public func floats(_ name: String, shape: [Int]? = nil) throws -> [Float] {
        let entry = try entry(name, shape: shape)
        let n = entry.count
        return try bytes.withUnsafeBytes { raw -> [Float] in
            let base = raw.baseAddress! + entry.range.lowerBound
            switch entry.dtype {
            case .f32:
                return [Float](unsafeUninitializedCapacity: n) { out, count in
                    memcpy(out.baseAddress!, base, n * 4)
                    for i in 0..<n { out[i] = Float(bitPattern: UInt32(littleEndian: out[i].bitPattern)) }
                    count = n
                }
            case .f16, .bf16:
                let half = entry.dtype == .f16
                return [Float](unsafeUninitializedCapacity: n) { out, count in
                    for i in 0..<n {
                        let lo = UInt16(base.load(fromByteOffset: 2 * i, as: UInt8.self))
                        let hi = UInt16(base.load(fromByteOffset: 2 * i + 1, as: UInt8.self))
                        let bits = lo | (hi << 8)
                        out[i] = half ? floatFromHalf(bits) : floatFromBFloat16(bits)
                    }
                    count = n
                }
            default:
                throw SafeTensorsError.wrongDType(file: file, tensor: name, expected: "F32 or F16", actual: entry.dtype.rawValue)
            }
        }
    }

    /// A u8 tensor.
    public func uint8s(_ name: String, shape: [Int]? = nil) throws -> [UInt8] {
        let entry = try entry(name, shape: shape)
        guard entry.dtype == .u8 else { throw SafeTensorsError.wrongDType(file: file, tensor: name, expected: "U8", actual: entry.dtype.rawValue) }
        return Array(bytes[entry.range])
    }

    /// An i32 tensor.
    public func int32s(_ name: String, shape: [Int]? = nil) throws -> [Int32] {
        let entry = try entry(name, shape: shape)
        guard entry.dtype == .i32 else { throw SafeTensorsError.wrongDType(file: file, tensor: name, expected: "I32", actual: entry.dtype.rawValue) }
        return bytes.withUnsafeBytes { raw in
            (0..<entry.count).map { i in
                Int32(littleEndian: raw.loadUnaligned(fromByteOffset: entry.range.lowerBound + 4 * i, as: Int32.self))
            }
        }
    }
}

/// A JSON number that is an exact integer (rejects 1.5 and strings).
func jsonInteger(_ value: Any) -> Int? {
    guard let number = value as? NSNumber else { return nil }
    let d = number.doubleValue
    guard d.isFinite, d == d.rounded(), abs(d) < 9.0e15 else { return nil }
    return Int(d)
}

/// A JSON number as Double (rejects strings).
func jsonDouble(_ value: Any) -> Double? {
    guard let number = value as? NSNumber else { return nil }
    return number.doubleValue
}
