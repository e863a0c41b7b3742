import CVerdictSupport
import Testing
import VerdictJSON

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

import CEL
@testable import VerdictCompiler
@testable import VerdictModel
@testable import VerdictOutput
@testable import VerdictRuntime

/// Feeds a byte stream in chunks; records what was written after each read.
final class Feed {
    var chunks: [[UInt8]]
    var output: [UInt8] = []
    var writesBeforeRead: [Int] = []
    init(_ chunks: [[UInt8]]) { self.chunks = chunks }

    func run(_ set: PolicySet, maxLineBytes: Int = 1 << 20) throws -> TicketStream.Summary {
        let sink = TicketSink(policies: set, plan: try AskPlan(policies: set.compiled, ask: ["in_warranty"]))
        var stream = TicketStream(maxLineBytes: maxLineBytes)
        stream.chunkBytes = 4096
        return stream.run(
            sink,
            read: { buffer in
                self.writesBeforeRead.append(self.output.count)
                guard !self.chunks.isEmpty else { return 0 }
                var c = self.chunks.removeFirst()
                if c.count > buffer.count {
                    self.chunks.insert(Array(c[buffer.count...]), at: 0)
                    c = Array(c[..<buffer.count])
                }
                for (i, b) in c.enumerated() { buffer[i] = b }
                return c.count
            },
            write: { self.output += $0; return true })
    }

    var lines: [String] { String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init) }
}

@Suite struct LineStreamTests {
    let t = Array(ticket.utf8)

    @Test func bomCRLFAndBlankLines() throws {
        let input: [UInt8] = [0xEF, 0xBB, 0xBF] + t + Array("\r\n\r\n   \n".utf8) + t + Array("\r\n".utf8) + t
        let feed = Feed([input])
        let s = try feed.run(try loadShipped())
        #expect(s.lines == 3 && s.errors == 0)
        #expect(feed.lines.count == 3)
        #expect(feed.lines.allSatisfy { $0.contains("\"in_warranty\":true") })
    }

    @Test func answersAreWrittenBeforeTheNextReadBlocks() throws {
        // Three tickets sent one at a time: each answer is out before the next read.
        let line = t + [UInt8(ascii: "\n")]
        let feed = Feed([line, line, line])
        _ = try feed.run(try loadShipped())
        let perLine = feed.output.count / 3
        #expect(feed.writesBeforeRead.count == 4)
        #expect(feed.writesBeforeRead == [0, perLine, 2 * perLine, 3 * perLine])
    }

    @Test func batchedInputIsWrittenOncePerRead() throws {
        let line = t + [UInt8(ascii: "\n")]
        let feed = Feed([line + line + line])
        _ = try feed.run(try loadShipped())
        #expect(feed.writesBeforeRead.count == 2)
        #expect(feed.lines.count == 3)
    }

    @Test func hostileLinesEachGetOneLine() throws {
        var hostile: [[UInt8]] = [
            Array("not json".utf8),
            Array("[1,2,3]".utf8),
            Array("\"just a string\"".utf8),
            [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D],  // invalid UTF-8
            Array(String(repeating: "[", count: 10_000).utf8),
            Array(String(repeating: "{\"a\":", count: 10_000).utf8),
            Array("{\"id\":\"big\",\"market\":\"domestic\",\"customer\":{\"units_held\":123456789012345678901234567890}}".utf8),
            Array("{\"id\":\"types\",\"market\":\"domestic\",\"unit\":{\"installed_on\":20250601,\"install_count\":\"1\"}}".utf8),
            Array("{\"id\":\"enum\",\"market\":\"domestic\",\"request\":{\"kind\":\"teleport\"}}".utf8),
            Array("{\"id\":\"market\",\"market\":\"mars\"}".utf8),
            Array("{\"id\":7,\"market\":42}".utf8),
            Array("{\"id\":\"dup\",\"id\":\"dup\"}".utf8),
            Array("{}".utf8),
            Array("{\"market\":\"domestic\",\"id\":\"\(String(repeating: "x", count: 2_000_000))\"}".utf8),
        ]
        hostile.append(t)
        var input: [UInt8] = []
        for h in hostile { input += h + [UInt8(ascii: "\n")] }
        let feed = Feed([input])
        let s = try feed.run(try loadShipped(), maxLineBytes: 4 << 20)
        #expect(feed.lines.count == hostile.count)
        #expect(s.lines == hostile.count)
        for (i, line) in feed.lines.enumerated() {
            let v = try parseJSON(line)
            #expect(object(v) != nil, "line \(i + 1) is not an object")
        }
        #expect(feed.lines.last?.contains("\"in_warranty\":true") == true)
        #expect(s.errors > 0)
    }

    @Test func overlongLineGetsAnErrorAndTheStreamGoesOn() throws {
        let long = Array(repeating: UInt8(ascii: "x"), count: 50_000)
        let feed = Feed([t + [10] + long + [10] + t + [10]])
        let s = try feed.run(try loadShipped(), maxLineBytes: 10_000)
        #expect(feed.lines.count == 3)
        #expect(feed.lines[1].contains("\"line\":2"))
        #expect(feed.lines[1].contains("longer than"))
        #expect(feed.lines[2].contains("\"in_warranty\":true"))
        #expect(s.errors == 1)
    }

