import COpenBLAS

/// OpenBLAS's thread count is process-wide. Debian's pthread OpenBLAS serialises concurrent
/// multi-threaded GEMMs, so a server running one session per worker does best with one BLAS
/// thread (parallelism comes from the workers); a single-caller CLI can use every core.
public enum BLASThreads {
    /// Sets the number of OpenBLAS threads used by each GEMM.
    public static func set(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }
    /// The current OpenBLAS thread count.
    public static var current: Int { Int(openblas_get_num_threads()) }
}
