import VerdictJSON

/// Drives a `TicketProcessor` over a byte stream of JSON Lines.
///
/// - One output line per non-blank input line, in order; blank lines are skipped.
/// - A byte order mark at the start and CRLF line ends are accepted.
/// - Answers are written before the next read blocks (a tool can keep the
///   process open and send one ticket at a time), but not flushed per line
///   while more input is already buffered (batch input stays fast).
/// - A line longer than `maxLineBytes` is not buffered: it gets an error line.
public struct LineStream {
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
        _ processor: TicketProcessor,
        read: (UnsafeMutableRawBufferPointer) -> Int,
        write: ([UInt8]) -> Bool
    ) -> Summary {
        var summary = Summary()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(chunkBytes * 2)
        var chunk = [UInt8](repeating: 0, count: chunkBytes)
        var out = JSONWriter(capacity: 1 << 16)
        var lineNumber = 0
        var atStart = true
        var skipping = false  // inside a line longer than the limit
        var eof = false
        var scanned = 0  // bytes of `buffer` already searched for a line end

        func tooLong() {
            lineNumber += 1
            atStart = false
            summary.lines += 1
            summary.errors += 1
            TicketProcessor.writeErrorLine(
                number: lineNumber, id: nil, message: "line is longer than \(maxLineBytes) bytes", into: &out)
        }

        func handle(_ start: Int, _ end: Int) {
            var s = start
            var e = end
            if atStart {
                atStart = false
                if e - s >= 3, buffer[s] == 0xEF, buffer[s + 1] == 0xBB, buffer[s + 2] == 0xBF { s += 3 }
            }
            if e > s, buffer[e - 1] == UInt8(ascii: "\r") { e -= 1 }
            // The limit counts the line's content, not its BOM or line end; this
            // catches a line that ended within the read that crossed the limit.
            if e - s > maxLineBytes {
                tooLong()
                return
            }
            lineNumber += 1
            var blank = true
            var i = s
            while i < e {
                let b = buffer[i]
                if b != 0x20, b != 0x09, b != 0x0D {
                    blank = false
                    break
                }
                i += 1
            }
            if blank { return }
            summary.lines += 1
            let ok = buffer.withUnsafeBytes { raw in
                processor.process(line: UnsafeRawBufferPointer(rebasing: raw[s..<e]), number: lineNumber, into: &out)
            }
            if ok { summary.answered += 1 } else { summary.errors += 1 }
        }

        while !eof {
            let n = chunk.withUnsafeMutableBytes { read($0) }
            if n <= 0 {
                eof = true
                if n < 0 { summary.inputOK = false }
            } else {
                var from = 0
                if skipping {
                    // Drop bytes up to the end of the over-long line.
                    if let nl = chunk[0..<n].firstIndex(of: UInt8(ascii: "\n")) {
                        skipping = false
                        from = nl + 1
                        tooLong()
                    } else {
                        from = n
                    }
                }
                if from < n { buffer.append(contentsOf: chunk[from..<n]) }
            }
            // Answer every complete line now buffered. Bytes before `scanned`
            // were searched already (a long line arrives over many reads).
            var lineStart = 0
            var i = scanned
            let count = buffer.count
            while i < count {
                if buffer[i] == UInt8(ascii: "\n") {
                    handle(lineStart, i)
                    lineStart = i + 1
                }
                i += 1
            }
            if eof, lineStart < count {
                handle(lineStart, count)
                lineStart = count
            }
            if lineStart > 0 { buffer.removeFirst(lineStart) }
            scanned = buffer.count
            // An unfinished line this long is too long whatever its end
            // (a BOM and a CR add at most 4 bytes): stop keeping it.
            if buffer.count > maxLineBytes + 4 {
                buffer.removeAll(keepingCapacity: true)
                scanned = 0
                if eof { tooLong() } else { skipping = true }
            }
            if eof, skipping {
                skipping = false
                tooLong()
            }
            // Write before waiting for more input.
            if !out.bytes.isEmpty {
                if !write(out.bytes) {
                    summary.outputOK = false
                    return summary
                }
                out.bytes.removeAll(keepingCapacity: true)
            }
        }
        return summary
    }
}
