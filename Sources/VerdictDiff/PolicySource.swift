import Foundation
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
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: argument, isDirectory: &isDir), isDir.boolValue {
            return .directory(argument)
        }
        let prefix = try Git.run(["rev-parse", "--show-prefix"]).trimmingCharacters(in: .whitespacesAndNewlines)
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
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git"] + arguments
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        do {
            try p.run()
        } catch {
            throw SourceError(message: "cannot run git: \(error)")
        }
        // Read both pipes before waiting, so a large file cannot block git.
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            let text = String(decoding: errors, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw SourceError(message: text.isEmpty ? "git \(arguments.joined(separator: " ")) failed" : text)
        }
        return [UInt8](data)
    }
}
