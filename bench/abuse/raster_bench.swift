// Rasteriser cost of the worst valid stroke message (docs/SESSIONS.md, "Bounded work"): 512 points alternating
// between opposite canvas corners at width 64, plus an ordinary drawing batch. Prints medians of 7 runs.
import Foundation

@main
enum RasterBench {
    static func main() {
        let corners = (0..<512).map { i in
            i % 2 == 0 ? StrokePoint(x: 0, y: 0, pressure: 255) : StrokePoint(x: 8192, y: 8192, pressure: 255)
        }
        let antiDiagonal = (0..<512).map { i in
            i % 2 == 0 ? StrokePoint(x: 8192, y: 0, pressure: 255) : StrokePoint(x: 0, y: 8192, pressure: 255)
        }
        let ordinary = (0..<4).map { i in StrokePoint(x: 3200 + i * 40, y: 3200 + i * 24, pressure: 200) }
        let wide = StrokeWidth.quantize(pixels: 64), thin = StrokeWidth.quantize(pixels: 6)
        for (name, points, width) in [("worst case: 512 points corner to corner, width 64", corners, wide),
                                      ("worst case: 512 points across the anti-diagonal, width 64", antiDiagonal, wide),
                                      ("ordinary batch: 4 points, width 6", ordinary, thin)] {
            var canvas = Canvas()
            let ms = medianMilliseconds { CapsuleRasterizer.paint(&canvas, points: points, after: nil, width: width, tool: .pen) }
            let cost = CapsuleRasterizer.cost(points: points, after: nil, width: width)
            print(String(format: "%@: median %.3f ms, work estimate %d px", name, ms, cost))
        }
    }
}
