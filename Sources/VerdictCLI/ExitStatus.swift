import ArgumentParser

/// The exit statuses of the ticket contract (docs/cli.md), by name.
enum ExitStatus: Int32 {
    /// Every line evaluated (undetermined decisions included); `check`: the policies are clean.
    case success = 0
    /// `eval`: some line was an error (every line is still answered);
    /// `check`: the policies have problems; `expr`: the expression failed.
    case failure = 1
    /// The policies do not load or the usage is wrong (nothing is read).
    case usage = 2
    /// Reading standard input or writing standard output failed.
    case io = 3

    var code: ExitCode { ExitCode(rawValue) }
}
