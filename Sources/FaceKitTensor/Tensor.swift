// Tensor: float32 NHWC data in 64-byte-aligned storage.
//
// A Tensor is a reference type so that a model can allocate its activations once
// (see `TensorArena`) and reuse them across inferences. Writing to a tensor from two
// threads at once is the caller's business: FaceKit hands every concurrent inference
// its own workspace.

/// The shape of an NHWC tensor: batch, height, width, channels.
public struct TensorShape: Hashable, Sendable, CustomStringConvertible {
    public var batch: Int
    public var height: Int
    public var width: Int
    public var channels: Int

    /// Creates a shape; every dimension must be non-negative.
    public init(_ batch: Int, _ height: Int, _ width: Int, _ channels: Int) {
        self.batch = batch
        self.height = height
        self.width = width
        self.channels = channels
    }

    /// The number of elements.
    public var count: Int { batch * height * width * channels }
    /// The number of pixels over all images (`batch * height * width`).
    public var pixels: Int { batch * height * width }

    public var description: String { "\(batch)x\(height)x\(width)x\(channels)" }
}

/// Errors raised by tensor operations when shapes or arguments do not fit.
public enum TensorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Two shapes that must agree do not.
    case shapeMismatch(operation: String, expected: String, actual: String)
    /// An argument is out of its valid range.
    case invalidArgument(operation: String, reason: String)
    /// A tensor does not have the capacity for the requested shape.
    case capacityExceeded(requested: Int, capacity: Int)

    public var description: String {
        switch self {
        case let .shapeMismatch(op, expected, actual):
            return "\(op): expected shape \(expected), got \(actual)"
        case let .invalidArgument(op, reason):
            return "\(op): \(reason)"
        case let .capacityExceeded(requested, capacity):
            return "tensor capacity \(capacity) elements is too small for \(requested)"
        }
    }
}

/// Owns a 64-byte-aligned block of floats, zero-initialised.
public final class AlignedBuffer: @unchecked Sendable {
    /// The number of floats.
    public let count: Int
    /// The first float; aligned to 64 bytes.
    public let pointer: UnsafeMutablePointer<Float>

    /// Floats allocated past `count` (zeroed, never written), so that a micro-kernel may load a
    /// whole vector that starts inside the buffer and runs past its end, as XNNPACK's
    /// `XNN_EXTRA_BYTES` allows: the depthwise kernel computes a last partial block of channels
    /// with full vectors and stores only the real lanes.
    public static let slack = 16

    /// Allocates `count` zeroed floats aligned to 64 bytes (plus ``slack``).
    public init(count: Int) {
        self.count = count
        let total = max(count, 0) + Self.slack
        let raw = UnsafeMutableRawPointer.allocate(byteCount: total * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: total)
        pointer.initialize(repeating: 0, count: total)
    }

    deinit { pointer.deallocate() }
}

/// A float32 tensor in NHWC layout over aligned storage.
public final class Tensor: @unchecked Sendable {
    /// The current shape; its element count never exceeds ``capacity``.
    public private(set) var shape: TensorShape
    /// How many floats the storage holds.
    public let capacity: Int
    /// The first element.
    public let data: UnsafeMutablePointer<Float>
    private let owner: AnyObject

    /// Allocates a zero-filled tensor.
    public init(shape: TensorShape) {
        let buffer = AlignedBuffer(count: shape.count)
        self.shape = shape
        self.capacity = shape.count
        self.data = buffer.pointer
        self.owner = buffer
    }

    /// Allocates a tensor holding `values` (row-major NHWC); throws if the count differs.
    public convenience init(shape: TensorShape, values: [Float]) throws {
        guard values.count == shape.count else {
            throw TensorError.shapeMismatch(
                operation: "Tensor(values:)", expected: "\(shape.count) values", actual: "\(values.count)")
        }
        self.init(shape: shape)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: values.count) }
    }

    /// A tensor viewing storage owned by `owner` (for arenas).
    init(shape: TensorShape, capacity: Int, data: UnsafeMutablePointer<Float>, owner: AnyObject) {
        self.shape = shape
        self.capacity = capacity
        self.data = data
        self.owner = owner
    }

    /// The number of elements of the current shape.
    public var count: Int { shape.count }

    /// Changes the shape in place without touching the data.
    public func reshape(to newShape: TensorShape) throws {
        guard newShape.count <= capacity else {
            throw TensorError.capacityExceeded(requested: newShape.count, capacity: capacity)
        }
        shape = newShape
    }

    /// Copies the elements out.
    public func toArray() -> [Float] {
        Array(UnsafeBufferPointer(start: data, count: count))
    }

    /// Sets every element of the current shape to `value`.
    public func fill(_ value: Float) {
        data.update(repeating: value, count: count)
    }

    /// Copies `other`'s elements; shapes must have the same element count.
    public func copy(from other: Tensor) throws {
        guard other.count <= capacity else {
            throw TensorError.capacityExceeded(requested: other.count, capacity: capacity)
        }
        shape = other.shape
        data.update(from: other.data, count: other.count)
    }
}

/// One aligned allocation carved into tensors: plan the buffers of a network once,
/// then every inference reuses them.
public final class TensorArena: @unchecked Sendable {
    private let buffer: AlignedBuffer
    private var offset = 0

    /// Reserves `capacity` floats.
    public init(capacity: Int) {
        buffer = AlignedBuffer(count: capacity)
    }

    /// Total floats reserved.
    public var capacity: Int { buffer.count }
    /// Floats handed out so far.
    public var used: Int { offset }

    /// Floats a tensor of `count` elements takes in an arena (rounded up to 64 bytes).
    public static func footprint(of count: Int) -> Int { (count + 15) & ~15 }

    /// Hands out a tensor of up to `capacity` elements (default: the shape's count).
    public func tensor(shape: TensorShape, capacity: Int? = nil) throws -> Tensor {
        let cap = max(capacity ?? shape.count, shape.count)
        let need = Self.footprint(of: cap)
        guard offset + need <= buffer.count else {
            throw TensorError.capacityExceeded(requested: offset + need, capacity: buffer.count)
        }
        let t = Tensor(shape: shape, capacity: cap, data: buffer.pointer + offset, owner: buffer)
        offset += need
        return t
    }
}
