/// IEEE 754 binary16 → binary32, written out so the reader behaves the same on every platform
/// (Swift's `Float16` is missing on some targets). Subnormals, infinities and NaN are preserved.
@inline(__always)
func floatFromHalf(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exponent = UInt32((h >> 10) & 0x1f)
    let mantissa = UInt32(h & 0x3ff)
    if exponent == 0 {
        if mantissa == 0 { return Float(bitPattern: sign) }
        let magnitude = Float(mantissa) * (1.0 / 16_777_216.0)  // mantissa · 2^-24
        return sign != 0 ? -magnitude : magnitude
    }
    if exponent == 31 { return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13)) }
    return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
}

/// bfloat16 → binary32: the upper half of a float.
@inline(__always)
func floatFromBFloat16(_ b: UInt16) -> Float { Float(bitPattern: UInt32(b) << 16) }

/// binary32 → binary16 with round-to-nearest-even (used by the safetensors writer for f16 fixtures).
func halfFromFloat(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    let sign = UInt16((bits >> 16) & 0x8000)
    let exponent = Int((bits >> 23) & 0xff)
    var mantissa = bits & 0x7f_ffff
    if exponent == 0xff { return sign | 0x7c00 | (mantissa != 0 ? 0x200 : 0) }
    let e = exponent - 127 + 15
    if e >= 31 { return sign | 0x7c00 }
    if e <= 0 {
        if e < -10 { return sign }
        mantissa |= 0x80_0000
        let shift = UInt32(14 - e)
        let half = mantissa >> shift
        let remainder = mantissa & ((1 << shift) - 1)
        let midpoint = UInt32(1) << (shift - 1)
        var result = half
        if remainder > midpoint || (remainder == midpoint && (half & 1) == 1) { result += 1 }
        return sign | UInt16(result)
    }
    var result = UInt32(e << 10) | (mantissa >> 13)
    let remainder = mantissa & 0x1fff
    if remainder > 0x1000 || (remainder == 0x1000 && (result & 1) == 1) { result += 1 }
    return sign | UInt16(result)
}
