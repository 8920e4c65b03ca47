package web

import (
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatpaper/chatpaper/metrics"
)

const ingestBody = `{"id":"p2","title":"T2","abstract":"Some abstract text.","references":[]}`

func TestAdminKeys(t *testing.T) {
	t.Parallel()
	loopbackProxy := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	tests := []struct {
		name       string
		sec        Security
		hdr        map[string]string
		wantStatus int
		wantCode   string
	}{
		{"no key configured, loopback client", Security{}, nil, http.StatusCreated, ""},
		{"no key configured, remote client via trusted proxy", Security{TrustedProxies: loopbackProxy},
			map[string]string{"X-Forwarded-For": "203.0.113.9"}, http.StatusForbidden, "forbidden"},
		{"no key configured, undeclared proxy", Security{},
			map[string]string{"X-Forwarded-For": "203.0.113.9"}, http.StatusForbidden, "forbidden"},
		{"missing key", Security{AdminKeys: []string{"k1", "k2"}}, nil, http.StatusUnauthorized, "unauthorized"},
		{"wrong key", Security{AdminKeys: []string{"k1", "k2"}},
			map[string]string{"Authorization": "Bearer k3"}, http.StatusUnauthorized, "unauthorized"},
		{"key prefix", Security{AdminKeys: []string{"secret-key"}},
			map[string]string{"Authorization": "Bearer secret"}, http.StatusUnauthorized, "unauthorized"},
		{"key as basic auth", Security{AdminKeys: []string{"k1"}},
			map[string]string{"Authorization": "Basic k1"}, http.StatusUnauthorized, "unauthorized"},
		{"site key is not an admin key", Security{AdminKeys: []string{"k1"}, SiteKeys: []string{"s1"}},
			map[string]string{"Authorization": "Bearer s1"}, http.StatusUnauthorized, "unauthorized"},
		{"second key", Security{AdminKeys: []string{"k1", "k2"}},
			map[string]string{"Authorization": "Bearer k2"}, http.StatusCreated, ""},
		{"lower-case scheme", Security{AdminKeys: []string{"k1"}},
			map[string]string{"Authorization": "bearer k1"}, http.StatusCreated, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, fp := newTestServer(t, Deps{Security: tt.sec})
			hdr := map[string]string{"Content-Type": "application/json"}
			for k, v := range tt.hdr {
				hdr[k] = v
			}
			resp, body := request(t, "POST", srv.URL+"/api/v1/papers", ingestBody, hdr)
			if got, want := resp.StatusCode, tt.wantStatus; got != want {
				t.Fatalf("POST status = %d, want %d (%s)", got, want, body)
			}
			resp, body = request(t, "DELETE", srv.URL+"/api/v1/papers/p1", "", hdr)
			wantDel := tt.wantStatus
			if wantDel == http.StatusCreated {
				wantDel = http.StatusNoContent
			}
			if got := resp.StatusCode; got != wantDel {
				t.Fatalf("DELETE status = %d, want %d (%s)", got, wantDel, body)
			}
			if tt.wantCode != "" {
				if got := errorCode(t, body); got != tt.wantCode {
					t.Errorf("code = %q, want %q", got, tt.wantCode)
				}
				if got := fp.writes.Load(); got != 0 {
					t.Errorf("store written %d times by refused requests", got)
				}
				if tt.wantStatus == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") == "" {
					t.Errorf("401 without WWW-Authenticate")
				}
			} else if got, want := fp.writes.Load(), int32(2); got != want {
				t.Errorf("store writes = %d, want %d", got, want)
			}
		})
	}
}

