package relay

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are what a VM's platform team watches, under
// workshop_login_relay_: sign-ins started, approved and refused, the Trust
// Centre's latency and errors, and the kiosks refused. Labels are bounded
// (no kiosk names), so thousands of kiosks cost no more series than one.
type Metrics struct {
	registry       *prometheus.Registry
	started        prometheus.Counter
	approved       prometheus.Counter
	refused        prometheus.Counter
	assertions     prometheus.Counter
	polls          *prometheus.CounterVec
	upstream       *prometheus.HistogramVec
	upstreamErrors *prometheus.CounterVec
	rejections     *prometheus.CounterVec
}

// NewMetrics registers the relay's metrics, and the Go runtime's and the
// process's, on reg (a new registry when nil).
func NewMetrics(reg *prometheus.Registry) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	const ns = "workshop_login_relay"
	m := &Metrics{
		registry: reg,
		started: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "sign_ins_started_total",
			Help: "QR codes issued to kiosks: sign-ins started."}),
		approved: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "sign_ins_approved_total",
			Help: "Sign-ins approved on a phone whose identity was read and signed."}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "sign_ins_refused_total",
			Help: "Sign-ins the person or the Trust Centre refused."}),
		assertions: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "assertions_signed_total",
			Help: "Identity assertions signed, at sign-in and for later hand-offs."}),
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "polls_total",
			Help: "Kiosk polls answered, by the state answered."}, []string{"state"}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "trust_centre_request_seconds",
			Help:    "Latency of calls to the Trust Centre, by call (qr, token, identity).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}}, []string{"call"}),
		upstreamErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "trust_centre_errors_total",
			Help: "Trust Centre calls that failed, by call and outcome."}, []string{"call", "outcome"}),
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "kiosk_rejections_total",
			Help: "Kiosk calls refused: not_enrolled, kiosk_rate_limited, global_rate_limited, bad_handle."}, []string{"reason"}),
	}
	reg.MustRegister(m.started, m.approved, m.refused, m.assertions, m.polls, m.upstream, m.upstreamErrors, m.rejections)
	return m
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

func (m *Metrics) observe(call string, began, ended time.Time) {
	m.upstream.WithLabelValues(call).Observe(ended.Sub(began).Seconds())
}
