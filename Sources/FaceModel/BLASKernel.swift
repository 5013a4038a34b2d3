#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// OpenBLAS kernel selection. Debian's OpenBLAS 0.3.21 is built with DYNAMIC_ARCH and picks its kernels
/// from the CPU model; CPUs newer than it knows (e.g. Sapphire Rapids VMs) fall back to "Prescott" (SSE3),
/// which runs sgemm 4–6× slower than the AVX-512 "SkylakeX" kernels the CPU can run (measured here: 19–31
/// vs 126 GFLOP/s on one core). OpenBLAS reads `OPENBLAS_CORETYPE` only while loading, so this re-runs its
/// own dynamic initialisation with the core type the CPU flags allow. It happens once, before the first
/// model is loaded; an explicit `OPENBLAS_CORETYPE` in the environment is always respected.
public enum BLASKernel {
    /// The OpenBLAS core name in use (e.g. "SkylakeX"), or nil if the library does not say.
    public static var current: String? {
        guard let f = symbol("openblas_get_corename", as: (@convention(c) () -> UnsafePointer<CChar>?).self), let name = f() else { return nil }
        return String(cString: name)
    }

    /// Selects the best kernels for this CPU if OpenBLAS fell back to weaker ones; returns the core name
    /// in use afterwards. Safe to call many times; call it before any BLAS work runs on other threads.
    @discardableResult
    public static func selectForThisCPU() -> String? { selection }

    private static let selection: String? = {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil, let detected = current else { return current }
        let flags = cpuFlags()
        let avx512 = ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains)
        let avx2 = ["avx2", "fma"].allSatisfy(flags.contains)
        let strong: Set<String> = ["SkylakeX", "Cooperlake", "SapphireRapids"]
        let wanted: String?
        if avx512, !strong.contains(detected) {
            wanted = "SkylakeX"
        } else if avx2, !strong.contains(detected), !["Haswell", "Zen"].contains(detected) {
            wanted = "Haswell"
        } else {
            wanted = nil
        }
        guard let wanted,
              let quit = symbol("gotoblas_dynamic_quit", as: (@convention(c) () -> Void).self),
              let initialise = symbol("gotoblas_dynamic_init", as: (@convention(c) () -> Void).self) else { return detected }
        setenv("OPENBLAS_CORETYPE", wanted, 1)
        quit()
        initialise()
        unsetenv("OPENBLAS_CORETYPE")
        return current
    }()

    private static func symbol<T>(_ name: String, as type: T.Type) -> T? {
        guard let handle = dlopen(nil, RTLD_NOW), let p = dlsym(handle, name) else { return nil }
        return unsafeBitCast(p, to: type)
    }

    private static func cpuFlags() -> Set<String> {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        return Set(line.split(separator: ":").last?.split(separator: " ").map(String.init) ?? [])
    }
}
