import FaceModel

/// Soft edges for the part shadows, so the shadows of all components blend into one guide image without
/// rectangular tiles (a part box's shadow would otherwise end in a hard edge where its blend of database crops
/// stops).
///
/// Each part shadow's alpha is scaled by a mask that is 1 inside and falls linearly to 0 over the outer
/// `fraction` of the box on every side; the remainder (whole canvas) is left as it is and shows through where
/// the parts fade. This is the single place shadows are feathered: the PNG the server sends is already soft,
/// and the client only scales it onto the box.
public enum ShadowFeather {
    /// Share of the box side over which alpha ramps from 0 at the edge to full.
    public static let fraction = 0.12

    /// The mask for a `side × side` shadow, row-major: `min(1, d / (fraction · side))` with `d` the distance
    /// from the pixel centre to the nearest box edge.
    public static func mask(side: Int, fraction: Double = ShadowFeather.fraction) -> [Float] {
        let ramp = max(fraction * Double(side), 1e-9)
        let edge = (0..<side).map { i in min(1, min(Double(i) + 0.5, Double(side - i) - 0.5) / ramp) }
        var mask = [Float](repeating: 0, count: side * side)
        for y in 0..<side {
            for x in 0..<side { mask[y * side + x] = Float(min(edge[x], edge[y])) }
        }
        return mask
    }

    /// `shadow` with its alpha feathered: `round(alpha · mask)`.
    public static func apply(to shadow: Shadow, fraction: Double = ShadowFeather.fraction) -> Shadow {
        let mask = mask(side: shadow.side, fraction: fraction)
        return Shadow(side: shadow.side, alpha: zip(shadow.alpha, mask).map { UInt8((Float($0) * $1 + 0.5).rounded(.down)) })
    }
}
