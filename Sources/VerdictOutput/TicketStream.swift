import FoundationEssentials
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import VerdictCompiler
import VerdictJSON
import VerdictJSONWriter
import VerdictModel
import VerdictRuntime

/// Evaluates batches of framed lines and renders one answer line for each,
/// in order, into an output buffer: the stage between the framer and the
/// writer. One sink per thread (it owns an evaluator and its buffers); a
/// parallel evaluator runs several on separate batches and joins their
/// buffers in batch order.
public final class TicketSink {
    public let evaluator: Evaluator
    public let writer: AnswerWriter
    /// Set with `--explain`: the trace consumer explanations are rendered from.
    public let recorder: ExplainRecorder?
    /// Set for readable explanations: they replace the answer lines.
    public let text: TextExplainer?
    private var evaluation = Evaluation()
    public private(set) var answered = 0
    public private(set) var errors = 0

    /// With `explain`, each answer line carries its JSON explanation; with
    /// `textExplanations`, a readable explanation in that language is written instead of the line.
    public init(
        policies: PolicySet, plan: AskPlan, explain: Bool = false, textExplanations: ExplainLanguage? = nil,
        tracers: [any EvaluationTracer] = []
    ) {
        let recorder =
            explain || textExplanations != nil
            ? ExplainRecorder(ruleCounts: policies.policies.map(\.rules.count), expressions: textExplanations != nil)
            : nil
        let all: [any EvaluationTracer] = (recorder.map { [$0] } ?? []) + tracers
        let tracer: (any EvaluationTracer)? = all.count == 1 ? all[0] : (all.isEmpty ? nil : TracerFanout(all))
        let evaluator = Evaluator(policies: policies.compiled, plan: plan, tracer: tracer)
        self.recorder = recorder
        self.evaluator = evaluator
        self.writer = AnswerWriter(policies: policies, plan: plan, explain: explain && textExplanations == nil)
        self.text = textExplanations.map { TextExplainer(policies: policies, running: evaluator.running, language: $0) }
    }

    /// A sink over a writer made once and shared (a server keeps one per set
    /// and ask list): JSON answer lines, with explanations when the writer has them.
    public init(policies: PolicySet, plan: AskPlan, writer: AnswerWriter) {
        let recorder =
            writer.explains ? ExplainRecorder(ruleCounts: policies.policies.map(\.rules.count), expressions: false) : nil
        self.recorder = recorder
        self.evaluator = Evaluator(policies: policies.compiled, plan: plan, tracer: recorder)
        self.writer = writer
        self.text = nil
    }

    /// Answers every line of the framer's current batch into `out`.
    public func process(_ framer: LineFramer, into out: inout JSONWriter) {
        process(framer, lines: framer.batch.indices, into: &out)
    }

    /// Answers some lines of the framer's current batch, in order, into
    /// `out`, stopping after the line that takes `out` past `limit` bytes.
    /// Returns the index of the first line not answered (`lines.upperBound`
    /// when all were).
    @discardableResult
    public func process(
        _ framer: LineFramer, lines: Range<Int>, into out: inout JSONWriter, until limit: Int = .max
    ) -> Int {
        for index in lines {
            if out.bytes.count >= limit { return index }
            let line = framer.batch[index]
            if line.tooLong {
                errors += 1
                AnswerWriter.writeErrorLine(
                    number: line.number, id: nil, message: "line is longer than \(framer.maxLineBytes) bytes",
                    into: &out)
                continue
            }
            _ = framer.withBytes(of: line) { answer(line: $0, number: line.number, into: &out) }
        }
        return lines.upperBound
    }

    /// Answers one line of input (without its line end), numbered `number`,
    /// into `out`: its answer line, or its error line. True when answered.
    @discardableResult
    public func answer(line bytes: UnsafeRawBufferPointer, number: Int, into out: inout JSONWriter) -> Bool {
        evaluator.evaluate(line: bytes, into: &evaluation)
        let ok = evaluation.status == .answered
        if ok { answered += 1 } else { errors += 1 }
        if let text, let recorder {
            out.raw(text: text.render(evaluation, plan: evaluator.plan, line: number, recorder: recorder))
        } else {
            let values = recorder != nil && ok ? evaluator.activation(policy: evaluation.policy) : nil
            writer.write(evaluation, line: number, explanation: recorder, values: values, into: &out)
        }
        return ok
    }

