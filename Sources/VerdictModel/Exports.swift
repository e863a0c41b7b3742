/// `Threads` lives in its own module so that the YAML reader (below the
/// model) can start one; every user of the model sees it as before.
@_exported import VerdictThreads
