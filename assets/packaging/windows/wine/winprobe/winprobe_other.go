//go:build !windows

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "winprobe runs on Windows only: the Wine test builds it with GOOS=windows")
	os.Exit(2)
}
