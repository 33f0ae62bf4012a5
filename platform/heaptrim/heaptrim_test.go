//go:build linux && cgo

package heaptrim

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// Memory the C side freed stays with the process until Trim hands it back.
func TestTrimReturnsWhatCFreed(t *testing.T) {
	const blocks, size = 8 << 10, 4 << 10 // 32 MiB in blocks below mmap's threshold
	before := residentKiB(t)
	last := leaveFreed(blocks, size)
	if last == nil {
		t.Fatal("the C heap could not be filled")
	}
	defer free(last)
	kept := residentKiB(t)
	if kept-before < 16<<10 {
		t.Skipf("the C allocator returned the freed memory by itself (%d KiB kept)", kept-before)
	}
	if !Trim() {
		t.Fatal("Trim found nothing to return")
	}
	if after := residentKiB(t); kept-after < 16<<10 {
		t.Errorf("resident memory %d KiB with 32 MiB freed in C, %d KiB after Trim: the freed memory was not returned", kept, after)
	}
}

func residentKiB(t *testing.T) int {
	t.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}
