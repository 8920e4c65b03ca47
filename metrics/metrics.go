// Package metrics is ChatPaper's Prometheus instrumentation. It is the
// only package that imports the Prometheus client: other packages call
// the methods of *Metrics (or a small interface they declare, such as
// TokenCounter) and never see a Prometheus type. Every method is safe on
// a nil *Metrics, which records nothing, so tests and commands that do
// not serve /metrics can pass nil.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// TokenCounter is what a model client needs to report token usage. The
// llm adapter can declare the same interface where it is used.
type TokenCounter interface {
	// AddTokens counts n tokens of kind "prompt" or "completion" used
	// with model.
	AddTokens(model, kind string, n int)
}

var _ TokenCounter = (*Metrics)(nil)

// Metrics holds every ChatPaper collector in its own registry, so two
// servers in one test process do not share counts.
type Metrics struct {
	reg         *prometheus.Registry
	httpLatency *prometheus.HistogramVec
	askLatency  *prometheus.HistogramVec
	asks        *prometheus.CounterVec
	tokens      *prometheus.CounterVec
	dropped     prometheus.Counter
	sockets     prometheus.Gauge
	limited     *prometheus.CounterVec
	gone        *prometheus.CounterVec
}

// New returns metrics registered in a fresh registry that also holds the
// Go runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		httpLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "chatpaper_http_request_duration_seconds",
			Help:    "HTTP request latency by route template, method and status.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method", "status"}),
		askLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "chatpaper_ask_duration_seconds",
			Help:    "Time to answer one question, by answer mode (extractive, llm, or error) and transport (rest, ws).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"mode", "transport"}),
		asks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatpaper_asks_total",
			Help: "Questions answered, by answer mode (extractive, llm, or error) and transport (rest, ws).",
		}, []string{"mode", "transport"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatpaper_model_tokens_total",
			Help: "Tokens used with the model endpoint, by model and kind (prompt, completion).",
		}, []string{"model", "kind"}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chatpaper_citations_dropped_total",
			Help: "Citations a model made to references outside the retrieved context, removed from answers.",
		}),
		sockets: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chatpaper_open_websockets",
			Help: "Websocket connections open now.",
		}),
		gone: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatpaper_client_gone_total",
			Help: "Requests and answers whose client went away before the end, by transport (http, ws); not server errors.",
		}, []string{"transport"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatpaper_rate_limited_total",
			Help: "Requests or frames refused by a limit, by limit (ask, sockets, frames).",
		}, []string{"limit"}),
	}
	m.reg.MustRegister(m.httpLatency, m.askLatency, m.asks, m.tokens, m.dropped, m.sockets, m.limited, m.gone,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveHTTP records one HTTP request. route is the route template
// (/api/v1/papers/:id), never the raw path, to bound the label set.
func (m *Metrics) ObserveHTTP(route, method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	m.httpLatency.WithLabelValues(route, method, strconv.Itoa(status)).Observe(d.Seconds())
}

// ObserveAsk records one question: mode is the answer's Mode, or
// "error" when it failed; transport is "rest" or "ws"; dropped is how
// many model citations were removed.
func (m *Metrics) ObserveAsk(mode, transport string, d time.Duration, dropped int) {
	if m == nil {
		return
	}
	if mode == "" {
		mode = "unknown"
	}
	m.askLatency.WithLabelValues(mode, transport).Observe(d.Seconds())
	m.asks.WithLabelValues(mode, transport).Inc()
	if dropped > 0 {
		m.dropped.Add(float64(dropped))
	}
}

// AddTokens counts model tokens; see TokenCounter.
func (m *Metrics) AddTokens(model, kind string, n int) {
	if m == nil || n <= 0 {
		return
	}
	m.tokens.WithLabelValues(model, kind).Add(float64(n))
}

// SocketOpened and SocketClosed track open websockets.
func (m *Metrics) SocketOpened() {
	if m != nil {
		m.sockets.Inc()
	}
}

// SocketClosed is the counterpart of SocketOpened.
func (m *Metrics) SocketClosed() {
	if m != nil {
		m.sockets.Dec()
	}
}

// RateLimited counts one refusal by the named limit.
func (m *Metrics) RateLimited(limit string) {
	if m != nil {
		m.limited.WithLabelValues(limit).Inc()
	}
}

// ClientGone counts one request or answer whose client went away before
// it ended, by transport ("http" or "ws"). These are not server errors.
func (m *Metrics) ClientGone(transport string) {
	if m != nil {
		m.gone.WithLabelValues(transport).Inc()
	}
}
