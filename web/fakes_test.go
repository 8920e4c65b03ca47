package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/store"
)

// fakePapers is a Papers whose methods are given per test. Ingest and
// Delete count their calls, so a test can show a refused request never
// reached the store.
type fakePapers struct {
	PaperFn  func(ctx context.Context, id string) (*paper.Paper, error)
	IngestFn func(ctx context.Context, p *paper.Paper) error
	DeleteFn func(ctx context.Context, id string) error
	writes   atomic.Int32
}

var _ Papers = (*fakePapers)(nil)

func (f *fakePapers) Papers(ctx context.Context) ([]store.PaperInfo, error) {
	return []store.PaperInfo{{ID: "p1", Title: "T"}}, nil
}

func (f *fakePapers) Paper(ctx context.Context, id string) (*paper.Paper, error) {
	if f.PaperFn != nil {
		return f.PaperFn(ctx, id)
	}
	if id != "p1" {
		return nil, store.ErrNotFound
	}
	return &paper.Paper{ID: "p1", Title: "T", Abstract: "A."}, nil
}

func (f *fakePapers) Ingest(ctx context.Context, p *paper.Paper) error {
	f.writes.Add(1)
	if f.IngestFn != nil {
		return f.IngestFn(ctx, p)
	}
	return nil
}

func (f *fakePapers) Delete(ctx context.Context, id string) error {
	f.writes.Add(1)
	if f.DeleteFn != nil {
		return f.DeleteFn(ctx, id)
	}
	return nil
}

// fakeAnswerer answers with AskFn, or with a one-delta extractive answer.
type fakeAnswerer struct {
	AskFn func(ctx context.Context, q rag.Question, emit rag.Emit) (*rag.Answer, error)
}

var _ rag.Answerer = fakeAnswerer{}

func (f fakeAnswerer) Ask(ctx context.Context, q rag.Question, emit rag.Emit) (*rag.Answer, error) {
	if f.AskFn != nil {
		return f.AskFn(ctx, q, emit)
	}
	text := "Answer to " + q.Text + " [1]"
	if emit != nil {
		if err := emit(text); err != nil {
			return nil, err
		}
	}
	return &rag.Answer{Answer: text, Answerable: true, Mode: rag.ModeExtractive,
		Citations: []rag.Citation{{N: 1, Text: "Ref one.", DOI: "10.1/x"}}}, nil
}

type fakeSummarizer struct{}

func (fakeSummarizer) Summary(ctx context.Context, id, lang string) (*paper.Summary, error) {
	return &paper.Summary{PaperID: id, Lang: lang, Heading: "Summary", Summary: "S.", Source: "extractive"}, nil
}

// newTestServer starts the handler on a loopback httptest server.
func newTestServer(t *testing.T, d Deps) (*httptest.Server, *fakePapers) {
	t.Helper()
	fp, _ := d.Papers.(*fakePapers)
	if d.Papers == nil {
		fp = &fakePapers{}
		d.Papers = fp
	}
	if d.Answerer == nil {
		d.Answerer = fakeAnswerer{}
	}
	if d.Summarizer == nil {
		d.Summarizer = fakeSummarizer{}
	}
	srv := httptest.NewServer(New(d))
	t.Cleanup(srv.Close)
	return srv, fp
}

// request sends one request and returns the response and its body.
func request(t *testing.T, method, url string, body string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func errorCode(t *testing.T, body string) string {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	return e.Error.Code
}

func wsURL(srv *httptest.Server, id string) string {
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/api/v1/papers/" + id + "/ws"
}

func dial(t *testing.T, url string, hdr http.Header) *websocket.Conn {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial(url, hdr)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", url, err, status)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// frame is any server frame, decoded loosely.
type frame struct {
	Type       string `json:"type"`
	ID         string `json:"id"`
	Text       string `json:"text"`
	Code       string `json:"code"`
	Message    string `json:"message"`
	RetryAfter int    `json:"retry_after"`
	Answer     string `json:"answer"`
	QuestionID string `json:"question_id"`
}

func readFrame(t *testing.T, c *websocket.Conn) (frame, error) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var f frame
	_, data, err := c.ReadMessage()
	if err != nil {
		return f, err
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("frame %q: %v", data, err)
	}
	return f, nil
}

func mustFrame(t *testing.T, c *websocket.Conn) frame {
	t.Helper()
	f, err := readFrame(t, c)
	if err != nil {
		t.Fatalf("read frame: %v", err)
	}
	return f
}

func send(t *testing.T, c *websocket.Conn, v any) {
	t.Helper()
	if err := c.WriteJSON(v); err != nil {
		t.Fatal(err)
	}
}
