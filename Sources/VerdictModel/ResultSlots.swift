import VerdictThreads

/// One slot per worker of a `concurrentPerform`, written once each.
public final class ResultSlots<T>: @unchecked Sendable {
    private var slots: [T?]
    private let lock = Lock()

    public init(count: Int) { slots = Array(repeating: nil, count: count) }

    public func set(_ i: Int, _ value: T) {
        lock.withLock { slots[i] = value }
    }

    public var values: [T?] { lock.withLock { slots } }
}
