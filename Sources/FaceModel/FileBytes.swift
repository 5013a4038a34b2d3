#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole file into memory with POSIX calls (one allocation, no Foundation `Data` copy).
/// Throws a message with the system's reason; the caller wraps it into its own error.
func readFileBytes(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY)
    if fd < 0 { throw FileReadFailure(reason: String(cString: strerror(errno))) }
    defer { close(fd) }
    var info = stat()
    if fstat(fd, &info) != 0 { throw FileReadFailure(reason: String(cString: strerror(errno))) }
    if (info.st_mode & S_IFMT) == S_IFDIR { throw FileReadFailure(reason: "is a directory") }
    let size = Int(info.st_size)
    var failure: String?
    let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
        var done = 0
        while done < size {
            let n = read(fd, buffer.baseAddress! + done, size - done)
            if n < 0 {
                if errno == EINTR { continue }
                failure = String(cString: strerror(errno)); break
            }
            if n == 0 { break }
            done += n
        }
        count = done
    }
    if let failure { throw FileReadFailure(reason: failure) }
    return bytes
}

/// Writes bytes to a file, replacing it.
func writeFileBytes(_ path: String, _ bytes: [UInt8]) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    if fd < 0 { throw FileReadFailure(reason: String(cString: strerror(errno))) }
    defer { close(fd) }
    var done = 0
    try bytes.withUnsafeBytes { raw in
        while done < raw.count {
            let n = write(fd, raw.baseAddress! + done, raw.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileReadFailure(reason: String(cString: strerror(errno)))
            }
            done += n
        }
    }
}

struct FileReadFailure: Error { let reason: String }
