package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/internal/testbuf"

	"github.com/gorilla/websocket"

	"github.com/chatpaper/chatpaper/metrics"
	"github.com/chatpaper/chatpaper/rag"
)

func TestMetricsMoveWithAsks(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	srv, _ := newTestServer(t, Deps{Metrics: m, Answerer: fakeAnswerer{AskFn: func(ctx context.Context, q rag.Question, emit rag.Emit) (*rag.Answer, error) {
		if q.Text == "fail" {
			return nil, fmt.Errorf("%w: empty", rag.ErrInvalidQuestion)
		}
		if emit != nil {
			emit("x [1] [9]")
		}
		return &rag.Answer{Answer: "x [1]", Mode: rag.ModeLLM, DroppedCitations: []int{9}}, nil
	}}})
	scrape := func() string {
		_, out := request(t, "GET", srv.URL+"/metrics", "", nil)
		return out
	}
	before := scrape()
	if strings.Contains(before, "chatpaper_asks_total{") {
		t.Fatalf("asks counted before any ask:\n%s", grep(before, "chatpaper_asks_total"))
	}
	for _, q := range []string{"why?", "how?", "fail"} {
		request(t, "POST", srv.URL+"/api/v1/papers/p1/ask", `{"question":"`+q+`"}`, map[string]string{"Content-Type": "application/json"})
	}
	c := dial(t, wsURL(srv, "p1"), nil)
	send(t, c, map[string]string{"type": "ask", "id": "a", "question": "why?"})
	for f := mustFrame(t, c); f.Type != "done"; f = mustFrame(t, c) {
	}
	after := scrape()
	for _, want := range []string{
		`chatpaper_asks_total{mode="llm",transport="rest"} 2`,
		`chatpaper_asks_total{mode="error",transport="rest"} 1`,
		`chatpaper_asks_total{mode="llm",transport="ws"} 1`,
		`chatpaper_ask_duration_seconds_count{mode="llm",transport="ws"} 1`,
		`chatpaper_citations_dropped_total 3`,
		`chatpaper_open_websockets 1`,
		`chatpaper_http_request_duration_seconds_count{method="POST",route="/api/v1/papers/:id/ask",status="200"} 2`,
		`chatpaper_http_request_duration_seconds_count{method="POST",route="/api/v1/papers/:id/ask",status="400"} 1`,
	} {
		if !strings.Contains(after, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// Unknown paths must not each become a label value.
	request(t, "GET", srv.URL+"/no/such/path/123", "", nil)
	if out := scrape(); strings.Contains(out, "/no/such/path/123") {
		t.Errorf("raw path became a metric label")
	}
}

func TestReady(t *testing.T) {
	t.Parallel()
	var modelErr error
	srv, _ := newTestServer(t, Deps{Ready: map[string]Checker{
		"store": CheckerFunc(func(ctx context.Context) error { return nil }),
		"model": CheckerFunc(func(ctx context.Context) error { return modelErr }),
	}})
	resp, body := request(t, "GET", srv.URL+"/readyz", "", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"model":"ok"`) || !strings.Contains(body, `"store":"ok"`) {
		t.Errorf("ready: %d %s", resp.StatusCode, body)
	}
	modelErr = errors.New("dial tcp: connection refused")
	resp, body = request(t, "GET", srv.URL+"/readyz", "", nil)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"model":"failed"`) {
		t.Errorf("model down: %d %s", resp.StatusCode, body)
	}
	if strings.Contains(body, "refused") || strings.Contains(body, `"errors"`) {
		t.Errorf("readyz leaks the error detail: %s", body)
	}
	modelErr = fmt.Errorf("check: %w", publicErr("the endpoint does not serve the chat model \"qwen\"; it lists tiny"))
	resp, body = request(t, "GET", srv.URL+"/readyz", "", nil)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"errors":{"model":"the endpoint does not serve the chat model \"qwen\"; it lists tiny"}`) {
		t.Errorf("model missing: %d %s, want the public message under errors", resp.StatusCode, body)
	}
	resp, _ = request(t, "GET", srv.URL+"/healthz", "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("healthz = %d while not ready, want 200", resp.StatusCode)
	}
}

// publicErr is an error whose message may be shown, as
// llm.MissingModelError's is.
type publicErr string

func (e publicErr) Error() string  { return "detail at http://10.0.0.1: " + string(e) }
func (e publicErr) Public() string { return string(e) }

// slowAnswerer streams n deltas, one per tick, honouring ctx.
func slowAnswerer(n int, tick time.Duration, started chan<- struct{}) fakeAnswerer {
	return fakeAnswerer{AskFn: func(ctx context.Context, q rag.Question, emit rag.Emit) (*rag.Answer, error) {
		var b strings.Builder
		for i := range n {
			if i == 1 && started != nil {
				close(started)
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(tick):
			}
			d := fmt.Sprintf("w%d ", i)
			b.WriteString(d)
			if err := emit(d); err != nil {
				return nil, err
			}
		}
		return &rag.Answer{Answer: b.String(), Answerable: true, Mode: rag.ModeExtractive}, nil
	}}
}

// serveWithShutdown runs New(d) on an httptest server and returns a
// function doing what run does on SIGTERM.
func serveWithShutdown(t *testing.T, d Deps) (string, *Sockets, func(timeout time.Duration) error) {
	t.Helper()
	ss := NewSockets(0, nil)
	d.WS.Sockets = ss
	srv, _ := newTestServer(t, d)
	return srv.URL, ss, func(timeout time.Duration) error {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		drained := make(chan error, 1)
		go func() { drained <- ss.Shutdown(ctx) }()
		if err := srv.Config.Shutdown(ctx); err != nil {
			return err
		}
		return <-drained
	}
}

func TestShutdownFinishesAnswerInFlight(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	url, ss, shutdown := serveWithShutdown(t, Deps{Answerer: slowAnswerer(8, 40*time.Millisecond, started)})
	c := dial(t, "ws"+strings.TrimPrefix(url, "http")+"/api/v1/papers/p1/ws", nil)
	send(t, c, map[string]string{"type": "ask", "id": "a1", "question": "why?"})
	<-started

	errc := make(chan error, 1)
	go func() { errc <- shutdown(10 * time.Second) }()

	var deltas int
	var done bool
	for {
		f, err := readFrame(t, c)
		if err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
				t.Fatalf("connection ended with %v, want close 1001 going away", err)
			}
			break
		}
		switch f.Type {
		case "delta":
			deltas++
		case "done":
			done = true
		case "error":
			t.Errorf("error frame %+v; the answer had time to finish", f)
		}
	}
	if !done || deltas != 8 {
		t.Errorf("done = %v after %d deltas; want the whole answer (8) before going away", done, deltas)
	}
	if err := <-errc; err != nil {
		t.Errorf("shutdown: %v, want every socket closed within the deadline", err)
	}
	if n := ss.Open(); n != 0 {
		t.Errorf("%d sockets still open", n)
	}
	// No new sockets once shutting down.
	if _, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(url, "http")+"/api/v1/papers/p1/ws", nil); err == nil {
		t.Error("upgrade accepted after shutdown")
	}
}

func TestShutdownEndsLongAnswerWithErrorFrame(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	// 1000 deltas of 20 ms would take 20 s, far past the 1.5 s deadline.
	url, ss, shutdown := serveWithShutdown(t, Deps{Answerer: slowAnswerer(1000, 20*time.Millisecond, started)})
	c := dial(t, "ws"+strings.TrimPrefix(url, "http")+"/api/v1/papers/p1/ws", nil)
	send(t, c, map[string]string{"type": "ask", "id": "a1", "question": "why?"})
	<-started

	errc := make(chan error, 1)
	go func() { errc <- shutdown(1500 * time.Millisecond) }()

	var last, refused frame
	for {
		f, err := readFrame(t, c)
		if err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
				t.Fatalf("connection ended with %v, want close 1001 going away", err)
			}
			break
		}
		if f.Type == "done" {
			t.Fatal("answer finished; it should have been stopped by the deadline")
		}
		if f.Type != "delta" {
			last = f
		}
		if f.ID == "a2" {
			refused = f
		}
		// A new question during the drain is refused.
		if f.Type == "delta" && f.Text == "w3 " {
			send(t, c, map[string]string{"type": "ask", "id": "a2", "question": "and?"})
		}
	}
	if refused.Type != "error" || refused.Code != "shutting_down" {
		t.Errorf("question asked during the drain got %+v, want error shutting_down", refused)
	}
	if last.Type != "error" || last.Code != "shutting_down" || last.ID != "a1" {
		t.Errorf("last frame before close = %+v, want error shutting_down for a1", last)
	}
	if err := <-errc; err != nil {
		t.Errorf("shutdown: %v, want every socket closed within the deadline", err)
	}
	if n := ss.Open(); n != 0 {
		t.Errorf("%d sockets still open", n)
	}
}

// TestClientGoneIsNotAnError has a REST reader hang up mid-ask: the
// server logs it at info, records status 499 and counts it as a client
// gone and an ask "disconnected", never as a server error.
func TestClientGoneIsNotAnError(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	var logs testbuf.Buffer
	entered := make(chan struct{})
	finished := make(chan struct{})
	srv, _ := newTestServer(t, Deps{Metrics: m, Log: slog.New(slog.NewJSONHandler(&logs, nil)),
		Answerer: fakeAnswerer{AskFn: func(ctx context.Context, q rag.Question, emit rag.Emit) (*rag.Answer, error) {
			defer close(finished)
			close(entered)
			<-ctx.Done()
			return nil, fmt.Errorf("retrieve: %w", ctx.Err())
		}}})
	ctx, cancel := context.WithCancel(t.Context())
	req, err := http.NewRequestWithContext(ctx, "POST", srv.URL+"/api/v1/papers/p1/ask", strings.NewReader(`{"question":"why?"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	go func() {
		<-entered
		cancel()
	}()
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("request completed with %s, want the client to have gone", resp.Status)
	}
	<-finished
	want := []string{
		`chatpaper_client_gone_total{transport="http"} 1`,
		`chatpaper_asks_total{mode="disconnected",transport="rest"} 1`,
		`route="/api/v1/papers/:id/ask",status="499"} 1`,
	}
	var out string
	for range 200 { // the handler returns just after the answerer
		_, out = request(t, "GET", srv.URL+"/metrics", "", nil)
		if strings.Contains(out, want[0]) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("metrics lack %q:\n%s", w, grep(out, "chatpaper_"))
		}
	}
	if strings.Contains(out, `mode="error"`) || strings.Contains(out, `status="500"`) {
		t.Errorf("the client going away was counted as a server error:\n%s", grep(out, "chatpaper_"))
	}
	l := logs.String()
	if strings.Contains(l, `"level":"ERROR"`) || !strings.Contains(l, `"msg":"client went away"`) {
		t.Errorf("log = %s, want the client going away at info, no error", l)
	}
}
