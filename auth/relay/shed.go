package relay

import (
	"bufio"
	"log"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	relayapi "github.com/workshop-login/workshop-login/auth/relay/api"
)

// Shedding bounds the work a replica takes on, so that an overload is
// answered at once with 503 busy and Retry-After (which the kiosk obeys:
// the code stays as it was) instead of queueing until every call is late.
// After the overload the queue is empty, and latency is back at once.
type Shedding struct {
	// MaxInFlight bounds kiosk calls being answered at once.
	MaxInFlight int
	// MaxTrustCentreCalls bounds calls to the Trust Centre at once (and
	// its connections): a slow Digidentity cannot make the relay open
	// connections, and file descriptors, without end.
	MaxTrustCentreCalls int
	// MaxConnections bounds open connections; relaycmd derives it from the
	// file-descriptor limit. Zero: no bound.
	MaxConnections int
	// RetryAfter is the least wait a shed call is told; each gets up to
	// 3 s more, so the kiosks that were shed together do not come back
	// together.
	RetryAfter time.Duration
}

// DefaultShedding suits one replica of two cores: 2,400 polls a second
// keep about ten calls in flight on loopback, and a thousand a second at
// Digidentity's 100 ms or so about a hundred.
var DefaultShedding = Shedding{MaxInFlight: 512, MaxTrustCentreCalls: auth.UpstreamMaxConns, RetryAfter: 2 * time.Second}

// DefaultBodyTimeout bounds reading a request: its header and its body, a
// handle of a few hundred bytes.
const DefaultBodyTimeout = 10 * time.Second

func (s *Shedding) defaults() {
	d := DefaultShedding
	if s.MaxInFlight <= 0 {
		s.MaxInFlight = d.MaxInFlight
	}
	if s.MaxTrustCentreCalls <= 0 || s.MaxTrustCentreCalls > auth.UpstreamMaxConns {
		s.MaxTrustCentreCalls = d.MaxTrustCentreCalls // no more than the connections there
	}
	if s.RetryAfter <= 0 {
		s.RetryAfter = d.RetryAfter
	}
}

// slots is a counting semaphore that never waits.
type slots chan struct{}

func (s slots) take() bool {
	select {
	case s <- struct{}{}:
		return true
	default:
		return false
	}
}

func (s slots) give() { <-s }

// retryAfter is a shed call's wait, in whole seconds, with jitter.
func (s *Server) retryAfter() int {
	return int(s.cfg.Shedding.RetryAfter/time.Second) + rand.IntN(4)
}

// shed answers a call the replica has no room for: 503 busy, Retry-After.
func (s *Server) shed(w http.ResponseWriter, what string) {
	s.cfg.Metrics.reject("overloaded")
	s.quiet.note("shed calls: the replica is at its bound", what)
	wait := s.retryAfter()
	w.Header().Set("Retry-After", strconv.Itoa(wait))
	writeJSON(w, http.StatusServiceUnavailable, relayapi.PollAnswer{State: relayapi.Busy, RetryIn: wait,
		Detail: "the relay is at capacity (" + what + ")"})
}

// HTTPServer is how a replica is served: bounded header and body reads
// (a kiosk's call is a few hundred bytes; a client that trickles it is not
// waited on), idle keep-alive above the kiosks' poll interval.
func (s *Server) HTTPServer(errLog *log.Logger) *http.Server {
	return &http.Server{Handler: s.Handler(), ReadHeaderTimeout: min(10*time.Second, s.cfg.BodyTimeout),
		ReadTimeout: s.cfg.BodyTimeout, IdleTimeout: 2 * time.Minute, ErrorLog: errLog}
}

// Listener bounds the open connections on ln at Shedding.MaxConnections:
// one beyond it is answered 503 busy with Retry-After and closed, fast,
// instead of waiting in the backlog or failing for want of a file
// descriptor.
func (s *Server) Listener(ln net.Listener) net.Listener {
	if s.cfg.Shedding.MaxConnections <= 0 {
		return ln
	}
	return &boundedListener{Listener: ln, s: s, max: int64(s.cfg.Shedding.MaxConnections)}
}