func TestSiteKeys(t *testing.T) {
	t.Parallel()
	srv, _ := newTestServer(t, Deps{Security: Security{SiteKeys: []string{"site1"}, AdminKeys: []string{"adm"}}})
	tests := []struct {
		name string
		url  string
		hdr  map[string]string
		want int
	}{
		{"no key", "/api/v1/papers", nil, http.StatusUnauthorized},
		{"wrong key", "/api/v1/papers", map[string]string{SiteKeyHeader: "nope"}, http.StatusUnauthorized},
		{"header", "/api/v1/papers", map[string]string{SiteKeyHeader: "site1"}, http.StatusOK},
		{"query", "/api/v1/papers/p1/summary?key=site1", nil, http.StatusOK},
		{"admin key works for reading", "/api/v1/papers/p1", map[string]string{"Authorization": "Bearer adm"}, http.StatusOK},
		{"page needs no key", "/", nil, http.StatusOK},
		{"widget needs no key", "/widget.js", nil, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := request(t, "GET", srv.URL+tt.url, "", tt.hdr)
			if got := resp.StatusCode; got != tt.want {
				t.Errorf("status = %d, want %d (%s)", got, tt.want, body)
			}
		})
	}
	if _, resp, err := websocket.DefaultDialer.Dial(wsURL(srv, "p1"), nil); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("websocket without key: err %v, resp %v; want 401", err, resp)
	}
	dial(t, wsURL(srv, "p1")+"?key=site1", nil)
}

func TestOriginAllowlist(t *testing.T) {
	t.Parallel()
	const allowed = "https://journal.example.org"
	srv, _ := newTestServer(t, Deps{Security: Security{AllowedOrigins: []string{allowed}}})
	t.Run("CORS for an allowed origin", func(t *testing.T) {
		resp, _ := request(t, "GET", srv.URL+"/api/v1/papers", "", map[string]string{"Origin": allowed})
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != allowed {
			t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, allowed)
		}
		resp, _ = request(t, "OPTIONS", srv.URL+"/api/v1/papers/p1/ask", "", map[string]string{
			"Origin": allowed, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != allowed {
			t.Errorf("preflight Access-Control-Allow-Origin = %q, want %q", got, allowed)
		}
	})
	t.Run("no CORS for another origin", func(t *testing.T) {
		resp, _ := request(t, "GET", srv.URL+"/api/v1/papers", "", map[string]string{"Origin": "https://evil.example"})
		for k := range resp.Header {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("header %s present for a disallowed origin", k)
			}
		}
		resp, _ = request(t, "OPTIONS", srv.URL+"/api/v1/papers/p1/ask", "", map[string]string{
			"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("preflight Access-Control-Allow-Origin = %q for a disallowed origin", got)
		}
	})
	t.Run("websocket refuses another origin", func(t *testing.T) {
		_, resp, err := websocket.DefaultDialer.Dial(wsURL(srv, "p1"), http.Header{"Origin": {"https://evil.example"}})
		if err == nil {
			t.Fatal("upgrade succeeded for a disallowed origin")
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("resp = %v, want 403", resp)
		}
	})
	t.Run("websocket accepts allowed, same and no origin", func(t *testing.T) {
		for _, o := range []string{allowed, srv.URL, ""} {
			h := http.Header{}
			if o != "" {
				h.Set("Origin", o)
			}
			c := dial(t, wsURL(srv, "p1"), h)
			send(t, c, map[string]string{"type": "ask", "id": "a", "question": "why?"})
			if f := mustFrame(t, c); f.Type != "delta" {
				t.Errorf("origin %q: first frame %+v", o, f)
			}
		}
	})
	t.Run("default is same origin only", func(t *testing.T) {
		srv, _ := newTestServer(t, Deps{})
		resp, _ := request(t, "GET", srv.URL+"/api/v1/papers", "", map[string]string{"Origin": allowed})
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("Access-Control-Allow-Origin = %q with no allowlist", got)
		}
		if _, _, err := websocket.DefaultDialer.Dial(wsURL(srv, "p1"), http.Header{"Origin": {allowed}}); err == nil {
			t.Error("cross-origin upgrade succeeded with no allowlist")
		}
	})
}