    /// The answering policy's index in the set, after `answer` answered a line.
    public var lastPolicy: Int? { evaluation.status == .answered ? evaluation.policy : nil }
}

/// Drives framer → sink → writer over a byte stream of JSON Lines:
/// one output line per non-blank input line, in order; answers are written
/// before the next read blocks (a tool can keep the process open and send one
/// ticket at a time), but not flushed per line while more input is already
/// buffered (batch input stays fast).
public struct TicketStream {
    public var maxLineBytes: Int
    public var chunkBytes: Int
    /// Answers are written out whenever this many bytes are waiting, whatever
    /// the batch: memory for output stays bounded however large the answers
    /// (`--explain` of a big table) or the batch.
    public var flushBytes: Int

    public init(maxLineBytes: Int = 64 << 20, chunkBytes: Int = 256 << 10, flushBytes: Int = 1 << 20) {
        self.maxLineBytes = maxLineBytes
        self.chunkBytes = chunkBytes
        self.flushBytes = max(1, flushBytes)
    }

    public struct Summary: Sendable, Equatable {
        public var lines = 0
        public var answered = 0
        public var errors = 0
        /// False when the output could not be written (e.g. the reader went away).
        public var outputOK = true
        /// False when reading the input failed (not its normal end): lines may be lost.
        public var inputOK = true
    }

    /// `read` fills the buffer and returns the byte count (0 at the end, < 0 on error);
    /// `write` writes all bytes and returns false when it cannot.
    public func run(
        _ sink: TicketSink,
        read: (UnsafeMutableRawBufferPointer) -> Int,
        write: ([UInt8]) -> Bool
    ) -> Summary {
        run([sink], read: read, write: write)
    }

    /// Batches smaller than this are answered on the calling thread: a tool
    /// sending one ticket at a time gets its answer with no hand-over.
    public static let parallelBatch = 64

    /// With several sinks (one per worker: `--jobs`), each batch the framer
    /// hands over is split into contiguous parts answered on as many threads,
    /// and their output is written in input order: one line out per line in,
    /// errors in place. Workers share only the immutable compiled policies.
    public func run(
        _ sinks: [TicketSink],
        read: (UnsafeMutableRawBufferPointer) -> Int,
        write: ([UInt8]) -> Bool
    ) -> Summary {
        run(workers: sinks.count, makeSink: { sinks[$0] }, read: read, write: write)
    }

    /// The same with sinks made as they are needed: the first at once, the
    /// others (`makeSink(1)` … `makeSink(workers - 1)`) only when a batch is
    /// large enough to share, so a stream of one ticket or none does not
    /// pay for building every worker's evaluator over a large policy set.
    ///
    /// With several workers, the answers of a round are written on a thread
    /// of their own while the next round is answered (the kernel's copy of
    /// them into a file took a tenth of a two-core run, with both workers
    /// waiting). That thread writes whatever the main one does, so an answer
    /// never waits for the next read.
    public func run(
        workers requested: Int,
        makeSink: (Int) -> TicketSink,
        read: (UnsafeMutableRawBufferPointer) -> Int,
        write: ([UInt8]) -> Bool
    ) -> Summary {
        withoutActuallyEscaping(write) { write in
            stream(workers: max(1, requested), makeSink: makeSink, read: read, write: write)
        }
    }

