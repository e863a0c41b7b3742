import VerdictCompiler
import VerdictJSON
import VerdictJSONWriter
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
        for line in framer.batch {
            if line.tooLong {
                errors += 1
                AnswerWriter.writeErrorLine(
                    number: line.number, id: nil, message: "line is longer than \(framer.maxLineBytes) bytes",
                    into: &out)
                continue
            }
            framer.withBytes(of: line) { answer(line: $0, number: line.number, into: &out) }
        }
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
            writer.write(evaluation, line: number, explanation: recorder, into: &out)
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

    public init(maxLineBytes: Int = 64 << 20, chunkBytes: Int = 256 << 10) {
        self.maxLineBytes = maxLineBytes
        self.chunkBytes = chunkBytes
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
        var framer = LineFramer(maxLineBytes: maxLineBytes, chunkBytes: chunkBytes)
        var out = JSONWriter(capacity: 1 << 16)
        var summary = Summary()
        let (answeredBefore, errorsBefore) = (sink.answered, sink.errors)
        var more = true
        while more {
            more = framer.next(read: read)
            summary.lines += framer.batch.count
            sink.process(framer, into: &out)
            // Write before waiting for more input.
            if !out.bytes.isEmpty {
                if !write(out.bytes) {
                    summary.outputOK = false
                    break
                }
                out.bytes.removeAll(keepingCapacity: true)
            }
        }
        summary.answered = sink.answered - answeredBefore
        summary.errors = sink.errors - errorsBefore
        summary.inputOK = framer.inputOK
        return summary
    }
}
