import Foundation

/// Builds a safetensors file in memory (tests, fixtures and the benchmark write models with it).
/// Tensors are laid out in insertion order with no gaps.
public struct SafeTensorsWriter {
    private var tensors: [(name: String, dtype: SafeTensors.DType, shape: [Int], bytes: [UInt8])] = []

    public init() {}

    /// Adds an f32 tensor, stored as `dtype` (`.f32` or `.f16`).
    public mutating func add(_ name: String, shape: [Int], floats: [Float], dtype: SafeTensors.DType = .f32) {
        precondition(shape.reduce(1, *) == floats.count, "\(name): shape \(shape) does not match \(floats.count) values")
        var bytes: [UInt8] = []
        switch dtype {
        case .f16:
            bytes.reserveCapacity(floats.count * 2)
            for v in floats { let h = halfFromFloat(v); bytes.append(UInt8(h & 0xff)); bytes.append(UInt8(h >> 8)) }
        default:
            precondition(dtype == .f32, "floats are written as F32 or F16")
            bytes.reserveCapacity(floats.count * 4)
            for v in floats { let b = v.bitPattern; for k in 0..<4 { bytes.append(UInt8((b >> (8 * UInt32(k))) & 0xff)) } }
        }
        tensors.append((name, dtype, shape, bytes))
    }

    /// Adds a u8 tensor.
    public mutating func add(_ name: String, shape: [Int], uint8s: [UInt8]) {
        precondition(shape.reduce(1, *) == uint8s.count, "\(name): shape \(shape) does not match \(uint8s.count) values")
        tensors.append((name, .u8, shape, uint8s))
    }

    /// Adds an i32 tensor.
    public mutating func add(_ name: String, shape: [Int], int32s: [Int32]) {
        precondition(shape.reduce(1, *) == int32s.count, "\(name): shape \(shape) does not match \(int32s.count) values")
        var bytes: [UInt8] = []
        for v in int32s { let b = UInt32(bitPattern: v); for k in 0..<4 { bytes.append(UInt8((b >> (8 * UInt32(k))) & 0xff)) } }
        tensors.append((name, .i32, shape, bytes))
    }

    /// Adds raw bytes under an arbitrary dtype/shape (tests use it to write inconsistent entries).
    public mutating func addRaw(_ name: String, dtype: SafeTensors.DType, shape: [Int], bytes: [UInt8]) {
        tensors.append((name, dtype, shape, bytes))
    }

    /// The file contents: header length, JSON header (padded with spaces to 8 bytes), data.
    public func bytes() -> [UInt8] {
        var header = "{"
        var offset = 0
        for (i, t) in tensors.enumerated() {
            if i > 0 { header += "," }
            let shape = t.shape.map(String.init).joined(separator: ",")
            header += "\"\(escapeJSON(t.name))\":{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + t.bytes.count)]}"
            offset += t.bytes.count
        }
        header += "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + headerBytes.count + offset)
        let n = UInt64(headerBytes.count)
        for k in 0..<8 { out.append(UInt8((n >> (8 * UInt64(k))) & 0xff)) }
        out += headerBytes
        for t in tensors { out += t.bytes }
        return out
    }

    /// Writes the file to `path`.
    public func write(to path: String) throws {
        do { try writeFileBytes(path, bytes()) } catch let failure as FileReadFailure {
            throw SafeTensorsError.unreadable(file: path, reason: failure.reason)
        }
    }
}

func escapeJSON(_ s: String) -> String {
    var out = ""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}
