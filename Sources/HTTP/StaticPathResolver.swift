/// Maps a request target to a file under the web root, refusing anything that could escape it.
///
/// Pure: the file system is consulted only through the two injected functions, so every rule is
/// testable without touching disk.
///
/// Steps and refusals:
/// 1. Drop `?query`/`#fragment`; the path must start with `/` (else `.invalidPath`, 400).
/// 2. Percent-decode each `/`-separated segment: a bad escape, NUL, or a decoded `/` or `\` (encoded
///    slashes) → `.invalidPath` (400). A literal backslash is refused too.
/// 3. Normalise: empty and `.` segments vanish, `..` removes the previous one; `..` above the root →
///    `.invalidPath` (400).
/// 4. A segment naming a hidden file or directory (`.env`, `.git`, however encoded) → `.notFound` (404):
///    dotfiles are never served.
/// 5. Nothing there → `.notFound` (404); a directory → its `index.html` (404 when absent); a file named
///    with a trailing slash (`/index.html/`) → `.notFound` (404), as a file is not a directory.
/// 6. `realpath` of the file must lie inside `realpath` of the root, so a symlink pointing outside the
///    root is `.notFound` (404: the response does not reveal that the target exists).
public struct StaticPathResolver: Sendable {
    /// What is at a path.
    public enum FileKind: Sendable {
        case file
        case directory
    }

    /// The web root as given (absolute, no trailing slash needed).
    public let root: String
    /// The file served for a directory.
    public var indexFile = "index.html"
    let fileKind: @Sendable (String) -> FileKind?
    let realpath: @Sendable (String) -> String?

    /// Creates a resolver for `root`.
    ///
    /// - Parameters:
    ///   - fileKind: what is at a path, following symlinks (`nil`: nothing, or unreadable).
    ///   - realpath: the canonical absolute path with symlinks resolved (`nil` on failure), as `realpath(3)`.
    public init(root: String, fileKind: @escaping @Sendable (String) -> FileKind?,
                realpath: @escaping @Sendable (String) -> String?) {
        var root = root
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        self.root = root
        self.fileKind = fileKind
        self.realpath = realpath
    }

    /// The normalised path segments of `target` (decoded), before touching the file system.
    public static func segments(of target: String) throws(HTTPError) -> [String] {
        let path = target.utf8.prefix { $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#") }
        guard path.first == UInt8(ascii: "/") else { throw .invalidPath }
        var stack: [String] = []
        for raw in path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            let decoded = try percentDecoded(raw)
            guard let segment = String(validating: decoded, as: UTF8.self) else { throw .invalidPath }
            switch segment {
            case ".": continue
            case "..":
                guard !stack.isEmpty else { throw .invalidPath }
                stack.removeLast()
            default:
                stack.append(segment)
            }
        }
        if stack.contains(where: { $0.hasPrefix(".") }) { throw .notFound }
        return stack
    }

    /// Whether the target's path ends in a way that names a directory (`/`, `/.`, `/..`).
    static func namesDirectory(_ target: String) -> Bool {
        let path = target.prefix { $0 != "?" && $0 != "#" }
        return path.hasSuffix("/") || path.hasSuffix("/.") || path.hasSuffix("/..")
    }

    /// The absolute path of the file to serve for `target`.
    public func resolve(target: String) throws(HTTPError) -> String {
        let parts = try Self.segments(of: target)
        var candidate = parts.isEmpty ? root : (root == "/" ? "" : root) + "/" + parts.joined(separator: "/")
        switch fileKind(candidate) {
        case nil:
            throw .notFound
        case .directory:
            candidate += (candidate.hasSuffix("/") ? "" : "/") + indexFile
            guard fileKind(candidate) == .file else { throw .notFound }
        case .file:
            if Self.namesDirectory(target) { throw .notFound }
        }
        guard let realRoot = realpath(root), let realFile = realpath(candidate) else { throw .notFound }
        let prefix = realRoot.hasSuffix("/") ? realRoot : realRoot + "/"
        guard realFile.hasPrefix(prefix) else { throw .notFound }
        return realFile
    }

    private static func percentDecoded(_ raw: Substring.UTF8View.SubSequence) throws(HTTPError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var iterator = raw.makeIterator()
        while let c = iterator.next() {
            var byte = c
            if c == UInt8(ascii: "%") {
                guard let h = iterator.next().flatMap(hexValue), let l = iterator.next().flatMap(hexValue) else {
                    throw .invalidPath
                }
                byte = h << 4 | l
                if byte == UInt8(ascii: "/") { throw .invalidPath }
            }
            if byte == 0 || byte == UInt8(ascii: "\\") { throw .invalidPath }
            out.append(byte)
        }
        return out
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }
}
