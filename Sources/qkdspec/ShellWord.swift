/// Shell quoting for the command lines qkdspec prints (reproduce lines).
enum ShellWord {
    /// `word` as one POSIX shell word: unchanged when it holds only safe characters, else in
    /// single quotes (a quote inside written as '\'').
    static func quote(_ word: String) -> String {
        let safe = word.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./:=@%+,".contains($0)) }
        if safe && !word.isEmpty { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
