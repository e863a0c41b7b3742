import FoundationEssentials
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import VerdictCompiler
import VerdictModel

/// Where one side of a diff comes from: a policies folder, or a folder as it
/// was in a git revision (read with git, no checkout).
public enum PolicySource: Sendable, Hashable, CustomStringConvertible {
    case directory(String)
    /// `rev` is any git revision (`HEAD~1`, `v1.2`, a commit id); `path` the
    /// folder inside the repository, relative to its root.
    case git(rev: String, path: String)

    public var description: String {
        switch self {
        case .directory(let d): d
        case .git(let rev, let path): "\(rev):\(path)"
        }
    }

    /// Reads a command-line argument: an existing folder; or `REV:PATH` (PATH
    /// from the repository's root, or from the current directory when it starts
    /// with `./`, as git reads it); or a revision alone, whose folder is
    /// `defaultPath` (relative to the current directory, as `--policies` is).
    public static func parse(_ argument: String, defaultPath: String) throws(SourceError) -> PolicySource {
        if FileSystem.isDirectory(argument) {
            return .directory(argument)
        }
        let prefix = try Git.run(["rev-parse", "--show-prefix"]).trimmingWhitespace()
        if let colon = argument.firstIndex(of: ":") {
            // As git reads `REV:PATH`: from the repository's root, unless PATH starts with `./` or `../`.
            let rev = String(argument[..<colon])
            let path = String(argument[argument.index(after: colon)...])
            let relative = path.hasPrefix("./") || path.hasPrefix("../") || path == "." || path == ".."
            return .git(rev: rev.isEmpty ? "HEAD" : rev, path: normalize(relative ? prefix + path : path))
        }
        guard (try? Git.run(["rev-parse", "--verify", "--quiet", argument + "^{commit}"])) != nil else {
            throw SourceError(message: "`\(argument)` is neither a policy folder nor a git revision")
        }
        return .git(rev: argument, path: normalize(prefix + defaultPath))
    }

    /// `a/./b/` → `a/b`.
    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for p in path.split(separator: "/") where p != "." && !p.isEmpty {
            if p == "..", !parts.isEmpty { parts.removeLast() } else { parts.append(p) }
        }
        return parts.joined(separator: "/")
    }

    /// Loads the policies, or throws every problem as `check` would.
    public func load() throws -> PolicySet {
        switch self {
        case .directory(let d):
            return try PolicySet.load(directory: d, warnings: false)
        case .git(let rev, let path):
            let tree = rev + ":" + path
            let listing: String
            do {
                listing = try Git.run(["ls-tree", "--full-tree", "--name-only", "-z", tree])
            } catch {
                throw SourceError(message: "no policy folder `\(path)` in revision `\(rev)` (\(error.message))")
            }
            let names = listing.split(separator: "\0").map(String.init)
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
            guard !names.isEmpty else {
                throw SourceError(message: "no policy files (`*.yaml`) in `\(tree)`")
            }
            var files: [(path: String, bytes: [UInt8])] = []
            for name in names {
                let object = tree + (path.isEmpty ? "" : "/") + name
                files.append((object, try Git.bytes(["show", object])))
            }
            return try PolicySet.load(files: files, warnings: false)
        }
    }
}

public struct SourceError: Error, Sendable {
    public var message: String
}

/// Runs git in the current directory.
enum Git {
    static func run(_ arguments: [String]) throws(SourceError) -> String {
        String(decoding: try bytes(arguments), as: UTF8.self)
    }

    static func bytes(_ arguments: [String]) throws(SourceError) -> [UInt8] {
        let (status, output, errors) = try spawn(["git"] + arguments)
        guard status == 0 else {
            let text = String(decoding: errors, as: UTF8.self).trimmingWhitespace()
            throw SourceError(message: text.isEmpty ? "git \(arguments.joined(separator: " ")) failed" : text)
        }
        return output
    }

    /// Runs a program found on the PATH with its output and errors captured
    /// (both read as they come, so a large file cannot block it); its exit status.
    static func spawn(_ argv: [String]) throws(SourceError) -> (Int32, [UInt8], [UInt8]) {
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0 else { throw SourceError(message: "cannot run git: no pipe") }
        guard pipe(&errPipe) == 0 else {
            close(outPipe[0])
            close(outPipe[1])
            throw SourceError(message: "cannot run git: no pipe")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        for fd in outPipe + errPipe { posix_spawn_file_actions_addclose(&actions, fd) }
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var pid = pid_t()
        let spawned = cArgs.withUnsafeBufferPointer { args -> Int32 in
            guard let base = args.baseAddress else { return EINVAL }
            return posix_spawnp(&pid, argv[0], &actions, nil, base, environ)
        }
        close(outPipe[1])
        close(errPipe[1])
        guard spawned == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            throw SourceError(message: "cannot run \(argv[0]): \(String(cString: strerror(spawned)))")
        }
        var output: [UInt8] = []
        var errors: [UInt8] = []
        var fds = [pollfd(fd: outPipe[0], events: Int16(POLLIN), revents: 0), pollfd(fd: errPipe[0], events: Int16(POLLIN), revents: 0)]
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var open = 2
        while open > 0 {
            guard poll(&fds, nfds_t(fds.count), -1) >= 0 else {
                if errno == EINTR { continue }
                break
            }
            for i in fds.indices where fds[i].fd >= 0 && fds[i].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(fds[i].fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    if i == 0 { output += buffer[0..<n] } else { errors += buffer[0..<n] }
                } else if n == 0 || errno != EINTR {
                    close(fds[i].fd)
                    fds[i].fd = -1
                    open -= 1
                }
            }
        }
        for f in fds where f.fd >= 0 { close(f.fd) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // Exited normally: its code; killed by a signal: 128 + the signal, as shells say.
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (code, output, errors)
    }
}
