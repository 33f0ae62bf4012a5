package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"unsafe"

	"github.com/danieljoos/wincred"
)

const usage = "usage: winprobe credentials PREFIX | winprobe console PROGRAM [ARG...]"

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	switch os.Args[1] {
	case "credentials":
		os.Exit(credentials(os.Args[2]))
	case "console":
		os.Exit(console(os.Args[2:]))
	}
	fmt.Fprintln(os.Stderr, usage)
	os.Exit(2)
}

// credentials prints the names of the credentials starting with prefix,
// through CredEnumerateW, as go-keyring stores them ("service:user").
func credentials(prefix string) int {
	all, err := wincred.List()
	if err != nil {
		fmt.Fprintln(os.Stderr, "winprobe: the Credential Manager cannot be listed:", err)
		return 2
	}
	for _, c := range all {
		if strings.HasPrefix(c.TargetName, prefix) {
			fmt.Printf("%s (%d bytes)\n", c.TargetName, len(c.CredentialBlob))
		}
	}
	return 0
}

// detachedProcess starts a program without a console: a GUI program's lot.
const detachedProcess = 0x00000008

// console starts args as a process with no console and no standard handles
// (none inherited, none given), waits for it and returns its exit code.
func console(args []string) int {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = syscall.EscapeArg(a)
	}
	cmdline, err := syscall.UTF16PtrFromString(strings.Join(quoted, " "))
	if err != nil {
		fmt.Fprintln(os.Stderr, "winprobe:", err)
		return 2
	}
	si := &syscall.StartupInfo{}
	si.Cb = uint32(unsafe.Sizeof(*si))
	var pi syscall.ProcessInformation
	if err := syscall.CreateProcess(nil, cmdline, nil, nil, false, detachedProcess, nil, nil, si, &pi); err != nil {
		fmt.Fprintf(os.Stderr, "winprobe: cannot start %s: %v\n", args[0], err)
		return 2
	}
	defer syscall.CloseHandle(pi.Thread)
	defer syscall.CloseHandle(pi.Process)
	if _, err := syscall.WaitForSingleObject(pi.Process, syscall.INFINITE); err != nil {
		fmt.Fprintln(os.Stderr, "winprobe: waiting:", err)
		return 2
	}
	var code uint32
	if err := syscall.GetExitCodeProcess(pi.Process, &code); err != nil {
		fmt.Fprintln(os.Stderr, "winprobe: exit code:", err)
		return 2
	}
	return int(code)
}
