package web

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatpaper/chatpaper/rag"
)

// sseLine reads the next non-blank line of an event stream.
func sseLine(t *testing.T, sc *bufio.Scanner) string {
	t.Helper()
	for sc.Scan() {
		if l := sc.Text(); l != "" {
			return l
		}
	}
	t.Fatalf("stream ended: %v", sc.Err())
	return ""
}

// TestSSEStartsAtOnce: the stream's headers, a status event and
// heartbeat comments reach the client while the answer is still being
// prepared (a follow-up condensed, a paper re-embedded), before any
// delta.
func TestSSEStartsAtOnce(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	ans := fakeAnswerer{AskFn: func(ctx context.Context, q rag.Question, emit rag.Emit) (*rag.Answer, error) {
		rag.ReportStage(ctx, rag.StageSearching)
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		rag.ReportStage(ctx, rag.StageWriting)
		if err := emit("Answer [1]."); err != nil {
			return nil, err
		}
		return &rag.Answer{Answer: "Answer [1].", Answerable: true, Mode: rag.ModeLLM, Citations: []rag.Citation{{N: 1, Text: "Ref."}}}, nil
	}}
	srv, _ := newTestServer(t, Deps{Answerer: ans, SSEHeartbeat: 10 * time.Millisecond})
	resp, err := http.Post(srv.URL+"/api/v1/papers/p1/ask?stream=1", "application/json", strings.NewReader(`{"question":"what?"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// Post returned: the headers came while the answerer still waits.
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(resp.Body)
	l := sseLine(t, sc)
	for strings.HasPrefix(l, ":") { // comments: the stream is open
		l = sseLine(t, sc)
	}
	if l != "event: status" {
		t.Fatalf("first event line %q, want the status event", l)
	}
	if l := sseLine(t, sc); l != `data: {"stage":"searching"}` {
		t.Fatalf("status data %q", l)
	}
	// Heartbeats keep coming while nothing else does.
	for range 3 {
		if l := sseLine(t, sc); l != ": keep-alive" {
			t.Fatalf("line %q while the answer waits, want heartbeat comments", l)
		}
	}
	close(release)
	var names []string
	for sc.Scan() {
		if l, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
			names = append(names, l)
		}
	}
	if got := strings.Join(names, ","); got != "status,delta,citations,done" {
		t.Errorf("events after release = %s, want status,delta,citations,done", got)
	}
}

// TestSSEInvalidRequestIsJSON: what is wrong with the request itself is
// still an ordinary JSON error with its status, not a stream.
func TestSSEInvalidRequestIsJSON(t *testing.T) {
	t.Parallel()
	srv, _ := newTestServer(t, Deps{})
	for _, body := range []string{`{"question":""}`, `{"question":"x","lang":"fr"}`, `{"question":`} {
		resp, b := request(t, "POST", srv.URL+"/api/v1/papers/p1/ask?stream=1", body, map[string]string{"Content-Type": "application/json"})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(b, `"error":{"code"`) {
			t.Errorf("%s: %d %s, want a 400 JSON error", body, resp.StatusCode, b)
		}
	}
}

// TestSSEUnknownPaperIs404: an unknown paper is refused with its status
// before the stream starts, as it is without streaming.
func TestSSEUnknownPaperIs404(t *testing.T) {
	t.Parallel()
	srv, _ := newTestServer(t, Deps{})
	resp, b := request(t, "POST", srv.URL+"/api/v1/papers/nope/ask?stream=1", `{"question":"what?"}`, map[string]string{"Content-Type": "application/json"})
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(b, `"code":"not_found"`) {
		t.Errorf("unknown paper: %d %s, want a 404 not_found JSON error", resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); strings.Contains(ct, "event-stream") {
		t.Errorf("unknown paper answered as a stream (%s)", ct)
	}
}

// TestAnswerShapeOnEveryTransport: an answer without citations has
// "citations":[] on REST, SSE and the websocket alike, and a truncated
// answer says so on each.
func TestAnswerShapeOnEveryTransport(t *testing.T) {
	t.Parallel()
	for _, truncated := range []bool{false, true} {
		ans := fakeAnswerer{AskFn: func(ctx context.Context, q rag.Question, emit rag.Emit) (*rag.Answer, error) {
			rag.ReportStage(ctx, rag.StageSearching)
			if emit != nil {
				if err := emit("No citation here"); err != nil {
					return nil, err
				}
			}
			return &rag.Answer{Answer: "No citation here", Answerable: true, Mode: rag.ModeLLM, Truncated: truncated}, nil
		}}
		srv, _ := newTestServer(t, Deps{Answerer: ans})
		want := `"truncated":false`
		if truncated {
			want = `"truncated":true`
		}

		_, body := request(t, "POST", srv.URL+"/api/v1/papers/p1/ask", `{"question":"q"}`, map[string]string{"Content-Type": "application/json"})
		if !strings.Contains(body, `"citations":[]`) || !strings.Contains(body, want) {
			t.Errorf("REST body %s, want citations [] and %s", body, want)
		}

		_, body = request(t, "POST", srv.URL+"/api/v1/papers/p1/ask?stream=1", `{"question":"q"}`, map[string]string{"Content-Type": "application/json"})
		if !strings.Contains(body, "event: citations\ndata: {\"citations\":[]}\n") {
			t.Errorf("SSE: no empty citations event in %s", body)
		}
		if i := strings.Index(body, "event: done\ndata: "); i < 0 || !strings.Contains(body[i:], `"citations":[]`) || !strings.Contains(body[i:], want) {
			t.Errorf("SSE done event in %s lacks citations [] or %s", body, want)
		}

		c := dial(t, "ws"+strings.TrimPrefix(srv.URL, "http")+"/api/v1/papers/p1/ws", nil)
		send(t, c, map[string]string{"type": "ask", "id": "a", "question": "q"})
		raw := map[string]string{}
		for raw["done"] == "" {
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, data, err := c.ReadMessage()
			if err != nil {
				t.Fatal(err)
			}
			var f struct{ Type string }
			json.Unmarshal(data, &f)
			raw[f.Type] = strings.TrimSpace(string(data))
		}
		if raw["status"] != `{"type":"status","id":"a","stage":"searching"}` {
			t.Errorf("websocket status frame %s", raw["status"])
		}
		if raw["citations"] != `{"type":"citations","id":"a","citations":[]}` {
			t.Errorf("websocket citations frame %s, want citations []", raw["citations"])
		}
		if !strings.Contains(raw["done"], want) {
			t.Errorf("websocket done frame %s, want %s", raw["done"], want)
		}
		c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	}
}
