package web

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/chatpaper/chatpaper/metrics"
)

// BenchmarkGuardedRequest measures what the production middleware chain
// (request id, log, metrics, recover, security headers, CORS, body
// limit, site key check) adds to a cheap reader request, against the same
// handler on a bare Echo in the same run.
func BenchmarkGuardedRequest(b *testing.B) {
	fp := &fakePapers{}
	run := func(b *testing.B, h http.Handler, hdr map[string]string) {
		b.ReportAllocs()
		for b.Loop() {
			req := httptest.NewRequest("GET", "/api/v1/papers/p1", nil)
			for k, v := range hdr {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d", rec.Code)
			}
		}
	}
	b.Run("bare", func(b *testing.B) {
		e := echo.New()
		e.GET("/api/v1/papers/:id", handleGetPaper(fp))
		run(b, e, nil)
	})
	b.Run("guarded", func(b *testing.B) {
		e := New(Deps{Papers: fp, Answerer: fakeAnswerer{}, Summarizer: fakeSummarizer{}, Metrics: metrics.New(),
			Security: Security{SiteKeys: []string{"s1"}, AdminKeys: []string{"a1"}, AllowedOrigins: []string{"https://j.example"}, AskRate: 30}})
		run(b, e, map[string]string{SiteKeyHeader: "s1", "Origin": "https://j.example"})
	})
}

// BenchmarkAskLimiter measures one rate-limit decision for a client among
// 10,000 known addresses, against a map lookup of the same key.
func BenchmarkAskLimiter(b *testing.B) {
	ips := make([]string, 10000)
	for i := range ips {
		ips[i] = "10.0." + itoa(i/256) + "." + itoa(i%256)
	}
	b.Run("map-lookup", func(b *testing.B) {
		m := map[string]int{}
		for _, ip := range ips {
			m[ip] = 1
		}
		var i, n int
		for b.Loop() {
			n += m[ips[i%len(ips)]]
			i++
		}
		_ = n
	})
	b.Run("limiter", func(b *testing.B) {
		l := newIPLimiter(1<<30, nil)
		var i int
		for b.Loop() {
			l.allow(ips[i%len(ips)])
			i++
		}
	})
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}
