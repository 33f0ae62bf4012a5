// Package buildinfo is what the build stamped on the program, with
// -ldflags "-X github.com/workshop-login/workshop-login/platform/buildinfo.Version=…"
// (and Commit, Date; the Makefile does it). It imports nothing, so that
// platform/startup can answer --version before any other package of the
// program has initialised.
package buildinfo

// The build's stamps; an unstamped build (go run, go test) says dev.
var (
	Version = "dev"
	Commit  = "unknown"
	Date    = "unknown"
)

// Line is the answer to `workshop-login --version` for a build stamped
// version, commit and date.
func Line(version, commit, date string) string {
	return "workshop-login " + version + " (commit " + commit + ", built " + date + ")"
}
