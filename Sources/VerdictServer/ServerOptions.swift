/// How `verdict-server` runs: what `verdict serve`'s options set.
public struct ServerOptions: Sendable {
    /// The policy folder (every `*.yaml` directly in it, as `verdict eval` reads it).
    public var policies = "./policies"
    /// Where to listen. Loopback unless another address is asked for.
    public var host = "127.0.0.1"
    /// 0: any free port (the log line `listening` says which).
    public var port = 8181
    /// The largest request body, in bytes; past it, 413.
    public var maxBody = 64 << 20
    /// The longest line of a JSON Lines body (the CLI's limit): a longer one gets an error line.
    public var maxLine = 64 << 20
    /// Log each ticket line (its text) as well as the request line.
    public var logTickets = false
    /// How the folder is watched for edits.
    public var watch = WatchMode.auto
    /// How often `poll` (or the `auto` safety net) compares the folder with what was loaded.
    public var pollInterval: Duration = .milliseconds(500)
    /// How long the folder must be quiet after an event before a reload starts
    /// (an editor's save is often several writes).
    public var debounce: Duration = .milliseconds(150)

    public init() {}

    public enum WatchMode: String, Sendable, CaseIterable {
        /// inotify on Linux (with a slow poll as a safety net), polling elsewhere.
        case auto
        /// Poll file names, sizes, times and inodes every `pollInterval`.
        case poll
        /// No watching: reload on SIGHUP only.
        case off
    }
}