    private func stream(
        workers: Int,
        makeSink: (Int) -> TicketSink,
        read: (UnsafeMutableRawBufferPointer) -> Int,
        write: @escaping ([UInt8]) -> Bool
    ) -> Summary {
        var sinks = [makeSink(0)]
        var framer = LineFramer(maxLineBytes: maxLineBytes, chunkBytes: chunkBytes)
        var out = JSONWriter(capacity: 1 << 16)
        let results = OutputSlots(count: workers)
        let shared = SharedWork(sinks: sinks)
        var summary = Summary()
        // Counts before this run, of sinks made before it (a caller's own).
        var before = [(sinks[0].answered, sinks[0].errors)]
        // Output bytes per line seen so far (the largest average of a worker's
        // part): sizes the parallel rounds so their output stays near
        // `flushBytes`. Until measured, a round gives each worker one line.
        var bytesPerLine = max(1, flushBytes / workers)
        // Started at the first batch large enough to share, kept for the rest.
        var team: Team?
        var writer: OrderedWriter?
        defer {
            team?.stop()
            writer?.stop()
        }
        var more = true
        stream: while more {
            more = framer.next(read: read)
            let count = framer.batch.count
            summary.lines += count
            if workers == 1 || count < Self.parallelBatch {
                // Answered here and written at once: what the writer holds goes first.
                if let writer, !writer.drain() {
                    summary.outputOK = false
                    break stream
                }
                var from = 0
                repeat {
                    from = sinks[0].process(framer, lines: from..<count, into: &out, until: flushBytes)
                    guard flush(&out, write) else {
                        summary.outputOK = false
                        break stream
                    }
                } while from < count
                continue
            }
            while sinks.count < workers {
                let sink = makeSink(sinks.count)
                sinks.append(sink)
                before.append((sink.answered, sink.errors))
            }
            // Workers with an explicit stack: Dispatch's get `ulimit -s`, too
            // small for the deepest policy the limits allow (docs/limits.md).
            let crew = team ?? Team(size: workers)
            team = crew
            let output = writer ?? OrderedWriter(write: write, flushBytes: flushBytes)
            writer = output
            shared.sinks = sinks
            shared.framer = framer
            var from = 0
            while from < count {
                // Each round gives every worker a contiguous part, as many lines as
                // keep the round's output about `flushBytes`, and writes it in order.
                let perWorker = max(1, flushBytes / (workers * bytesPerLine))
                let round = min(count - from, perWorker * workers)
                let part = (round + workers - 1) / workers
                let start = from
                crew.perform { w in
                    let lines = (start + min(round, w * part))..<(start + min(round, (w + 1) * part))
                    var out = results.take(w)
                    shared.sinks[w].process(shared.framer, lines: lines, into: &out)
                    results.put(w, out)
                }
                var ok = true
                for w in 0..<workers where ok {
                    var out = results.take(w)
                    let lines = min(round, (w + 1) * part) - min(round, w * part)
                    if lines > 0 { bytesPerLine = max(bytesPerLine / 2, out.bytes.count / lines, 1) }
                    ok = output.enqueue(&out.bytes)
                    results.put(w, out)
                }
                guard ok else {
                    summary.outputOK = false
                    shared.framer = LineFramer(maxLineBytes: 0, chunkBytes: 0)
                    break stream
                }
                from += round
            }
            // Let go of the batch, or the framer's next read would copy its buffer.
            shared.framer = LineFramer(maxLineBytes: 0, chunkBytes: 0)
        }
        if let writer, !writer.stop() { summary.outputOK = false }
        summary.answered = zip(sinks, before).reduce(0) { $0 + $1.0.answered - $1.1.0 }
        summary.errors = zip(sinks, before).reduce(0) { $0 + $1.0.errors - $1.1.1 }
        summary.inputOK = framer.inputOK
        return summary
    }

    /// Writes what `out` holds and empties it; a buffer grown far past the
    /// flush bound by one outsized answer is given back, not kept.
    private func flush(_ out: inout JSONWriter, _ write: ([UInt8]) -> Bool) -> Bool {
        guard !out.bytes.isEmpty else { return true }
        guard write(out.bytes) else { return false }
        if Self.keeps(capacity: out.bytes.capacity, flushBytes: flushBytes) {
            out.bytes.removeAll(keepingCapacity: true)
        } else {
            out = JSONWriter(capacity: 1 << 16)
        }
        return true
    }

    /// Whether an output buffer is kept for the next answers: not one grown
    /// far past the flush bound by one outsized answer.
    static func keeps(capacity: Int, flushBytes: Int) -> Bool {
        capacity / 4 <= max(flushBytes, 1 << 16)
    }
}

