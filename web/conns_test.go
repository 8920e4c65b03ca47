package web

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/rag"
)

// startLimited serves New(d) with lim on a loopback listener wrapped by
// LimitListener, as serve does.
func startLimited(t *testing.T, lim ConnLimits, d Deps) string {
	t.Helper()
	if d.Papers == nil {
		d.Papers = &fakePapers{}
	}
	if d.Answerer == nil {
		d.Answerer = fakeAnswerer{}
	}
	if d.Summarizer == nil {
		d.Summarizer = fakeSummarizer{}
	}
	d.Conns = lim
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewHTTPServer(New(d), lim)
	go srv.Serve(LimitListener(ln, lim, nil))
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// dialFrom connects to addr from the loopback address ip (any of
// 127.0.0.0/8 works on Linux), so one test can be several clients.
func dialFrom(t *testing.T, ip, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", ip, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// get sends one GET on c and returns the response status and "close"
// if the server said it closes the connection.
func get(c net.Conn, r *bufio.Reader, path string) (int, string, error) {
	c.SetDeadline(time.Now().Add(5 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path); err != nil {
		return 0, "", err
	}
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		return 0, "", err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.Close {
		return resp.StatusCode, "close", nil
	}
	return resp.StatusCode, "", nil
}

// closedWithin waits up to max for the server to close c (a read that
// ends other than by our deadline) and returns how long it took.
func closedWithin(c net.Conn, r io.Reader, max time.Duration) (time.Duration, error) {
	_, took, err := readUntilClosed(c, r, max)
	return took, err
}

// readUntilClosed is closedWithin that also returns what was read.
func readUntilClosed(c net.Conn, r io.Reader, max time.Duration) (string, time.Duration, error) {
	t0 := time.Now()
	c.SetReadDeadline(t0.Add(max))
	var b strings.Builder
	_, err := io.Copy(&b, r)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return b.String(), time.Since(t0), fmt.Errorf("still open after %s", max)
	}
	return b.String(), time.Since(t0), nil
}

// healthWatch asks /healthz from its own address every 50 ms until
// stopped, on a fresh connection each time, and counts failures.
func healthWatch(t *testing.T, ip, addr string) (stop func() (ok, failed int)) {
	var okN, bad atomic.Int32
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for first := true; ; first = false {
			if !first {
				select {
				case <-done:
					return
				case <-time.After(50 * time.Millisecond):
				}
			}
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 2 * time.Second}
			c, err := d.Dial("tcp", addr)
			if err != nil {
				bad.Add(1)
				continue
			}
			if st, _, err := get(c, bufio.NewReader(c), "/healthz"); err != nil || st != http.StatusOK {
				bad.Add(1)
			} else {
				okN.Add(1)
			}
			c.Close()
		}
	}()
	return func() (int, int) { close(done); wg.Wait(); return int(okN.Load()), int(bad.Load()) }
}

