package relay

import (
	"log/slog"
	"sort"
	"sync"
	"time"
)

// quietLog turns events that may come by the thousand (wrong kiosk keys,
// calls shed under load) into one line an interval per message, with a
// count: the first of a quiet spell is written at once, the rest are
// counted and written with the next one after the interval. Each is also
// a metric, which counts every one.
type quietLog struct {
	log   *slog.Logger
	now   func() time.Time
	every time.Duration

	mu    sync.Mutex
	spell map[string]*spell
}

type spell struct {
	last   time.Time // when a line was last written
	count  int       // since then
	detail map[string]int
}

// quietInterval is how often each message may be written.
const quietInterval = 10 * time.Second

func newQuietLog(log *slog.Logger, now func() time.Time) *quietLog {
	return &quietLog{log: log, now: now, every: quietInterval, spell: map[string]*spell{}}
}

// note counts one event of msg, detail saying which (a path, a bound:
// never a key or a kiosk's input).
func (q *quietLog) note(msg, detail string) {
	now := q.now()
	q.mu.Lock()
	sp, ok := q.spell[msg]
	if !ok {
		sp = &spell{detail: map[string]int{}}
		q.spell[msg] = sp
	}
	sp.count++
	sp.detail[detail]++
	if ok && now.Sub(sp.last) < q.every {
		q.mu.Unlock()
		return
	}
	count, details := sp.count, sp.detail
	since := sp.last
	sp.count, sp.detail, sp.last = 0, map[string]int{}, now
	q.mu.Unlock()
	attrs := []any{"count", count}
	if !since.IsZero() {
		attrs = append(attrs, "since", since.UTC().Format(time.RFC3339))
	}
	keys := make([]string, 0, len(details))
	for k := range details {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		attrs = append(attrs, k, details[k])
	}
	q.log.Warn(msg, attrs...)
}
