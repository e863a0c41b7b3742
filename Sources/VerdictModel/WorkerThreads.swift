import VerdictThreads

/// A fixed set of long-lived threads with `Threads.stackSize` stacks that run
/// work handed to them from async code: a server's requests evaluate here,
/// not on the executor's threads, whose stacks (8 MiB or `ulimit -s`) are
/// too small for the deepest policy the limits allow (docs/limits.md). The
/// caller is suspended, not blocked, while its work runs.
public final class WorkerThreads: @unchecked Sendable {
    private final class Job {
        let work: () -> Void
        init(_ work: @escaping () -> Void) { self.work = work }
    }

    /// Guards `jobs` and `head`; signalled when a job is added.
    private let lock = Lock()
    private var jobs: [Job] = []
    private var head = 0
    public let count: Int
    /// Threads actually started: with none, work runs on the caller.
    private var started = 0

    /// Starts `count` threads (at least one); they live as long as the process.
    public init(count: Int, stackSize: Int = Threads.stackSize) {
        self.count = max(1, count)
        for _ in 0..<self.count {
            // Each thread keeps the pool alive: they serve as long as the process runs.
            if Threads.start(Threads.Box { self.loop() }, stackSize: stackSize, detached: true) != nil { started += 1 }
        }
    }

    private func loop() {
        while true {
            lock.lock()
            while head == jobs.count { lock.wait() }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
            lock.unlock()
            job.work()
        }
    }

    /// Runs `body` on one of the threads and returns its result. `body` may
    /// use values the caller owns: the caller does not run until it is done.
    public func run<T>(_ body: @escaping () -> T) async -> T {
        guard started > 0 else { return body() }
        let result = ResultBox<T>()
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let job = Job {
                result.value = body()
                done.resume()
            }
            lock.lock()
            jobs.append(job)
            lock.signal()
            lock.unlock()
        }
        // Set before `resume`, read after it: the continuation orders the two.
        guard let value = result.value else { return body() }
        return value
    }

    private final class ResultBox<T>: @unchecked Sendable {
        var value: T?
    }
}
