import ArgumentParser
import Harness
import Logging
import Node
import PostProcessing
import Wire

// The enumerated options, parsed by ArgumentParser itself: it lists the values in --help,
// completes them in the shell, and refuses any other value with a message naming the valid ones.

extension Profile: ExpressibleByArgument {}
extension BugKnob: ExpressibleByArgument {}
extension CascadeVariant: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}

/// A node's role by name (on the wire it is a number).
extension Role: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument {
        case "alice": self = .alice
        case "bob": self = .bob
        default: return nil
        }
    }

    var optionName: String { self == .alice ? "alice" : "bob" }

    public static var allValueStrings: [String] { ["alice", "bob"] }

    public var defaultValueDescription: String { optionName }
}
