package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
)

// profileVariable names a folder for the window's profiles, for whoever
// measures the kiosk: WORKSHOP_LOGIN_PROFILE=DIR writes DIR/cpu.pprof
// (from the start to the window's close, or SIGTERM) and DIR/heap.pprof
// (what is still held at that moment, after a garbage collection). Read
// them with `go tool pprof`. Not a setting: nobody needs it to run a kiosk.
const profileVariable = "WORKSHOP_LOGIN_PROFILE"

// startProfiles starts the CPU profile when profileVariable asks for one,
// and returns what ends it and writes the heap profile, safe to call more
// than once. Profiles that cannot be written are reported on stderr; the
// window runs all the same.
func startProfiles(stderr io.Writer) (stop func()) {
	dir := os.Getenv(profileVariable)
	if dir == "" {
		return func() {}
	}
	cpu, err := os.Create(filepath.Join(dir, "cpu.pprof"))
	if err == nil {
		err = pprof.StartCPUProfile(cpu)
	}
	if err != nil {
		fmt.Fprintln(stderr, "workshop-login: no CPU profile:", err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			if cpu != nil {
				pprof.StopCPUProfile()
				cpu.Close()
			}
			heap, err := os.Create(filepath.Join(dir, "heap.pprof"))
			if err == nil {
				runtime.GC() // the heap profile shows the state as of the last collection
				err = pprof.WriteHeapProfile(heap)
				heap.Close()
			}
			if err != nil {
				fmt.Fprintln(stderr, "workshop-login: no heap profile:", err)
			}
		})
	}
}
