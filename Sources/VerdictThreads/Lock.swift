#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A mutual-exclusion lock over `pthread_mutex_t`, with one condition to
/// wait on (both allocated once, never moved): what `NSLock` and
/// `NSCondition` gave, without linking all of Foundation (and its ICU data)
/// into the command-line tool for them. Every queue between threads here
/// (the server's worker pool, the YAML parser's event batches) uses it.
public final class Lock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    public init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deinitialize(count: 1)
        condition.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }

    /// `body` with the lock held.
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }

    /// With the lock held: releases it until another thread signals, then holds it again.
    public func wait() { pthread_cond_wait(condition, mutex) }
    /// Wakes one thread waiting in `wait()`.
    public func signal() { pthread_cond_signal(condition) }
    /// Wakes every thread waiting in `wait()`.
    public func broadcast() { pthread_cond_broadcast(condition) }
}
