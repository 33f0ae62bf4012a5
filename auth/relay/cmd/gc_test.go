package relaycmd

import (
	"runtime/debug"
	"testing"
)

func TestRelayCollectsLessOftenUnlessGOGCSays(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)

	tuneGC(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != relayGCPercent {
		t.Errorf("without GOGC the relay collects at %d, want %d", got, relayGCPercent)
	}
	tuneGC(func(name string) string {
		if name == "GOGC" {
			return "150"
		}
		return ""
	})
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set the relay changed the target to %d; the operator's setting must stand", got)
	}
}
