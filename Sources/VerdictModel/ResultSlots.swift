import VerdictThreads

/// One slot per worker of a `concurrentPerform`, written once each.
public final class ResultSlots<T>: @unchecked Sendable {
    private var slots: [T?]
    private let lock = Lock()

    public init(count: Int) { slots = Array(repeating: nil, count: count) }

    public func set(_ i: Int, _ value: T) {
        lock.lock()
        slots[i] = value
        lock.unlock()
    }

    public var values: [T?] {
        lock.lock()
        defer { lock.unlock() }
        return slots
    }
}
