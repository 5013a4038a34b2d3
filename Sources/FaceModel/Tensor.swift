/// A tensor: a shape and a contiguous row-major f32 buffer (no batch dimension).
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count, "shape \(shape) does not match \(data.count) values")
        self.shape = shape
        self.data = data
    }

    /// A zero-filled tensor.
    public init(zeros shape: [Int]) {
        self.shape = shape
        data = [Float](repeating: 0, count: shape.reduce(1, *))
    }
}