// clock is a settable time for the rate limits.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestAskRateLimit(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	m := metrics.New()
	srv, _ := newTestServer(t, Deps{Metrics: m, Security: Security{AskRate: 3, Now: clk.now}})
	ask := func(hdr map[string]string) (*http.Response, string) {
		h := map[string]string{"Content-Type": "application/json"}
		for k, v := range hdr {
			h[k] = v
		}
		return request(t, "POST", srv.URL+"/api/v1/papers/p1/ask", `{"question":"why?"}`, h)
	}
	for i := range 3 {
		// A forged X-Forwarded-For from an untrusted peer changes nothing.
		if resp, body := ask(map[string]string{"X-Forwarded-For": "198.51.100." + string(rune('1'+i))}); resp.StatusCode != http.StatusOK {
			t.Fatalf("ask %d: status %d (%s)", i+1, resp.StatusCode, body)
		}
	}
	resp, body := ask(nil)
	if got, want := resp.StatusCode, http.StatusTooManyRequests; got != want {
		t.Fatalf("ask over the rate: status %d, want %d", got, want)
	}
	if got, want := resp.Header.Get("Retry-After"), "20"; got != want {
		t.Errorf("Retry-After = %q, want %q (3 per minute)", got, want)
	}
	if got := errorCode(t, body); got != "rate_limited" {
		t.Errorf("code = %q", got)
	}
	if !strings.Contains(body, `"retry_after":20`) {
		t.Errorf("body %s lacks retry_after", body)
	}

	// The websocket shares the address's budget.
	c := dial(t, wsURL(srv, "p1"), nil)
	send(t, c, map[string]string{"type": "ask", "id": "w1", "question": "why?"})
	f := mustFrame(t, c)
	if f.Type != "error" || f.Code != "rate_limited" || f.RetryAfter != 20 || f.ID != "w1" {
		t.Errorf("ws frame over the rate = %+v", f)
	}

	clk.add(20 * time.Second)
	if resp, body := ask(nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("after the wait: status %d (%s)", resp.StatusCode, body)
	}
	if resp, _ := ask(nil); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second ask after one token refilled: status %d, want 429", resp.StatusCode)
	}
	clk.add(time.Minute)
	for i := range 3 {
		if resp, _ := ask(nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("ask %d after a full window: status %d", i+1, resp.StatusCode)
		}
	}
	resp, out := request(t, "GET", srv.URL+"/metrics", "", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(out, `chatpaper_rate_limited_total{limit="ask"} 3`) {
		t.Errorf("metrics lack 3 rate-limited asks:\n%s", grep(out, "chatpaper_rate_limited"))
	}
}

func TestAskRateOff(t *testing.T) {
	t.Parallel()
	srv, _ := newTestServer(t, Deps{Security: Security{AskRate: 0}})
	for i := range 50 {
		resp, body := request(t, "POST", srv.URL+"/api/v1/papers/p1/ask", `{"question":"why?"}`, map[string]string{"Content-Type": "application/json"})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("ask %d: %d %s", i, resp.StatusCode, body)
		}
	}
}

