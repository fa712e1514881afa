import Glibc

/// A POSIX thread running `body`: the metrics server's and the OTLP exporter's. Not Swift
/// concurrency: these loops block in poll() and socket calls, and the tools have no executor.
public enum BackgroundThread {
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    /// The thread to join, or nil when it could not be made.
    public static func start(_ body: @escaping @Sendable () -> Void) -> pthread_t? {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        var id = pthread_t()
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        guard pthread_create(&id, &attributes, { context in
            guard let context else { return nil }
            Unmanaged<Body>.fromOpaque(context).takeRetainedValue().run()
            return nil
        }, context) == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            return nil
        }
        return id
    }
}
