#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The little the tools ask of the file system beyond reading files.
public enum FileSystem {
    /// Whether `path` names a folder (following symbolic links).
    public static func isDirectory(_ path: String) -> Bool {
        var s = stat()
        return stat(path, &s) == 0 && (s.st_mode & S_IFMT) == S_IFDIR
    }
}
