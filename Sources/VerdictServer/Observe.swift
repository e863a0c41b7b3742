import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import VerdictJSONWriter
import VerdictOutput

/// What a handler tells the request log: the set used, tickets answered and
/// errors, and whether the response is a stream (logged when it ends).
final class RequestRecord: @unchecked Sendable {
    private let lock = NIOLock()
    private var _setDigest: String?
    private var _answered = 0
    private var _errors = 0
    private var _streamed = false
    private var _note: String?

    var setDigest: String? {
        get { lock.withLock { _setDigest } }
        set { lock.withLock { _setDigest = newValue } }
    }
    var streamed: Bool {
        get { lock.withLock { _streamed } }
        set { lock.withLock { _streamed = newValue } }
    }
    /// Why the request failed or ended early, for the log.
    var note: String? {
        get { lock.withLock { _note } }
        set { lock.withLock { _note = newValue } }
    }

    func count(answered: Int, errors: Int) {
        lock.withLock {
            _answered += answered
            _errors += errors
        }
    }

    var counts: (answered: Int, errors: Int) { lock.withLock { (_answered, _errors) } }
}

/// The contract's error object, `{"line":…,"id":…,"error":"…"}`, as a whole
/// response: `line` is null when the problem is the request's, not a line's.
enum ErrorBody {
    static func text(_ message: String, line: Int? = nil) -> String {
        var w = JSONWriter(capacity: 64 + message.utf8.count)
        if let line {
            AnswerWriter.writeErrorLine(number: line, id: nil, message: message, into: &w)
        } else {
            w.raw("{\"line\":null,\"id\":null,\"error\":")
            w.string(message)
            w.raw("}\n")
        }
        return String(decoding: w.bytes, as: UTF8.self)
    }

    static func response(_ status: HTTPResponse.Status, _ message: String) -> Response {
        VerdictServer.json(status, text(message))
    }
}

/// One structured log line and the metrics for every request; maps errors
/// thrown anywhere below (no route, a body that cannot be read) to the
/// contract's error object, so no client sees an empty error page.
struct ObserveMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let server: VerdictServer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let started = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            let status = error.status
            let message: String
            switch status {
            case .notFound: message = "no route `\(request.method) \(request.uri.path)`; see docs/serve.md"
            case .methodNotAllowed: message = "`\(request.method)` is not allowed on `\(request.uri.path)`"
            case .contentTooLarge: message = "the request body is larger than \(server.options.maxBody) bytes"
            default: message = status.reasonPhrase.lowercased()
            }
            response = ErrorBody.response(status, message)
        } catch {
            // A connection that went away while its body was read; nothing to answer.
            context.record.note = "\(error)"
            response = ErrorBody.response(.badRequest, "the request body could not be read")
        }
        let route = context.endpointPath ?? "unmatched"
        let record = context.record
        let status = response.status.code
        let finish: @Sendable () -> Void = { [server] in
            let elapsed = ContinuousClock.now - started
            server.metrics.request(route: route, method: request.method.rawValue, status: status, duration: elapsed)
            let (answered, errors) = record.counts
            server.metrics.tickets(answered: answered, errors: errors)
            var meta: Logger.Metadata = [
                "method": .string(request.method.rawValue), "path": .string(request.uri.path),
                "route": .string(route), "status": .stringConvertible(status),
                "ms": .stringConvertible(PolicyStore.milliseconds(elapsed)),
            ]
            if let q = request.uri.query, !q.isEmpty { meta["query"] = .string(q) }
            if answered + errors > 0 {
                meta["tickets"] = .stringConvertible(answered + errors)
                meta["errors"] = .stringConvertible(errors)
            }
            if let set = record.setDigest { meta["set"] = .string(set) }
            if let note = record.note { meta["note"] = .string(note) }
            server.logger.info("request", metadata: meta)
        }
        if record.streamed {
            // Logged when the last answer line has been written (or the client left).
            let body = response.body
            response.body = ResponseBody { writer in
                do {
                    try await body.write(writer)
                } catch {
                    if record.note == nil { record.note = "stream ended early: \(error)" }
                    finish()
                    throw error
                }
                finish()
            }
        } else {
            finish()
        }
        return response
    }
}
