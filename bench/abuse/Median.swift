// Shared by the abuse benchmarks (compiled into each by bench/abuse/run.sh).
import Foundation

/// Median wall time in milliseconds of `runs` calls of `body`.
func medianMilliseconds(_ runs: Int = 7, _ body: () -> Void) -> Double {
    var times = [Double]()
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    return times.sorted()[runs / 2]
}
