internal import CYAML
import VerdictThreads

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// libyaml's parser on a thread of its own for a large file, its events
/// handed over in batches: scanning and parsing (about a third of reading a
/// 16 MB catalogue) then overlap building the tree. An event's strings stay
/// libyaml's allocations until the consumer deletes the event, so nothing is
/// copied. The queue holds a bounded number of batches: a slow consumer
/// makes the parser wait, memory stays flat.
final class EventPipeline: @unchecked Sendable {
    static let batchSize = 2048
    static let maxQueued = 8

    private var mutex = pthread_mutex_t()
    private var changed = pthread_cond_t()
    private var queue: [[yaml_event_t]] = []
    /// The parser has stopped: at the end of the stream, or on an error.
    private var finished = false
    /// The parser stopped on an error (its state says which).
    private var failed = false
    /// The consumer wants no more events.
    private var cancelled = false
    private let parser: UnsafeMutablePointer<yaml_parser_t>

    init(parser: UnsafeMutablePointer<yaml_parser_t>) {
        self.parser = parser
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&changed, nil)
    }

    deinit {
        // Events the consumer never took (it stopped early) are freed here.
        for batch in queue {
            for var event in batch { yaml_event_delete(&event) }
        }
        pthread_cond_destroy(&changed)
        pthread_mutex_destroy(&mutex)
    }

    /// Runs the parser on a new thread; false when none could be started
    /// (the caller then parses on its own thread).
    func start() -> Bool {
        thread = Threads.spawn { [self] in produce() }
        return thread != nil
    }

    private var thread: Threads.Handle?

    /// Waits for the parser's thread to end (after `cancel()` or the last batch).
    func join() {
        if let t = thread { Threads.join(t) }
        thread = nil
    }

    private func produce() {
        var batch: [yaml_event_t] = []
        batch.reserveCapacity(Self.batchSize)
        var ok = true
        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(parser, &event) == 1 else {
                ok = false
                break
            }
            let end = event.type == YAML_STREAM_END_EVENT
            batch.append(event)
            if end { break }
            if batch.count == Self.batchSize {
                guard push(batch) else { return }
                batch.removeAll(keepingCapacity: true)
            }
        }
        pthread_mutex_lock(&mutex)
        if cancelled {
            for var event in batch { yaml_event_delete(&event) }
        } else if !batch.isEmpty {
            queue.append(batch)
        }
        finished = true
        failed = !ok
        pthread_cond_broadcast(&changed)
        pthread_mutex_unlock(&mutex)
    }

    /// Queues a batch, waiting while the queue is full; false when cancelled
    /// (the batch's events are freed).
    private func push(_ batch: [yaml_event_t]) -> Bool {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while queue.count >= Self.maxQueued && !cancelled { pthread_cond_wait(&changed, &mutex) }
        if cancelled {
            for var event in batch { yaml_event_delete(&event) }
            finished = true
            pthread_cond_broadcast(&changed)
            return false
        }
        queue.append(batch)
        pthread_cond_broadcast(&changed)
        return true
    }

    enum Next {
        case events([yaml_event_t])
        /// No more events; `failed` when the parser stopped on an error.
        case end(failed: Bool)
    }

    /// The next batch, waiting for the parser if it has none ready.
    func next() -> Next {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while queue.isEmpty && !finished { pthread_cond_wait(&changed, &mutex) }
        if queue.isEmpty { return .end(failed: failed) }
        let batch = queue.removeFirst()
        pthread_cond_broadcast(&changed)
        return .events(batch)
    }

    /// Asks the parser to stop (the consumer found a fatal problem).
    func cancel() {
        pthread_mutex_lock(&mutex)
        cancelled = true
        pthread_cond_broadcast(&changed)
        pthread_mutex_unlock(&mutex)
    }
}