    /// The limit holds exactly, also when the line ends within the read that crosses it.
    @Test(arguments: [10_000, 10_001])
    func lineLengthLimitIsExact(_ length: Int) throws {
        let prefix = Array("{\"market\":\"domestic\",\"pad\":\"".utf8)
        let line = prefix + Array(repeating: UInt8(ascii: "a"), count: length - prefix.count - 2) + Array("\"}".utf8)
        #expect(line.count == length)
        for end in [[UInt8(10)], [13, 10]] {
            let feed = Feed([line + end + t + [10]])
            _ = try feed.run(try loadShipped(), maxLineBytes: 10_000)
            #expect(feed.lines.count == 2)
            #expect(feed.lines[0].contains("longer than") == (length > 10_000), "\(feed.lines[0].prefix(200))")
            #expect(feed.lines[1].contains("\"in_warranty\":true"))
        }
    }

    @Test func lastLineWithoutNewline() throws {
        let feed = Feed([t + [10] + t])
        _ = try feed.run(try loadShipped())
        #expect(feed.lines.count == 2)
    }

    /// Output memory is bounded whatever the batch: with explanations (a few
    /// kilobytes a line) and 300 lines in one read, no write holds more than
    /// the flush bound plus a few lines, on one worker or several, and the
    /// output is the same as unbounded.
    @Test(arguments: [1, 3])
    func outputIsFlushedWhenTheBufferPassesTheBound(workers: Int) throws {
        let set = try loadShipped()
        let input = Array(repeating: t + [10], count: 300).flatMap { $0 }
        func run(flushBytes: Int) throws -> (output: [UInt8], writes: [Int]) {
            let plan = try AskPlan(policies: set.compiled, ask: [])
            let sinks = (0..<workers).map { _ in TicketSink(policies: set, plan: plan, explain: true) }
            var output: [UInt8] = []
            var writes: [Int] = []
            _ = TicketStream(chunkBytes: 1 << 20, flushBytes: flushBytes).run(
                sinks,
                read: reader(input),
                write: {
                    output += $0
                    writes.append($0.count)
                    return true
                })
            return (output, writes)
        }
        let unbounded = try run(flushBytes: .max)
        let bounded = try run(flushBytes: 4096)
        #expect(bounded.output == unbounded.output)
        let longest = String(decoding: unbounded.output, as: UTF8.self).split(separator: "\n").map(\.utf8.count).max() ?? 0
        #expect(longest > 1000)
        #expect(unbounded.writes.max() ?? 0 > 40 * longest)
        #expect(bounded.writes.max() ?? 0 <= 4096 + 8 * longest, "\(bounded.writes.prefix(12))")
    }

    /// With several workers the answers are written on a thread of their
    /// own: in order, and after a failed write nothing more is written and
    /// the stream stops and says so.
    @Test func aFailedWriteOnTheWriterThreadStopsTheStream() throws {
        let set = try loadShipped()
        let input = Array(repeating: t + [10], count: 2_000).flatMap { $0 }
        let plan = try AskPlan(policies: set.compiled, ask: [])
        func run(failAfter: Int) -> (summary: TicketStream.Summary, output: [UInt8], calls: Int) {
            let sinks = (0..<2).map { _ in TicketSink(policies: set, plan: plan) }
            var output: [UInt8] = []
            var calls = 0
            let summary = TicketStream(chunkBytes: 64 << 10, flushBytes: 4096).run(
                sinks, read: reader(input),
                write: {
                    calls += 1
                    guard calls <= failAfter else { return false }
                    output += $0
                    return true
                })
            return (summary, output, calls)
        }
        let whole = run(failAfter: .max)
        #expect(whole.summary.outputOK && whole.summary.lines == 2_000)
        #expect(String(decoding: whole.output, as: UTF8.self).split(separator: "\n").count == 2_000)
        let cut = run(failAfter: 3)
        #expect(!cut.summary.outputOK)
        #expect(cut.calls == 4, "no write after the failed one")
        #expect(!cut.output.isEmpty && whole.output.starts(with: cut.output))
        #expect(cut.summary.lines < 2_000, "the stream stopped reading")
    }
}

/// `verdict_grow_pipe` (what eval asks of piped stdin and stdout): a pipe is
/// grown where the system allows it and never shrunk; anything else is left alone.
@Suite struct PipeSizeTests {
    @Test func aPipeIsGrownAndOtherFilesAreLeftAlone() throws {
        var fds: [Int32] = [-1, -1]
        try #require(pipe(&fds) == 0)
        defer {
            close(fds[0])
            close(fds[1])
        }
        let held = verdict_grow_pipe(fds[1], 4096)
        #expect(held >= 4096, "a pipe asked for less than it holds keeps its size")
        let grown = verdict_grow_pipe(fds[1], 1 << 20)
        #expect(grown == 1 << 20 || grown == held, "grown to the size asked for, or refused: \(grown)")
        #expect(verdict_grow_pipe(fds[0], 1 << 10) == grown, "both ends name one pipe")
        let device = open("/dev/null", O_WRONLY)
        defer { close(device) }
        #expect(verdict_grow_pipe(device, 1 << 20) == 0)
    }
}
