package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestMetricsMove(t *testing.T) {
	t.Parallel()
	m := New()
	m.ObserveHTTP("/api/v1/papers/:id", "GET", 200, 5*time.Millisecond)
	m.ObserveAsk("extractive", "ws", 10*time.Millisecond, 0)
	m.ObserveAsk("llm", "rest", 10*time.Millisecond, 2)
	m.AddTokens("qwen2.5", "completion", 42)
	m.SocketOpened()
	m.SocketOpened()
	m.SocketClosed()
	m.RateLimited("ask")
	out := scrape(t, m)
	for _, want := range []string{
		`chatpaper_http_request_duration_seconds_count{method="GET",route="/api/v1/papers/:id",status="200"} 1`,
		`chatpaper_asks_total{mode="extractive",transport="ws"} 1`,
		`chatpaper_ask_duration_seconds_count{mode="llm",transport="rest"} 1`,
		`chatpaper_citations_dropped_total 2`,
		`chatpaper_model_tokens_total{kind="completion",model="qwen2.5"} 42`,
		`chatpaper_open_websockets 1`,
		`chatpaper_rate_limited_total{limit="ask"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestNilMetricsRecordNothing(t *testing.T) {
	t.Parallel()
	var m *Metrics
	m.ObserveHTTP("/", "GET", 200, time.Millisecond)
	m.ObserveAsk("extractive", "rest", time.Millisecond, 1)
	m.AddTokens("m", "prompt", 1)
	m.SocketOpened()
	m.SocketClosed()
	m.RateLimited("ask")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if got, want := rec.Code, 404; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
}
