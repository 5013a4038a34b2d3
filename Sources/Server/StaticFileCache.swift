import Transport

/// Contents of web-root files kept in memory, so serving a file costs an `fstat`, not a read, and every
/// response for it shares one copy of its bytes.
///
/// An entry is keyed by the resolved path and valid while the file's identity (device, inode), size and
/// modification time (nanoseconds) are unchanged; an edited file is read again on its next request.
/// Files over `maxFileBytes`, or that would take the cache over `maxTotalBytes`, are not kept (the caller
/// reads them per request; HTTP back-pressure keeps that to one response in flight per connection).
final class StaticFileCache: Sendable {
    /// What identifies one version of a file.
    struct Version: Hashable, Sendable {
        var device: UInt64
        var inode: UInt64
        var size: Int
        var modifiedNanoseconds: Int
    }

    private struct Entry {
        var version: Version
        var body: [UInt8]
    }

    let maxFileBytes: Int
    let maxTotalBytes: Int
    private let state = Locked((entries: [String: Entry](), totalBytes: 0))

    init(maxFileBytes: Int = 1 << 20, maxTotalBytes: Int = 16 << 20) {
        self.maxFileBytes = maxFileBytes
        self.maxTotalBytes = maxTotalBytes
    }

    /// Bytes held now.
    var totalBytes: Int { state.withLock { $0.totalBytes } }

    /// The body of `path` at `version`: the cached one, else `load()`'s (kept when it fits). Nil when
    /// `load` fails.
    func body(of path: String, version: Version, load: () -> [UInt8]?) -> [UInt8]? {
        if let hit = state.withLock({ $0.entries[path] }), hit.version == version { return hit.body }
        guard let body = load() else { return nil }
        guard body.count <= maxFileBytes else { return body }
        state.withLock { state in
            let replaced = state.entries[path]?.body.count ?? 0
            guard state.totalBytes - replaced + body.count <= maxTotalBytes else { return }
            state.entries[path] = Entry(version: version, body: body)
            state.totalBytes += body.count - replaced
        }
        return body
    }
}
