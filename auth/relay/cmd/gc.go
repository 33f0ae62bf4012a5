package relaycmd

import (
	"runtime/debug"
)

// relayGCPercent is the relay's garbage collector target when GOGC does
// not say otherwise. A replica's live heap is small (about 11 KB a waiting
// kiosk) but every poll allocates about 14 KB, so at Go's default (100) the
// collector runs every few seconds; and each run scans the stack of every
// waiting kiosk's connection, which under a busy CPU delays the polls in
// flight by tens to hundreds of milliseconds. At 400 it runs a quarter as
// often, for a heap about twice as large (make bench-relay, README
// "Figures"). GOMEMLIMIT, set below the container's memory limit, makes it
// collect sooner before memory runs out.
const relayGCPercent = 400

// tuneGC sets relayGCPercent unless the environment sets GOGC.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(relayGCPercent)
	}
}
