import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import CEL
import VerdictJSONWriter
import VerdictOutput
import VerdictRuntime

/// POST /v1/eval: one ticket (a JSON object) → its answer line; a JSON Lines
/// body (`Content-Type: application/x-ndjson`) → one line per ticket,
/// streamed in order as they are read. The lines are the bytes `verdict eval`
/// prints for the same tickets and options; every line of a response comes
/// from the one set in force when the request started.
struct EvalRoute: Sendable {
    let server: VerdictServer

    static let parameters = ["ask", "explain"]
    static let lineTypes: Set<String> = [
        "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines",
        "application/jsonlines",
    ]

    func respond(_ request: Request, _ context: ServerContext) async throws -> Response {
        guard let set = server.store.current else {
            let why = server.store.lastFailure.map { ": " + VerdictServer.firstLine($0.text) } ?? ""
            return ErrorBody.response(.serviceUnavailable, "no policy set is loaded\(why)")
        }
        context.record.setDigest = set.setDigest
        var ask: [String] = []
        var explain = false
        for (key, value) in request.uri.queryParameters {
            switch key {
            case "ask":
                ask.append(String(value))
            case "explain":
                switch value {
                case "true", "1": explain = true
                case "false", "0": explain = false
                default: return ErrorBody.response(.badRequest, "`explain` must be true or false, not `\(value)`")
                }
            default:
                let hint = Suggest.closest(to: String(key), in: Self.parameters).map { " (did you mean `\($0)`?)" } ?? ""
                return ErrorBody.response(
                    .badRequest, "unknown query parameter `\(key)`\(hint); parameters: ask, explain")
            }
        }
        let prepared: LoadedSet.Prepared
        do {
            prepared = try set.prepare(ask: ask, explain: explain)
        } catch {
            return ErrorBody.response(.badRequest, error.message)
        }
        let limit = server.options.maxBody
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            return ErrorBody.response(.contentTooLarge, "the request body is larger than \(limit) bytes")
        }
        let mediaType = request.headers[.contentType].map {
            $0.split(separator: ";", maxSplits: 1)[0].trimmingCharacters(in: .whitespaces).lowercased()
        }
        if let mediaType, Self.lineTypes.contains(mediaType) {
            return stream(request, context, set, prepared)
        }
        return try await single(request, context, set, prepared)
    }

    /// One ticket: 200 with its answer line, or 400 with its error line.
    func single(_ request: Request, _ context: ServerContext, _ set: LoadedSet, _ prepared: LoadedSet.Prepared)
        async throws -> Response
    {
        let limit = min(server.options.maxBody, server.options.maxLine)
        var body = ByteBuffer()
        for try await chunk in request.body {
            guard body.readableBytes + chunk.readableBytes <= limit else {
                return ErrorBody.response(.contentTooLarge, "the request body is larger than \(limit) bytes")
            }
            var chunk = chunk
            body.writeBuffer(&chunk)
        }
        let ticket = body
        let (answered, answer, policy) = await VerdictServer.evaluators.run { () -> (Bool, [UInt8], Int?) in
            let sink = prepared.take(set.policies)
            defer { prepared.give(back: sink) }
            var out = JSONWriter(capacity: 4096)
            let answered = ticket.withUnsafeReadableBytes { raw -> Bool in
                var bytes = raw
                // A byte order mark is accepted at the start, as on the command line.
                if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
                    bytes = UnsafeRawBufferPointer(rebasing: bytes[3...])
                }
                return sink.answer(line: bytes, number: 1, into: &out)
            }
            return (answered, out.bytes, sink.lastPolicy)
        }
        context.record.count(answered: answered ? 1 : 0, errors: answered ? 0 : 1)
        if server.options.logTickets { logTicket(body, line: 1, context) }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[Headers.policy] = policy.map { set.identities[$0] } ?? set.allIdentities
        headers[Headers.set] = set.setDigest
        return Response(
            status: answered ? .ok : .badRequest, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: answer)))
    }

    /// JSON Lines: the body is read as it comes and each read's complete lines
    /// are answered and written before the next read, as `verdict eval` does.
    func stream(_ request: Request, _ context: ServerContext, _ set: LoadedSet, _ prepared: LoadedSet.Prepared)
        -> Response
    {
        var headers = HTTPFields()
        headers[.contentType] = "application/x-ndjson"
        headers[Headers.policy] = set.allIdentities
        headers[Headers.set] = set.setDigest
        context.record.streamed = true
        let options = server.options
        let record = context.record
        let logTickets = options.logTickets ? self : nil
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                let sink = prepared.take(set.policies)
                defer { prepared.give(back: sink) }
                var framer = LineFramer(maxLineBytes: options.maxLine, chunkBytes: 64 << 10)
                var out = JSONWriter(capacity: 64 << 10)
                var total = 0
                var more = true
                var chunks = request.body.makeAsyncIterator()
                while more {
                    let (answered, errors) = (sink.answered, sink.errors)
                    guard var chunk = try await chunks.next() else {
                        // The end of the body: the last line needs no line end.
                        _ = framer.next { _ in 0 }
                        await VerdictServer.evaluators.run { sink.process(framer, into: &out) }
                        logTickets?.logLines(framer, context)
                        record.count(answered: sink.answered - answered, errors: sink.errors - errors)
                        more = false
                        break
                    }
                    total += chunk.readableBytes
                    if total > options.maxBody {
                        // Headers are gone already: say so in the stream, read no further.
                        out.raw(
                            text: ErrorBody.text(
                                "the request body is larger than \(options.maxBody) bytes: the rest is not read"))
                        record.count(answered: 0, errors: 1)
                        record.note = "body over the limit"
                        more = false
                    } else {
                        while chunk.readableBytes > 0 {
                            _ = framer.next { into in
                                chunk.readWithUnsafeReadableBytes { from in
                                    let n = min(from.count, into.count)
                                    if n > 0, let base = into.baseAddress, let source = from.baseAddress {
                                        base.copyMemory(from: source, byteCount: n)
                                    }
                                    return n
                                }
                            }
                            await VerdictServer.evaluators.run { sink.process(framer, into: &out) }
                            logTickets?.logLines(framer, context)
                        }
                        record.count(answered: sink.answered - answered, errors: sink.errors - errors)
                    }
                    if !out.bytes.isEmpty {
                        try await writer.write(ByteBuffer(bytes: out.bytes))
                        out.bytes.removeAll(keepingCapacity: true)
                    }
                }
                if !out.bytes.isEmpty { try await writer.write(ByteBuffer(bytes: out.bytes)) }
                try await writer.finish(nil)
            })
    }

    // MARK: - --log-tickets

    func logLines(_ framer: LineFramer, _ context: ServerContext) {
        for line in framer.batch where !line.tooLong {
            framer.withBytes(of: line) { bytes in
                server.logger.info(
                    "ticket",
                    metadata: [
                        "request_id": .string(context.id), "line": .stringConvertible(line.number),
                        "ticket": .string(String(decoding: bytes.prefix(Self.loggedBytes), as: UTF8.self)),
                    ])
            }
        }
    }

    func logTicket(_ body: ByteBuffer, line: Int, _ context: ServerContext) {
        server.logger.info(
            "ticket",
            metadata: [
                "request_id": .string(context.id), "line": .stringConvertible(line),
                "ticket": .string(String(decoding: body.readableBytesView.prefix(Self.loggedBytes), as: UTF8.self)),
            ])
    }

    /// At most this much of a ticket is logged.
    static let loggedBytes = 64 << 10

}
