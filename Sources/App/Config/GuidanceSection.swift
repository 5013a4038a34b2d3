/// `guidance`: live shadows and faces in sessions (docs/PROTOCOL.md, "Guidance"). The model comes from `model.path`.
public struct GuidanceSection: ConfigSection {
    public static let key = "guidance"
    /// Load the model and run guidance; `false` serves sketching only (clients are told guidance is off).
    public var enabled: Bool
    /// Guidance worker threads; with two or more, one is kept for shadows so they never wait behind a face.
    public var workers: Int
    /// Minimum milliseconds between shadow updates of one session while a stroke is being drawn.
    public var throttleMilliseconds: Int
    /// OpenBLAS threads per matrix product (process-wide). 1 suits a server: parallelism comes from the workers.
    public var blasThreads: Int
    /// Most sessions whose guidance state (about 0.6 MB each) is held; the least recently active is rebuilt on use.
    public var maxActiveSessions: Int
    /// MiB of recent feature maps kept so a stroke or slider re-maps only the components it changed (0 = off).
    public var featureMapCacheMiB: Int
    /// Niceness added to the guidance worker threads (0…19) so inference yields to the event loops.
    public var niceness: Int

    public init(from object: ConfigObject) throws {
        enabled = try object.bool("enabled", default: true)
        workers = try object.integer("workers", default: 2, in: 1...64)
        throttleMilliseconds = try object.integer("throttle_ms", default: 100, in: 0...10_000)
        blasThreads = try object.integer("blas_threads", default: 1, in: 1...64)
        maxActiveSessions = try object.integer("max_active_sessions", default: 64, in: 1...100_000)
        featureMapCacheMiB = try object.integer("feature_map_cache_mb", default: 96, in: 0...65_536)
        niceness = try object.integer("nice", default: 5, in: 0...19)
    }
}
