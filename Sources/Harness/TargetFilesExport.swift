// The target file and key output formats live in their own Foundation-only module (shared with
// the fuzz targets); users of Harness see them as before.
@_exported import TargetFiles
