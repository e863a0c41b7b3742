import CVerdictSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Threads with a stack of a known size. A thread's stack otherwise depends
/// on where it runs: the main thread gets `ulimit -s` (256 KiB is enough to
/// crash on a deep expression), and glibc gives new threads the same size.
/// Everything that compiles, evaluates or analyses policies runs on these,
/// with a stack sized to what the limits allow (docs/limits.md): the
/// deepest expression tree, the longest chain of rules, each at its limit.
public enum Threads {
    /// 512 MiB of address space, of which only what a recursion touches is
    /// ever backed by memory. Measured (debug build, where frames are
    /// largest): a 200-rule chain of expressions at the height limit needs
    /// well under a tenth of it.
    public static let stackSize = 512 << 20

    /// The processors this process may run on: its CPU affinity on Linux
    /// (`taskset`, a cpuset), else the processors online. A CPU quota of a
    /// container (`docker --cpus`) is not read: `--jobs` sets the workers
    /// there. Read once; Foundation's `activeProcessorCount` took a quarter
    /// of a millisecond of a one-ticket `eval` to answer the same.
    public static let cores = Int(verdict_cpu_count())

    /// Runs `body` on a new thread with `stackSize` bytes of stack and
    /// returns its result when it is done (the calling thread waits).
    public static func run<T>(stackSize: Int = Threads.stackSize, _ body: () -> T) -> T {
        var result: T?
        withoutActuallyEscaping(body) { body in
            let box = Box {
                result = body()
            }
            spawnAndJoin([box], stackSize: stackSize)
        }
        // `spawnAndJoin` runs the work on this thread when it cannot start one.
        guard let result else { return body() }
        return result
    }

    /// `body(0)`, …, `body(iterations - 1)` on `iterations` threads of
    /// `stackSize` bytes each, at once; returns when all are done. For a few
    /// long pieces of work (one per core), as `DispatchQueue.concurrentPerform`
    /// does, but with a stack of a known size. Iteration 0 runs on the
    /// calling thread, as Dispatch does: stages call this once per policy
    /// (10,000 policies started 10,000 threads), their callers already run
    /// on a thread of `run`, and what iteration 0 allocates comes from the
    /// caller's heap, where memory that earlier stages freed is reused (a
    /// new thread allocates from a heap of its own).
    public static func concurrentPerform(
        iterations: Int, stackSize: Int = Threads.stackSize, _ body: (Int) -> Void
    ) {
        guard iterations > 1 else {
            if iterations == 1 { body(0) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let boxes = (1..<iterations).map { i in Box { body(i) } }
            spawnAndJoin(boxes, stackSize: stackSize) { body(0) }
        }
    }

    /// `body(i)` for every `i` in `0..<count`, on at most `workers` threads
    /// (the caller one of them), each taking the next index of `order` (all
    /// indices in order by default; the costliest first balances the load)
    /// when it is free; the results in index order, whichever thread made
    /// them. For a few pieces of uneven work, such as the files of a policy
    /// folder.
    public static func map<T>(
        _ count: Int, workers: Int, order: [Int]? = nil, stackSize: Int = Threads.stackSize, _ body: (Int) -> T
    ) -> [T] {
        let order = order ?? Array(0..<count)
        let workers = max(1, min(workers, count))
        guard workers > 1 else { return (0..<count).map(body) }
        let state = MapState<T>(count: count)
        concurrentPerform(iterations: workers, stackSize: stackSize) { _ in
            while let i = state.take(order) { state.set(i, body(i)) }
        }
        // Every index of `order` was taken and set before the workers were joined.
        return state.results.compactMap { $0 }
    }

    private final class MapState<T>: @unchecked Sendable {
        private let lock = Lock()
        private var next = 0
        private(set) var results: [T?]

        init(count: Int) { results = Array(repeating: nil, count: count) }

        func take(_ order: [Int]) -> Int? {
            lock.withLock {
                guard next < order.count else { return nil }
                defer { next += 1 }
                return order[next]
            }
        }

        func set(_ i: Int, _ value: T) { lock.withLock { results[i] = value } }
    }

    /// Lets go of `value` on a thread of its own: when this was the last
    /// reference to a large structure (the tree of a parsed policy file),
    /// freeing it overlaps the work that follows instead of delaying it. Only
    /// for large values: a thread costs tens of microseconds to start.
    /// Without a thread, `value` is freed here. `awaitReleases` waits for it.
    public static func release<T>(_ value: consuming T) {
        let box = Box { [value] in _ = value }
        if let thread = start(box, stackSize: 1 << 20) { pendingReleases.add(thread) }
    }

    /// Waits until every value given to `release` is freed. A stage that
    /// allocates much calls this first: its allocations then reuse the freed
    /// memory instead of adding to it (the peak of loading a 50,000-row
    /// table is 15 MB lower when compiling waits for the YAML tree to go).
    public static func awaitReleases() {
        for thread in pendingReleases.takeAll() { join(thread) }
    }

    private static let pendingReleases = PendingThreads()

    private final class PendingThreads: @unchecked Sendable {
        private let lock = Lock()
        private var threads: [Handle] = []

        func add(_ thread: Handle) {
            lock.withLock { threads.append(thread) }
        }

        func takeAll() -> [Handle] {
            lock.withLock {
                defer { threads = [] }
                return threads
            }
        }
    }

    /// Starts `work` on a joinable thread of `stackSize` bytes; nil when no
    /// thread could be started (`work` did not run). Join it with `join`.
    public static func spawn(stackSize: Int = 1 << 20, _ work: @escaping @Sendable () -> Void) -> Handle? {
        start(Box(work), stackSize: stackSize)
    }

    /// Waits for a thread of `spawn` to end.
    public static func join(_ thread: Handle) {
        #if canImport(Glibc)
            pthread_join(thread, nil)
        #else
            if let thread { pthread_join(thread, nil) }
        #endif
    }

    /// One piece of work and whether it ran.
    public final class Box: @unchecked Sendable {
        let work: () -> Void
        var done = false
        public init(_ work: @escaping () -> Void) { self.work = work }
    }

    #if canImport(Glibc)
        public typealias Handle = pthread_t
    #else
        public typealias Handle = pthread_t?
    #endif

    /// Runs `box` on a new thread of `stackSize` bytes (joinable, or detached);
    /// nil when no thread could be started (the box did not run).
    public static func start(_ box: Box, stackSize: Int, detached: Bool = false) -> Handle? {
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        let page = max(4096, Int(sysconf(Int32(_SC_PAGESIZE))))
        _ = pthread_attr_setstacksize(&attr, (max(stackSize, 1 << 20) + page - 1) / page * page)
        if detached { _ = pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED)) }
        let context = Unmanaged.passRetained(box).toOpaque()
        #if canImport(Glibc)
            var thread = pthread_t()
        #else
            var thread: pthread_t?
        #endif
        let status = pthread_create(&thread, &attr, { raw in
            #if canImport(Glibc)
                guard let raw else { return nil }
            #endif
            let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
            box.work()
            box.done = true
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<Box>.fromOpaque(context).release()
            return nil
        }
        return thread
    }

    /// Starts a thread per box, runs `meanwhile` on the calling thread, joins
    /// them all; a box whose thread could not be started runs on the calling
    /// thread.
    private static func spawnAndJoin(_ boxes: [Box], stackSize: Int, meanwhile: () -> Void = {}) {
        let threads = boxes.compactMap { start($0, stackSize: stackSize) }
        meanwhile()
        for t in threads { join(t) }
        for box in boxes where !box.done {
            box.work()
            box.done = true
        }
    }
}
