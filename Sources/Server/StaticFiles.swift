import Glibc
import HTTP

/// Serves files under the web root for GET and HEAD: MIME type by extension, `ETag` and
/// `Last-Modified` validators, 304 for a fresh conditional request.
///
/// Every path refusal of the resolver (traversal above the root, bad escapes, symlinks leading outside
/// the root, nothing there) is answered 404, so the response never reveals what lies outside the root.
///
/// File contents come from a `StaticFileCache`, so a request does not read the file whole each time.
public struct StaticFiles: Sendable {
    private let resolver: StaticPathResolver
    private let cache = StaticFileCache()

    /// Serves `root` (made absolute against the working directory).
    public init(root: String) {
        var absolute = root
        if !root.hasPrefix("/") {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            if getcwd(&buffer, buffer.count) != nil { absolute = String(cString: buffer) + "/" + root }
        }
        resolver = StaticPathResolver(root: absolute, fileKind: { path in
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            switch info.st_mode & S_IFMT {
            case S_IFREG: return .file
            case S_IFDIR: return .directory
            default: return nil
            }
        }, realpath: { path in
            guard let resolved = Glibc.realpath(path, nil) else { return nil }
            defer { free(resolved) }
            return String(cString: resolved)
        })
    }

    /// The response for a GET or HEAD of `request.target` (HEAD omission is the writer's job).
    public func response(for request: HTTPRequest) -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            return HTTPResponse(status: .methodNotAllowed, headers: ["Allow": "GET, HEAD"],
                                body: Array("405 Method Not Allowed\n".utf8))
        }
        let path: String
        do {
            path = try resolver.resolve(target: String(request.originFormTarget))
        } catch {
            return .error(.notFound)
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .error(.notFound) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return .error(.notFound) }
        let size = Int(info.st_size)
        let modified = Int(info.st_mtim.tv_sec)
        let entityTag = ConditionalRequest.entityTag(size: size, modificationTime: modified)
        let lastModified = HTTPDate(secondsSince1970: modified)
        var headers: HTTPHeaders = [
            "ETag": entityTag,
            "Last-Modified": lastModified.description,
            "Cache-Control": "no-cache",
        ]
        if ConditionalRequest.isNotModified(headers: request.headers, entityTag: entityTag, lastModified: lastModified) {
            return HTTPResponse(status: .notModified, headers: headers)
        }
        headers.add(name: "Content-Type", value: MIMEType.forPath(path))
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        if request.method == "HEAD" {
            headers.add(name: "Content-Length", value: String(size))
            return HTTPResponse(status: .ok, headers: headers)
        }
        let version = StaticFileCache.Version(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: size,
                                              modifiedNanoseconds: modified * 1_000_000_000 + Int(info.st_mtim.tv_nsec))
        guard let body = cache.body(of: path, version: version, load: { Self.read(fd, size: size) }) else {
            return .text(.internalServerError, "500 Internal Server Error\n")
        }
        return HTTPResponse(status: .ok, headers: headers, body: body)
    }

    /// The first `size` bytes of `fd`, or nil when the file ends sooner or cannot be read.
    private static func read(_ fd: Int32, size: Int) -> [UInt8]? {
        var body = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let count = body.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, size - filled) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            filled += count
        }
        return filled == size ? body : nil
    }
}
