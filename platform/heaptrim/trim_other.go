//go:build !linux || !cgo

package heaptrim

// Trim does nothing where the C allocator is not glibc's.
func Trim() bool { return false }
