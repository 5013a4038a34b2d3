// Shared by every fuzz target (compiled into each target's single module).

/// Stops the fuzzer with a message when a logic invariant breaks; libFuzzer records the input as a crash.
func invariant(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("invariant violated: \(message())") }
}

/// Splits `bytes` into chunks whose sizes come from a small generator seeded with `seed`, so the same
/// input always splits the same way while different seeds exercise different boundaries (sizes 1...17,
/// with seed 0 meaning one byte at a time).
func chunks(of bytes: [UInt8], seed: UInt8) -> [[UInt8]] {
    var state = UInt32(seed) &* 2_654_435_761 | 1
    var result: [[UInt8]] = []
    var index = 0
    while index < bytes.count {
        state = state &* 1_103_515_245 &+ 12345
        let size = seed == 0 ? 1 : Int((state >> 16) % 17) + 1
        let end = min(bytes.count, index + size)
        result.append(Array(bytes[index ..< end]))
        index = end
    }
    return result
}