/// Writes buffers of answers in the order given, on a thread of its own:
/// the workers answer the next round meanwhile. What waits stays under
/// `flushBytes` (one buffer at least: an explained answer can be megabytes),
/// so the memory for output stays bounded; written buffers come back empty
/// for the next round, so their capacity is reused. After a failed write
/// nothing more is written. Without a thread, each buffer is written when it
/// is given.
final class OrderedWriter: @unchecked Sendable {
    /// Guards everything below; its condition is signalled whenever any of it changes.
    private let lock = Lock()
    private var queue: [[UInt8]] = []
    private var queuedBytes = 0
    private var spare: [[UInt8]] = []
    private var writing = false
    private var failed = false
    private var stopping = false
    private var thread: Threads.Handle?
    private let write: ([UInt8]) -> Bool
    /// What may wait to be written (one buffer at least).
    private let flushBytes: Int
    /// Written buffers kept for reuse.
    static let spares = 2

    init(write: @escaping ([UInt8]) -> Bool, flushBytes: Int) {
        self.write = write
        self.flushBytes = max(flushBytes, 1 << 16)
        thread = Threads.start(Threads.Box { [unowned self] in self.serve() }, stackSize: 1 << 20)
    }

    deinit { stop() }

    /// Queues `bytes` for writing and leaves an empty buffer in its place;
    /// false once a write has failed.
    func enqueue(_ bytes: inout [UInt8]) -> Bool {
        guard !bytes.isEmpty else { return lock.withLock { !failed } }
        guard thread != nil else {
            let ok = lock.withLock { !failed } && write(bytes)
            if !ok { lock.withLock { failed = true } }
            bytes.removeAll(keepingCapacity: true)
            return ok
        }
        lock.lock()
        defer { lock.unlock() }
        while !queue.isEmpty && queuedBytes >= flushBytes && !failed { lock.wait() }
        if failed { return false }
        var next = spare.popLast() ?? []
        swap(&next, &bytes)
        queuedBytes += next.count
        queue.append(next)
        lock.broadcast()
        return true
    }

    /// Waits until every queued buffer is written; false once a write has failed.
    func drain() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        while (!queue.isEmpty || writing) && !failed { lock.wait() }
        return !failed
    }

    /// Writes what is queued and ends the thread; false once a write has failed.
    @discardableResult
    func stop() -> Bool {
        lock.lock()
        stopping = true
        lock.broadcast()
        let running = thread
        thread = nil
        lock.unlock()
        if let running { Threads.join(running) }
        return lock.withLock { !failed }
    }

    private func serve() {
        lock.lock()
        while true {
            while queue.isEmpty && !stopping { lock.wait() }
            if queue.isEmpty || failed {
                // Stopping with nothing left, or after a failure: what is queued is dropped.
                queue.removeAll()
                queuedBytes = 0
                lock.broadcast()
                if stopping { break }
                continue
            }
            var bytes = queue.removeFirst()
            queuedBytes -= bytes.count
            writing = true
            lock.unlock()
            let ok = write(bytes)
            bytes.removeAll(keepingCapacity: true)
            lock.lock()
            writing = false
            if !ok { failed = true }
            if TicketStream.keeps(capacity: bytes.capacity, flushBytes: flushBytes), spare.count < Self.spares {
                spare.append(bytes)
            }
            lock.broadcast()
        }
        lock.unlock()
    }
}

/// One output buffer per worker, kept from batch to batch (their capacity is
/// reused); each worker takes and puts back only its own.
final class OutputSlots: @unchecked Sendable {
    private var slots: [JSONWriter]
    private let lock = Lock()

    init(count: Int) { slots = (0..<count).map { _ in JSONWriter(capacity: 1 << 16) } }

    func take(_ i: Int) -> JSONWriter {
        lock.withLock {
            var w = JSONWriter(capacity: 0)
            swap(&w, &slots[i])
            return w
        }
    }

    func put(_ i: Int, _ w: JSONWriter) {
        lock.withLock { slots[i] = w }
    }
}

/// What the workers of one batch read: their sinks (each touches only its
/// own) and the framer's batch (read only while they run).
final class SharedWork: @unchecked Sendable {
    var sinks: [TicketSink]
    var framer = LineFramer(maxLineBytes: 0, chunkBytes: 0)

    init(sinks: [TicketSink]) { self.sinks = sinks }
}
