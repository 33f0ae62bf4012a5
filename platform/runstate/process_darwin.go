package runstate

import (
	"os/exec"
	"strconv"
	"strings"
)

// processStart is the process's start time as ps prints it.
func processStart(pid int) (string, error) {
	out, err := exec.Command("/bin/ps", "-o", "lstart=", "-p", strconv.Itoa(pid)).Output()
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}