type boundedListener struct {
	net.Listener
	s    *Server
	max  int64
	open atomic.Int64
}

func (l *boundedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) <= l.max {
			return &boundedConn{Conn: c, l: l}, nil
		}
		// A few more than the bound may be open while they are refused;
		// far beyond it, close at once and keep the descriptors.
		if l.open.Load() > l.max+l.max/8+16 {
			l.open.Add(-1)
			c.Close()
			continue
		}
		go l.refuse(c)
	}
}

// refuse reads the request's header (so the close is not a reset that
// loses the answer), answers 503 busy and closes.
func (l *boundedListener) refuse(c net.Conn) {
	defer l.open.Add(-1)
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	br := bufio.NewReaderSize(c, 4096)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil || len(line) <= 2 {
			break
		}
	}
	l.s.cfg.Metrics.reject("overloaded")
	l.s.quiet.note("shed calls: the replica is at its bound", "connections")
	wait := strconv.Itoa(l.s.retryAfter())
	body := `{"state":"busy","retry_in":` + wait + `,"detail":"the relay is at capacity (connections)"}` + "\n"
	_, _ = c.Write([]byte("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n" +
		"Retry-After: " + wait + "\r\nConnection: close\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body))
}

type boundedConn struct {
	net.Conn
	l      *boundedListener
	closed atomic.Bool
}

func (c *boundedConn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.l.open.Add(-1)
	}
	return c.Conn.Close()
}

// ShedConfig is [limits]' bounds on work taken on; zero fields take
// DefaultShedding's, and max_connections, relaycmd's bound from the
// file-descriptor limit.
type ShedConfig struct {
	MaxInFlight         int `toml:"max_in_flight"`
	MaxTrustCentreCalls int `toml:"max_trust_centre_calls"`
	MaxConnections      int `toml:"max_connections"`
}

// Shedding is the configuration's bounds, the defaults filled in.
func (c Config) Shedding() Shedding {
	s := Shedding{MaxInFlight: c.Limits.MaxInFlight, MaxTrustCentreCalls: c.Limits.MaxTrustCentreCalls,
		MaxConnections: c.Limits.MaxConnections}
	s.defaults()
	return s
}

// ConnectionBound is the open connections a replica takes with openFiles
// file descriptors: what is left after its Trust Centre connections and a
// margin for its own files, the listener and the refused connections
// being answered.
func ConnectionBound(openFiles uint64, s Shedding) int {
	const margin = 128
	reserve := uint64(s.MaxTrustCentreCalls + margin)
	if openFiles <= reserve+margin {
		return margin // a tiny limit: serve a few rather than none
	}
	return int(openFiles - reserve - (openFiles-reserve)/16)
}

// connectionBytes is what a waiting kiosk's connection costs the relay in
// memory: its goroutine's stack, the server's buffers and its share of
// the heap. Under GOMEMLIMIT the collector lets the heap grow to the
// limit whatever it is, so the cost is the least a kiosk needs before the
// collector runs too often: with 5,000 kiosks waiting, a poll cost the
// same CPU at 40, 48, 56 and 64 KiB a kiosk (260 to 275 µs), and 19% more
// at 32 KiB (317 µs, the collector running 28 times a minute), with no
// errors at any (make bench-relay-memory). The replica's RSS peaked at
// 1.07 to 1.14 times GOMEMLIMIT: the container's limit must leave that.
const connectionBytes = 48 << 10

// MemoryBound is the open connections that fit in memoryLimit bytes (the
// Go runtime's GOMEMLIMIT, set below the container's limit): in a
// container the open-file limit is often a million, and memory runs out
// first. Zero or less means no memory limit: no bound.
func MemoryBound(memoryLimit int64) int {
	if memoryLimit <= 0 || memoryLimit == math.MaxInt64 {
		return 0
	}
	return max(128, int(memoryLimit/connectionBytes))
}
