import COpenBLAS

/// OpenBLAS's thread count is process-wide. Debian's pthread OpenBLAS serialises concurrent
/// multi-threaded GEMMs, so a server running one session per worker does best with one BLAS
/// thread (parallelism comes from the workers); a single-caller CLI can use every core.
public enum BLASThreads {
    /// Sets the number of OpenBLAS threads used by each GEMM.
    public static func set(_ count: Int) {
        BLASKernel.selectForThisCPU()
        openblas_set_num_threads(Int32(max(1, count)))
    }
    /// The current OpenBLAS thread count.
    public static var current: Int { Int(openblas_get_num_threads()) }
}

/// `c = a·b` for row-major `a [m, k]`, `b [k, n]` (lets the benchmark measure the machine's sgemm
/// peak through the same library the runtime uses).
public func sgemmForBenchmark(m: Int, n: Int, k: Int, a: [Float], b: [Float], c: inout [Float]) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(n), 0, &c, Int32(n))
}