func TestSocketsPerIP(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	srv, _ := newTestServer(t, Deps{Metrics: m, Security: Security{MaxSocketsPerIP: 2}})
	c1 := dial(t, wsURL(srv, "p1"), nil)
	dial(t, wsURL(srv, "p1"), nil)
	_, resp, err := websocket.DefaultDialer.Dial(wsURL(srv, "p1"), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third socket: err %v resp %v, want 429", err, resp)
	}
	if resp.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	c1.Close()
	// The slot comes back once the server sees the close.
	var ok bool
	for range 100 {
		c, _, err := websocket.DefaultDialer.Dial(wsURL(srv, "p1"), nil)
		if err == nil {
			c.Close()
			ok = true
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !ok {
		t.Error("slot not released after a socket closed")
	}
}

func TestFramesPerSecond(t *testing.T) {
	t.Parallel()
	srv, _ := newTestServer(t, Deps{WS: WSOptions{FramesPerSecond: 1}})
	c := dial(t, wsURL(srv, "p1"), nil)
	// Burst is 3 frames; the 4th and 5th in the same instant are refused.
	for range 5 {
		send(t, c, map[string]string{"type": "cancel", "id": "x"})
	}
	var limited int
	for range 5 {
		if f := mustFrame(t, c); f.Code == "rate_limited" {
			limited++
		}
	}
	if limited < 1 {
		t.Errorf("no frame was rate limited")
	}
}

func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	srv, fp := newTestServer(t, Deps{})
	big := `{"id":"p2","abstract":"` + strings.Repeat("a", 5<<20) + `"}`
	resp, body := request(t, "POST", srv.URL+"/api/v1/papers", big, map[string]string{"Content-Type": "application/json"})
	if got, want := resp.StatusCode, http.StatusRequestEntityTooLarge; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if got := errorCode(t, body); got != "too_large" {
		t.Errorf("code = %q", got)
	}
	if fp.writes.Load() != 0 {
		t.Error("oversized body reached the store")
	}
	resp, _ = request(t, "POST", srv.URL+"/api/v1/papers/p1/ask", `{"question":"`+strings.Repeat("q", 5<<20)+`"}`, map[string]string{"Content-Type": "application/json"})
	if got, want := resp.StatusCode, http.StatusRequestEntityTooLarge; got != want {
		t.Errorf("ask status = %d, want %d", got, want)
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	srv, _ := newTestServer(t, Deps{})
	resp, _ := request(t, "GET", srv.URL+"/papers/p1", "", nil)
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "connect-src 'self' ws://" + strings.TrimPrefix(srv.URL, "http://"), "frame-ancestors 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("page CSP %q lacks %q", csp, want)
		}
	}
	if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q", got)
	}
	resp, js := request(t, "GET", srv.URL+"/widget.js", "", map[string]string{"Origin": "https://journal.example.org"})
	if got := resp.Header.Get("Cross-Origin-Resource-Policy"); got != "cross-origin" {
		t.Errorf("widget CORP = %q, want cross-origin", got)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("widget Content-Type = %q", ct)
	}
	for _, want := range []string{"ChatPaper.mount", "attachShadow", "var CHATPAPER_CSS = \"", ".cp-root"} {
		if !strings.Contains(js, want) {
			t.Errorf("widget.js lacks %q", want)
		}
	}
	if pageCSP("evil;script-src *") == pageCSP("evil") {
		t.Error("a Host with ';' reached the policy")
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestRedactKey(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/api/v1/papers/p1/ws?key=s3cret&x=1": "/api/v1/papers/p1/ws?key=REDACTED&x=1",
		"/api/v1/papers?lang=en_US":           "/api/v1/papers?lang=en_US",
	} {
		u, _ := url.Parse(in)
		if got := redactKey(u); got != want {
			t.Errorf("redactKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAskRatePerClientBehindTrustedProxy(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	srv, _ := newTestServer(t, Deps{Security: Security{AskRate: 1, Now: clk.now,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}})
	ask := func(xff string) int {
		resp, _ := request(t, "POST", srv.URL+"/api/v1/papers/p1/ask", `{"question":"why?"}`,
			map[string]string{"Content-Type": "application/json", "X-Forwarded-For": xff})
		return resp.StatusCode
	}
	// Each reader behind the proxy has a budget of its own…
	if a, b := ask("198.51.100.1"), ask("198.51.100.2"); a != http.StatusOK || b != http.StatusOK {
		t.Fatalf("first asks of two readers: %d, %d; want 200, 200", a, b)
	}
	if got := ask("198.51.100.1"); got != http.StatusTooManyRequests {
		t.Errorf("second ask of reader 1: %d, want 429", got)
	}
	// …and a reader cannot dodge it by prepending a forged address: the
	// right-most untrusted entry is the one the proxy saw.
	if got := ask("203.0.113.50, 198.51.100.1"); got != http.StatusTooManyRequests {
		t.Errorf("forged chain: %d, want 429", got)
	}
}

func TestBatchIngestNeedsAdminKey(t *testing.T) {
	t.Parallel()
	srv, fp := newTestServer(t, Deps{Security: Security{AdminKeys: []string{"k1"}}})
	body := "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.json\"\r\nContent-Type: application/json\r\n\r\n" +
		ingestBody + "\r\n--b--\r\n"
	hdr := map[string]string{"Content-Type": "multipart/form-data; boundary=b"}
	resp, out := request(t, "POST", srv.URL+"/api/v1/papers:batch", body, hdr)
	if resp.StatusCode != http.StatusUnauthorized || errorCode(t, out) != "unauthorized" {
		t.Fatalf("batch without key: %d %s, want 401 unauthorized", resp.StatusCode, out)
	}
	if fp.writes.Load() != 0 {
		t.Error("refused batch reached the store")
	}
	hdr["Authorization"] = "Bearer k1"
	resp, out = request(t, "POST", srv.URL+"/api/v1/papers:batch", body, hdr)
	if resp.StatusCode != http.StatusOK || fp.writes.Load() != 1 {
		t.Errorf("batch with key: %d %s, writes %d; want 200 and one paper stored", resp.StatusCode, out, fp.writes.Load())
	}
}
