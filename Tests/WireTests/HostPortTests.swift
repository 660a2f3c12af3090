import Testing
@testable import Wire

@Suite("Endpoints: HOST:PORT")
struct HostPortTests {
    @Test("IPv4, names and bracketed IPv6 parse; the description parses back")
    func parses() throws {
        #expect(try HostPort(parsing: "127.0.0.1:7000") == HostPort(host: "127.0.0.1", port: 7000))
        #expect(try HostPort(parsing: "node-a.example:0") == HostPort(host: "node-a.example", port: 0))
        let v6 = try HostPort(parsing: "[::1]:80")
        #expect(v6 == HostPort(host: "::1", port: 80))
        #expect(v6.description == "[::1]:80")
        #expect(try HostPort(parsing: v6.description) == v6)
        #expect(try HostPort(parsing: "[fe80::1%eth0]:65535").port == 65_535)
    }

    @Test("refused: empty host, no port, a port out of range, bare IPv6, unclosed bracket", arguments: [
        ":80", "[]:80", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "::1:80", "[::1:80", "[::1]80", "",
    ])
    func refuses(_ text: String) {
        #expect(throws: HostPortError.self) { try HostPort(parsing: text) }
    }
}
