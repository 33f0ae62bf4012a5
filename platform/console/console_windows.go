package console

import (
	"os"
	"syscall"
)

var attachConsole = syscall.NewLazyDLL("kernel32.dll").NewProc("AttachConsole")

const attachParentProcess = ^uintptr(0) // (DWORD)-1

// Attach connects standard output and error to the parent's console, when
// there is one and they are not already redirected to a file or pipe.
func Attach() {
	if ok, _, _ := attachConsole.Call(attachParentProcess); ok == 0 {
		return // started from Explorer: no console to print to
	}
	if out, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0); err == nil {
		if !redirected(os.Stdout) {
			os.Stdout = out
		}
		if !redirected(os.Stderr) {
			os.Stderr = out
		}
	}
	if in, err := os.OpenFile("CONIN$", os.O_RDONLY, 0); err == nil && !redirected(os.Stdin) {
		os.Stdin = in
	}
}

// redirected reports whether f is a usable file or pipe already (a GUI
// program's standard handles are otherwise invalid).
func redirected(f *os.File) bool {
	if f == nil {
		return false
	}
	_, err := f.Stat()
	return err == nil
}
