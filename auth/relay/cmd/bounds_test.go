package relaycmd

import (
	"math"
	"os"
	"testing"

	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/relay"
	"github.com/workshop-login/workshop-login/auth/simulator"
)

// [limits] bounds the work a replica takes on, and the connections it
// holds follow the file-descriptor limit, below it.
func TestBoundsFollowTheConfigurationAndTheFileLimit(t *testing.T) {
	path := relayConfig(t, authtest.Simulator(t, simulator.Options{}))
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("[limits]\nmax_in_flight = 64\nmax_trust_centre_calls = 32\n")
	f.Close()
	cfg, err := relay.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	shed := cfg.Shedding()
	if shed.MaxInFlight != 64 || shed.MaxTrustCentreCalls != 32 || shed.MaxConnections != 0 {
		t.Errorf("bounds %+v, want 64 in flight, 32 Trust Centre calls, connections from the file limit", shed)
	}
	for _, files := range []uint64{1024, 20000, 1 << 20} {
		n := relay.ConnectionBound(files, shed)
		if n <= 0 || uint64(n)+uint64(shed.MaxTrustCentreCalls)+64 > files {
			t.Errorf("%d open files: %d connections, want some, leaving room for the Trust Centre's and the relay's own files", files, n)
		}
	}
}

// Under GOMEMLIMIT, connections are bounded by memory too: a container's
// open-file limit is often a million, and memory runs out long before.
func TestConnectionsFollowTheMemoryLimit(t *testing.T) {
	if n := relay.MemoryBound(600 << 20); n < 5000 || n > 20000 {
		t.Errorf("600 MiB: %d connections, want thousands, not the million a container's file limit allows", n)
	}
	if n := relay.MemoryBound(math.MaxInt64); n != 0 {
		t.Errorf("no memory limit: %d, want no bound (0)", n)
	}
}
