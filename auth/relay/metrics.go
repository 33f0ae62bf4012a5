package relay

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"
)

// Metrics are what a VM's platform team watches, under
// workshop_login_relay_: sign-ins started, approved and refused, the Trust
// Centre's latency and errors, and the kiosks refused, with the Go
// runtime's and the process's (go_*, process_*). Labels are bounded (no
// kiosk names), so thousands of kiosks cost no more series than one.
//
// VictoriaMetrics' metrics package writes Prometheus's text format without
// the Prometheus client's protocol buffers: the relay is in every kiosk's
// program (the default run embeds one), and the client made that program
// 2.4 MB bigger, which a waiting kiosk holds in memory.
type Metrics struct {
	set                                    *metrics.Set
	started, approved, refused, assertions *metrics.Counter
	// series holds the labelled series by seriesKey, so that a poll finds
	// its counter without building its name.
	series sync.Map
}

// seriesKey names a labelled series: its family and up to two label values.
type seriesKey struct{ family, a, b string }

const metricPrefix = "workshop_login_relay_"

// upstreamBuckets are the Trust Centre latency histogram's bounds, seconds.
var upstreamBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// NewMetrics makes a relay's metrics, apart from any other relay's in the
// process.
func NewMetrics() *Metrics {
	metrics.ExposeMetadata(true) // # TYPE lines, as Prometheus's client writes
	set := metrics.NewSet()
	return &Metrics{
		set:        set,
		started:    set.NewCounter(metricPrefix + "sign_ins_started_total"),
		approved:   set.NewCounter(metricPrefix + "sign_ins_approved_total"),
		refused:    set.NewCounter(metricPrefix + "sign_ins_refused_total"),
		assertions: set.NewCounter(metricPrefix + "assertions_signed_total"),
	}
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		m.set.WritePrometheus(w)
		metrics.WriteProcessMetrics(w)
	})
}

// labelled is the series of family with one label; values are the relay's
// own words (states, calls, reasons), never a kiosk's input.
func (m *Metrics) labelled(family, label, value string) *metrics.Counter {
	key := seriesKey{family: family, a: value}
	if c, ok := m.series.Load(key); ok {
		return c.(*metrics.Counter)
	}
	c := m.set.GetOrCreateCounter(metricPrefix + family + "{" + label + "=" + strconv.Quote(value) + "}")
	m.series.Store(key, c)
	return c
}

// poll counts a kiosk poll answered, by the state answered.
func (m *Metrics) poll(state string) { m.labelled("polls_total", "state", state).Inc() }

// reject counts a kiosk call refused: not_enrolled, kiosk_rate_limited,
// global_rate_limited, bad_handle.
func (m *Metrics) reject(reason string) { m.labelled("kiosk_rejections_total", "reason", reason).Inc() }

// upstreamError counts a Trust Centre call that failed, by call and outcome.
func (m *Metrics) upstreamError(call, outcome string) {
	key := seriesKey{family: "trust_centre_errors_total", a: call, b: outcome}
	c, ok := m.series.Load(key)
	if !ok {
		c = m.set.GetOrCreateCounter(metricPrefix + key.family + "{call=" + strconv.Quote(call) +
			",outcome=" + strconv.Quote(outcome) + "}")
		m.series.Store(key, c)
	}
	c.(*metrics.Counter).Inc()
}

// observe records the latency of a call to the Trust Centre (qr, token,
// identity).
func (m *Metrics) observe(call string, began, ended time.Time) {
	key := seriesKey{family: "trust_centre_request_seconds", a: call}
	h, ok := m.series.Load(key)
	if !ok {
		h = m.set.GetOrCreatePrometheusHistogramExt(metricPrefix+key.family+"{call="+strconv.Quote(call)+"}", upstreamBuckets)
		m.series.Store(key, h)
	}
	h.(*metrics.PrometheusHistogram).Update(ended.Sub(began).Seconds())
}

// enrolments counts self-service enrolments by outcome: started, enrolled,
// refused_rsse, refused_denied.
func (m *Metrics) enrolments(outcome string) {
	m.labelled("enrolments_total", "outcome", outcome).Inc()
}

// refusedBy counts approved sign-ins the relay itself refused: other_garage.
func (m *Metrics) refusedBy(reason string) {
	m.labelled("sign_ins_refused_by_relay_total", "reason", reason).Inc()
}