// TestConnectionTimeouts: on loopback with short, injected limits, idle
// keep-alive connections, slow headers and slow bodies are closed within
// their configured times; a slow body answered with an error is closed
// right after the response instead of being read to its end; /healthz
// answers another client throughout.
func TestConnectionTimeouts(t *testing.T) {
	t.Parallel()
	lim := ConnLimits{ReadHeaderTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond, BodyTimeout: 2 * time.Second,
		MaxConns: 64, MaxConnsPerIP: 32}
	addr := startLimited(t, lim, Deps{Security: Security{AdminKeys: []string{"k"}, AskRate: 1}})
	stop := healthWatch(t, "127.0.0.2", addr)

	// The one ask the rate allows, so the slow asks below get 429.
	c0 := dialFrom(t, "127.0.0.1", addr)
	fmt.Fprintf(c0, "POST /api/v1/papers/p1/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"question\":\"q\"}")
	if resp, err := http.ReadResponse(bufio.NewReader(c0), nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("first ask: %v %v", resp, err)
	}

	const slack = time.Second
	type probe struct {
		name  string
		open  func(c net.Conn, r *bufio.Reader) error
		limit time.Duration
		want  string // the start of the response, if one is due
	}
	slowBody := func(path, hdr string) func(c net.Conn, r *bufio.Reader) error {
		return func(c net.Conn, r *bufio.Reader) error {
			_, err := fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"question\":", path, hdr)
			return err
		}
	}
	probes := []probe{
		{"idle keep-alive", func(c net.Conn, r *bufio.Reader) error {
			st, _, err := get(c, r, "/healthz")
			if err == nil && st != 200 {
				err = fmt.Errorf("status %d", st)
			}
			return err
		}, lim.IdleTimeout, ""},
		{"no request at all", func(net.Conn, *bufio.Reader) error { return nil }, lim.ReadHeaderTimeout, ""},
		{"slow headers", func(c net.Conn, r *bufio.Reader) error {
			_, err := fmt.Fprint(c, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
			return err
		}, lim.ReadHeaderTimeout, ""},
		{"slow body", slowBody("/api/v1/papers", "Authorization: Bearer k\r\n"), lim.BodyTimeout, "HTTP/1.1 400"},
		// Refused before the body is read: closed after the response,
		// well before the body timeout.
		{"slow body, 429", slowBody("/api/v1/papers/p1/ask", ""), lingerTime, "HTTP/1.1 429"},
		{"slow body, 401", slowBody("/api/v1/papers", ""), lingerTime, "HTTP/1.1 401"},
	}
	var wg sync.WaitGroup
	for _, p := range probes {
		for i := 0; i < 3; i++ {
			c := dialFrom(t, "127.0.0.1", addr)
			r := bufio.NewReader(c)
			if err := p.open(c, r); err != nil {
				t.Fatalf("%s: %v", p.name, err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, took, err := readUntilClosed(c, r, p.limit+slack)
				if err != nil {
					t.Errorf("%s: %v (limit %s)", p.name, err, p.limit)
					return
				}
				if !strings.HasPrefix(got, p.want) {
					t.Errorf("%s: response %.40q, want it to start %q", p.name, got, p.want)
				}
				t.Logf("%s: closed after %s (limit %s)", p.name, took.Round(time.Millisecond), p.limit)
			}()
		}
	}
	wg.Wait()
	if ok, bad := stop(); bad > 0 || ok == 0 {
		t.Errorf("/healthz from another client: %d answered, %d failed", ok, bad)
	}
}

// TestConnectionCaps: a client at its cap gets 503 too_many_connections
// on a further connection but still /healthz; past the overflow its
// connections are closed at once; other clients are served; at the total
// cap every client still gets /healthz.
func TestConnectionCaps(t *testing.T) {
	t.Parallel()
	lim := ConnLimits{ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 10 * time.Second, BodyTimeout: 10 * time.Second,
		MaxConns: 12, MaxConnsPerIP: 8}
	addr := startLimited(t, lim, Deps{})
	stop := healthWatch(t, "127.0.0.9", addr)
	hold := func(ip string, n int) {
		for i := 0; i < n; i++ {
			c := dialFrom(t, ip, addr)
			if st, _, err := get(c, bufio.NewReader(c), "/healthz"); err != nil || st != 200 {
				t.Fatalf("connection %d from %s: %d %v", i, ip, st, err)
			}
		}
	}
	hold("127.0.0.1", lim.MaxConnsPerIP)

	over := func(ip, path string) (int, string) {
		c := dialFrom(t, ip, addr)
		st, conn, err := get(c, bufio.NewReader(c), path)
		if err != nil {
			t.Fatalf("%s %s over the cap: %v", ip, path, err)
		}
		return st, conn
	}
	if st, conn := over("127.0.0.1", "/api/v1/papers"); st != http.StatusServiceUnavailable || conn != "close" {
		t.Errorf("API over the per-IP cap: %d (Connection %q), want 503 and close", st, conn)
	}
	if st, conn := over("127.0.0.1", "/healthz"); st != http.StatusOK || conn != "close" {
		t.Errorf("/healthz over the per-IP cap: %d (Connection %q), want 200 and close", st, conn)
	}
	// Fill the overflow, then one more: closed without an answer.
	var extra []net.Conn
	for i := 0; i < overflowPerIP; i++ {
		extra = append(extra, dialFrom(t, "127.0.0.1", addr))
	}
	c := dialFrom(t, "127.0.0.1", addr)
	if _, err := closedWithin(c, c, 2*time.Second); err != nil {
		t.Errorf("connection past the overflow: %v, want closed at once", err)
	}
	for _, c := range extra {
		c.Close()
	}
	// Another client is served.
	if st, _ := over("127.0.0.2", "/api/v1/papers"); st != http.StatusOK {
		t.Errorf("another client's API request: %d, want 200", st)
	}
	// The total cap: 8 + 4 = 12 taken; the API is refused to all, /healthz not.
	hold("127.0.0.3", lim.MaxConns-lim.MaxConnsPerIP)
	if st, _ := over("127.0.0.4", "/api/v1/papers"); st != http.StatusServiceUnavailable {
		t.Errorf("API at the total cap: %d, want 503", st)
	}
	if st, _ := over("127.0.0.4", "/healthz"); st != http.StatusOK {
		t.Errorf("/healthz at the total cap: %d, want 200", st)
	}
	if ok, bad := stop(); bad > 0 || ok == 0 {
		t.Errorf("/healthz from another client: %d answered, %d failed", ok, bad)
	}
}

// TestConnectionCapsSpareProxies: a configured proxy is not held to the
// per-address cap, since it carries many readers.
func TestConnectionCapsSpareProxies(t *testing.T) {
	t.Parallel()
	lim := ConnLimits{ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 10 * time.Second, MaxConns: 20, MaxConnsPerIP: 2,
		Proxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.5/32")}}
	addr := startLimited(t, lim, Deps{})
	for i := 0; i < 6; i++ {
		c := dialFrom(t, "127.0.0.5", addr)
		if st, _, err := get(c, bufio.NewReader(c), "/api/v1/papers"); err != nil || st != http.StatusOK {
			t.Fatalf("proxy connection %d: %d %v, want 200", i, st, err)
		}
	}
}

// TestBodyTimeoutSparesLongAnswers: the body deadline ends with the
// body, so a streamed answer longer than BodyTimeout is not cut off.
func TestBodyTimeoutSparesLongAnswers(t *testing.T) {
	t.Parallel()
	lim := ConnLimits{BodyTimeout: 200 * time.Millisecond}
	slow := fakeAnswerer{AskFn: func(ctx context.Context, q rag.Question, emit rag.Emit) (*rag.Answer, error) {
		for i := 0; i < 8; i++ {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
			if err := emit("part "); err != nil {
				return nil, err
			}
		}
		return &rag.Answer{Answer: "done", Mode: rag.ModeExtractive}, nil
	}}
	addr := startLimited(t, lim, Deps{Answerer: slow})
	resp, err := http.Post("http://"+addr+"/api/v1/papers/p1/ask?stream=1", "application/json", strings.NewReader(`{"question":"q"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("stream cut off: %v after %q", err, b)
	}
	if n := strings.Count(string(b), "part "); n != 8 || !strings.Contains(string(b), "done") {
		t.Errorf("stream has %d of 8 parts: %q", n, b)
	}
}

// writeCounter is a net.Conn recording each Write it is given.
type writeCounter struct {
	net.Conn
	mu     sync.Mutex
	writes []string
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, string(p))
	return len(p), nil
}

// TestCork checks that a corked connection holds writes, from any
// goroutine, in order, and sends them as one write on Uncork; that what
// would exceed maxCorked goes out first; and that an uncorked connection
// writes through.
func TestCork(t *testing.T) {
	t.Parallel()
	w := &writeCounter{}
	c := &limitedConn{Conn: w}
	if err := c.Uncork(); err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("a"))
	c.Cork()
	c.Write([]byte("b"))
	done := make(chan struct{})
	go func() { c.Write([]byte("c")); close(done) }()
	<-done
	if len(w.writes) != 1 {
		t.Fatalf("writes while corked reached the connection: %q", w.writes)
	}
	if err := c.Uncork(); err != nil {
		t.Fatal(err)
	}
	if err := c.Uncork(); err != nil { // twice is harmless
		t.Fatal(err)
	}
	c.Write([]byte("d"))
	big := strings.Repeat("x", maxCorked)
	c.Cork()
	c.Write([]byte("e"))
	c.Write([]byte(big))
	c.Write([]byte("f"))
	c.Uncork()
	want := []string{"a", "bc", "d", "e", big, "f"}
	if fmt.Sprint(w.writes) != fmt.Sprint(want) {
		t.Errorf("writes %q, want %q", w.writes, want)
	}
}

// TestWebsocketBatchesFrames streams an answer of many deltas through a
// limited listener, where the writer corks while frames queue: every
// frame arrives, whole and in order.
func TestWebsocketBatchesFrames(t *testing.T) {
	t.Parallel()
	var want strings.Builder
	addr := startLimited(t, ConnLimits{}, Deps{Answerer: fakeAnswerer{AskFn: func(ctx context.Context, q rag.Question, emit rag.Emit) (*rag.Answer, error) {
		var text strings.Builder
		for i := range 500 {
			d := fmt.Sprintf("piece %d ", i)
			text.WriteString(d)
			if err := emit(d); err != nil {
				return nil, err
			}
		}
		return &rag.Answer{Answer: text.String(), Mode: rag.ModeExtractive}, nil
	}}})
	for i := range 500 {
		fmt.Fprintf(&want, "piece %d ", i)
	}
	c := dial(t, "ws://"+addr+"/api/v1/papers/p1/ws", nil)
	for ask := range 3 {
		id := fmt.Sprintf("a%d", ask)
		if err := c.WriteJSON(map[string]string{"type": "ask", "id": id, "question": "q", "lang": "en_US"}); err != nil {
			t.Fatal(err)
		}
		var got strings.Builder
		var types []string
		for {
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			var f frame
			if err := c.ReadJSON(&f); err != nil {
				t.Fatalf("ask %d: %v after %q", ask, err, got.String())
			}
			if f.Type == "status" {
				continue
			}
			if f.ID != id {
				t.Fatalf("ask %d: frame %+v for another ask", ask, f)
			}
			if f.Type == "delta" {
				got.WriteString(f.Text)
				continue
			}
			types = append(types, f.Type)
			if f.Type == "done" || f.Type == "error" {
				break
			}
		}
		if got.String() != want.String() || fmt.Sprint(types) != "[citations done]" {
			t.Fatalf("ask %d: deltas %d bytes (want %d), then %v", ask, got.Len(), want.Len(), types)
		}
	}
}
