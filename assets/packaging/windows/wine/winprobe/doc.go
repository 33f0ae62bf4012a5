// Command winprobe is what the Wine test (../../wine-check.sh) asks Windows
// that no Windows tool in Wine answers. It is built for Windows, run in the
// test's throwaway Wine prefix, and never shipped.
//
//	winprobe credentials PREFIX
//	    lists the Credential Manager's credentials whose names start with
//	    PREFIX, one a line with its size, never its content (Wine has no
//	    cmdkey): how the test sees the kept session come and go.
//	winprobe console PROGRAM [ARG...]
//	    runs PROGRAM as cmd.exe runs a GUI program typed at its prompt:
//	    without a console or standard handles of its own, so that what it
//	    prints reaches this console only if it attaches to it (Wine would
//	    otherwise hand a GUI program its parent's console, which Windows
//	    never does). Exits with PROGRAM's exit code.
package main
