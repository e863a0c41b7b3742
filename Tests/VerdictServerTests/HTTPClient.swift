import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A small HTTP/1.1 client over a blocking loopback socket, so that a test
/// controls every byte: when a body's chunks are sent, and what has arrived
/// before the next one goes. Every read has a deadline.
final class Connection: @unchecked Sendable {
    let fd: Int32
    private var buffer: [UInt8] = []
    var timeout: Double

    init(port: Int, timeout: Double = 20) throws {
        self.timeout = timeout
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard ok == 0 else {
            close(fd)
            throw Failure("cannot connect to 127.0.0.1:\(port): errno \(errno)")
        }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) async throws { try await blocking { try self.sendNow(bytes) } }

    fileprivate func sendNow(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { systemSend(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure("send failed: errno \(errno)")
            }
            sent += n
        }
    }

    func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    /// Sends one chunk of a chunked body (an empty one ends the body).
    func sendChunk(_ bytes: [UInt8]) async throws {
        try await send(Array(String(bytes.count, radix: 16).utf8) + [13, 10] + bytes + [13, 10])
    }

    /// Reads more bytes into the buffer; false at the end of the stream.
    private func fill() throws -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&p, 1, Int32(timeout * 1000))
        guard ready > 0 else { throw Failure("no answer within \(timeout) s") }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 {
            if errno == EINTR { return true }
            if errno == ECONNRESET { return false }
            throw Failure("recv failed: errno \(errno)")
        }
        if n == 0 { return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    private func readLine() throws -> String {
        while true {
            if let i = buffer.firstIndex(of: 10) {
                var line = Array(buffer[..<i])
                buffer.removeFirst(i + 1)
                if line.last == 13 { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            guard try fill() else { throw Failure("the connection closed in a header line") }
        }
    }

    private func read(exactly n: Int) throws -> [UInt8] {
        while buffer.count < n {
            guard try fill() else { throw Failure("the connection closed after \(buffer.count) of \(n) bytes") }
        }
        let out = Array(buffer[..<n])
        buffer.removeFirst(n)
        return out
    }

    /// The status line and headers of a response.
    func readHead() async throws -> (status: Int, headers: [String: String]) {
        try await blocking { try self.readHeadNow() }
    }

    private func readHeadNow() throws -> (status: Int, headers: [String: String]) {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw Failure("bad status line `\(statusLine)`") }
        var headers: [String: String] = [:]
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, headers)
    }

    /// The next chunk of a chunked body; nil after the last.
    func readChunk() async throws -> [UInt8]? { try await blocking { try self.readChunkNow() } }

    private func readChunkNow() throws -> [UInt8]? {
        let sizeLine = try readLine()
        guard let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else {
            throw Failure("bad chunk size `\(sizeLine)`")
        }
        if size == 0 {
            while try !readLine().isEmpty {}
            return nil
        }
        let data = try read(exactly: size)
        _ = try read(exactly: 2)
        return data
    }

    /// The whole body after a head.
    private func readBodyNow(_ headers: [String: String]) throws -> [UInt8] {
        if let length = headers["content-length"].flatMap({ Int($0) }) { return try read(exactly: length) }
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            var out: [UInt8] = []
            while let chunk = try readChunkNow() { out += chunk }
            return out
        }
        while try fill() {}
        defer { buffer.removeAll() }
        return buffer
    }

    func readResponse() async throws -> Reply { try await blocking { try self.readResponseNow() } }

    fileprivate func readResponseNow() throws -> Reply {
        let (status, headers) = try readHeadNow()
        return Reply(status: status, headers: headers, body: try readBodyNow(headers))
    }

}

struct Reply: CustomStringConvertible, Sendable {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
    var lines: [String] {
        var parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if parts.last == "" { parts.removeLast() }
        return parts
    }
    var description: String { "HTTP \(status) \(headers)\n\(text.prefix(2000))" }

    func json() throws -> [String: Any] {
        guard let o = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw Failure("not a JSON object: \(text.prefix(300))")
        }
        return o
    }
}

/// Runs blocking socket work on a thread of its own: never on the threads
/// that run Swift tasks (there are as many as cores), which the server
/// under test needs.
func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { c in
        Thread.detachNewThread { c.resume(with: Result { try work() }) }
    }
}

/// One request on a new connection.
func http(
    _ method: String, port: Int, _ target: String, body: [UInt8]? = nil, headers: [String: String] = [:],
    timeout: Double = 20
) async throws -> Reply {
    try await blocking {
        let c = try Connection(port: port, timeout: timeout)
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (k, v) in headers.sorted(by: { $0.key < $1.key }) { head += "\(k): \(v)\r\n" }
        if let body { head += "Content-Length: \(body.count)\r\n" }
        try c.sendNow(Array((head + "\r\n").utf8) + (body ?? []))
        return try c.readResponseNow()
    }
}

func post(_ port: Int, _ target: String, _ body: String, lines: Bool = false) async throws -> Reply {
    try await http(
        "POST", port: port, target, body: Array(body.utf8),
        headers: ["Content-Type": lines ? "application/x-ndjson" : "application/json"])
}

func get(_ port: Int, _ target: String) async throws -> Reply { try await http("GET", port: port, target) }

/// Starts a chunked JSON Lines request on a new connection, sends `first`
/// as its first line, and reads the response's head and first answer line:
/// the connection is left open for the rest of the body.
func startStream(_ port: Int, first: String) async throws -> (Connection, status: Int, received: [UInt8]) {
    let c = try Connection(port: port)
    try await c.send(
        "POST /v1/eval HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n")
    try await c.sendChunk(Array((first + "\n").utf8))
    let head = try await c.readHead()
    var received: [UInt8] = []
    while !received.contains(10), let chunk = try await c.readChunk() { received += chunk }
    return (c, head.status, received)
}

#if canImport(Glibc)
    private func systemSend(_ fd: Int32, _ p: UnsafeRawPointer?, _ n: Int) -> Int { Glibc.send(fd, p, n, Int32(MSG_NOSIGNAL)) }
#else
    private func systemSend(_ fd: Int32, _ p: UnsafeRawPointer?, _ n: Int) -> Int { Darwin.send(fd, p, n, 0) }
#endif

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
