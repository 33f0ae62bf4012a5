package authtest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// FreeLoopbackAddr is a loopback address no one listens on now, for a
// server (a relay, a provider) to listen on a moment later. Its port is
// below the ephemeral range, from which the system takes the ports of
// outgoing connections and of listeners on port 0: taken from there, an
// HTTP client's connection (this test's, another package's) could hold it
// by the time the server starts, which failed CI once ("bind: address
// already in use").
func FreeLoopbackAddr(t testing.TB) string {
	t.Helper()
	low := 32768 // Linux's default start of the ephemeral range
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 2048 {
				low = n
			}
		}
	}
	span := min(low-1024, 12000)
	for range 100 {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", low-1-rand.IntN(span)))
		if err != nil {
			continue // taken: another test's relay, say
		}
		defer ln.Close()
		return ln.Addr().String()
	}
	t.Fatal("no free loopback port below the ephemeral range")
	return ""
}
