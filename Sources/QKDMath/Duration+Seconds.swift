extension Duration {
    /// The duration in seconds, fractions included: what reports, rates and summaries print.
    /// (Where an event loop wants a `TimeAmount`, NIO's `TimeAmount(_: Duration)` converts.)
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
