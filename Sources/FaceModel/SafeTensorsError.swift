/// Everything that can be wrong with a safetensors file. Each case names the file, and the tensor
/// when one is involved, so a broken export is diagnosed from the message alone.
public enum SafeTensorsError: Error, Equatable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case truncatedHeader(file: String, fileSize: Int)
    case headerOutOfRange(file: String, headerLength: UInt64, fileSize: Int)
    case invalidHeader(file: String, reason: String)
    case invalidEntry(file: String, tensor: String, reason: String)
    case offsetsOutOfRange(file: String, tensor: String, begin: Int, end: Int, dataSize: Int)
    case byteCountMismatch(file: String, tensor: String, expected: Int, actual: Int)
    case overlapping(file: String, tensor: String, other: String)
    case missingTensor(file: String, tensor: String)
    case wrongDType(file: String, tensor: String, expected: String, actual: String)
    case wrongShape(file: String, tensor: String, expected: [Int], actual: [Int])

    public var description: String {
        switch self {
        case let .unreadable(file, reason): return "\(file): cannot read: \(reason)"
        case let .truncatedHeader(file, size): return "\(file): truncated: \(size) bytes, a safetensors file starts with an 8-byte header length"
        case let .headerOutOfRange(file, length, size): return "\(file): header length \(length) exceeds the file (\(size) bytes): truncated or not safetensors"
        case let .invalidHeader(file, reason): return "\(file): invalid header: \(reason)"
        case let .invalidEntry(file, tensor, reason): return "\(file): tensor '\(tensor)': \(reason)"
        case let .offsetsOutOfRange(file, tensor, begin, end, dataSize): return "\(file): tensor '\(tensor)': data_offsets [\(begin), \(end)] outside the data region (\(dataSize) bytes): truncated file?"
        case let .byteCountMismatch(file, tensor, expected, actual): return "\(file): tensor '\(tensor)': dtype × shape needs \(expected) bytes but data_offsets span \(actual)"
        case let .overlapping(file, tensor, other): return "\(file): tensor '\(tensor)' overlaps tensor '\(other)'"
        case let .missingTensor(file, tensor): return "\(file): missing tensor '\(tensor)'"
        case let .wrongDType(file, tensor, expected, actual): return "\(file): tensor '\(tensor)' has dtype \(actual), expected \(expected)"
        case let .wrongShape(file, tensor, expected, actual): return "\(file): tensor '\(tensor)' has shape \(actual), expected \(expected)"
        }
    }
}
