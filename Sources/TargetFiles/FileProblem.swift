import Foundation

/// File errors in plain words: "cannot write the JSON report to r.json: Permission denied"
/// instead of Foundation's "The operation could not be completed (NSCocoaErrorDomain error 513)".
package enum FileProblem {
    /// The reason of a file error: the system's text for its errno when there is one, else a
    /// plain description of Foundation's code.
    package static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if ns.domain == NSCocoaErrorDomain {
            switch CocoaError.Code(rawValue: ns.code) {
            case .fileNoSuchFile, .fileReadNoSuchFile: return String(cString: strerror(ENOENT))
            case .fileReadNoPermission, .fileWriteNoPermission: return String(cString: strerror(EACCES))
            case .fileWriteOutOfSpace: return String(cString: strerror(ENOSPC))
            case .fileWriteVolumeReadOnly: return String(cString: strerror(EROFS))
            case .fileWriteFileExists: return String(cString: strerror(EEXIST))
            case .fileReadCorruptFile: return "the file is damaged or not in the expected format"
            case .fileReadInapplicableStringEncoding, .fileWriteInapplicableStringEncoding: return "the text is not UTF-8"
            case .fileReadTooLarge: return "the file is too large"
            default: break
            }
        }
        if error is HarnessError { return "\(error)" }
        return ns.localizedDescription
    }

    /// Whether `path` can be written as an output file, checked before a run spends its time:
    /// nil when it can, else why not (a directory, a missing or unwritable directory, an
    /// unwritable file).
    package static func unwritable(_ path: String) -> String? {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { return "it is a directory" }
            return access(path, W_OK) == 0 ? nil : String(cString: strerror(errno))
        }
        let parent = (path as NSString).deletingLastPathComponent
        let dir = parent.isEmpty ? "." : parent
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory) else { return "the directory \(dir) does not exist" }
        guard isDirectory.boolValue else { return "\(dir) is not a directory" }
        return access(dir, W_OK) == 0 ? nil : "the directory \(dir): \(String(cString: strerror(errno)))"
    }
}
