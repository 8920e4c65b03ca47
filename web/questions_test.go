package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/store"
)

// memQuestions is an in-memory store.QuestionLog.
type memQuestions struct {
	mu   sync.Mutex
	recs []store.QuestionRecord
}

var _ store.QuestionLog = (*memQuestions)(nil)

func (m *memQuestions) RecordQuestion(ctx context.Context, r *store.QuestionRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recs = append(m.recs, *r)
	return nil
}

func (m *memQuestions) RateQuestion(ctx context.Context, paperID, id string, rating int, note string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.recs {
		if m.recs[i].ID == id && m.recs[i].PaperID == paperID {
			m.recs[i].Rating, m.recs[i].Note = rating, note
			return nil
		}
	}
	return store.ErrNotFound
}

func (m *memQuestions) Questions(ctx context.Context, f store.QuestionFilter) ([]store.QuestionRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.QuestionRecord
	for _, r := range m.recs {
		if (f.PaperID == "" || r.PaperID == f.PaperID) && !r.Asked.Before(f.Since) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (m *memQuestions) PruneQuestions(ctx context.Context, before time.Time) (int64, error) {
	return 0, nil
}

type fakeSuggester struct{}

func (fakeSuggester) Suggestions(ctx context.Context, id, lang string) (*paper.Suggestions, error) {
	if id != "p1" {
		return nil, store.ErrNotFound
	}
	return &paper.Suggestions{PaperID: id, Lang: lang, Questions: []string{"Why?"}, Source: "extractive"}, nil
}

func TestQuestionsRecordedRatedAndReported(t *testing.T) {
	t.Parallel()
	ql := &memQuestions{}
	srv, _ := newTestServer(t, Deps{Questions: ql, Security: Security{AdminKeys: []string{"adm"}}})

	// REST, SSE and websocket answers all carry the id feedback names.
	resp, body := request(t, "POST", srv.URL+"/api/v1/papers/p1/ask", `{"question":"What dose?","lang":"en_US"}`, nil)
	var ans struct {
		QuestionID string `json:"question_id"`
		Answer     string `json:"answer"`
	}
	if err := json.Unmarshal([]byte(body), &ans); err != nil || resp.StatusCode != 200 || len(ans.QuestionID) != 32 || ans.Answer == "" {
		t.Fatalf("ask: %d %s", resp.StatusCode, body)
	}
	_, sse := request(t, "POST", srv.URL+"/api/v1/papers/p1/ask?stream=1", `{"question":"What dose?"}`, nil)
	if !strings.Contains(sse, `"question_id":"`) {
		t.Errorf("SSE done event has no question_id: %s", sse)
	}
	c := dial(t, wsURL(srv, "p1"), nil)
	send(t, c, map[string]string{"type": "ask", "id": "a", "question": "Who funded it?"})
	for {
		f := mustFrame(t, c)
		if f.Type == "done" {
			if len(f.QuestionID) != 32 {
				t.Errorf("websocket done frame question_id = %q", f.QuestionID)
			}
			break
		}
	}
	if n := len(ql.recs); n != 3 {
		t.Fatalf("%d questions recorded, want 3", n)
	}

	for _, tt := range []struct {
		body   string
		status int
		code   string
	}{
		{`{"question_id":"` + ans.QuestionID + `","rating":"down","note":"  wrong dose  "}`, 200, ""},
		{`{"question_id":"` + ans.QuestionID + `","rating":"sideways"}`, 400, "invalid_feedback"},
		{`{"rating":"up"}`, 400, "invalid_feedback"},
		{`{"question_id":"` + ans.QuestionID + `","rating":"up","note":"` + strings.Repeat("x", store.MaxNoteRunes+1) + `"}`, 400, "invalid_feedback"},
		{`{"question_id":"0123456789abcdef0123456789abcdef","rating":"up"}`, 404, "not_found"},
		{`{"question_id":`, 400, "malformed_json"},
	} {
		resp, body := request(t, "POST", srv.URL+"/api/v1/papers/p1/feedback", tt.body, nil)
		if resp.StatusCode != tt.status || tt.code != "" && !strings.Contains(body, `"code":"`+tt.code+`"`) {
			t.Errorf("feedback %.60s: %d %s, want %d %s", tt.body, resp.StatusCode, body, tt.status, tt.code)
		}
	}
	if r := ql.recs[0]; r.Rating != store.RatingDown || r.Note != "wrong dose" || r.Lang != "en_US" || r.Mode != rag.ModeExtractive {
		t.Errorf("rated record = %+v", r)
	}

	// The report is for admins only.
	if resp, body := request(t, "GET", srv.URL+"/api/v1/reports/questions", "", nil); resp.StatusCode != 401 || !strings.Contains(body, "unauthorized") {
		t.Errorf("report without a key: %d %s", resp.StatusCode, body)
	}
	if resp, _ := request(t, "GET", srv.URL+"/api/v1/reports/questions", "", map[string]string{"Authorization": "Bearer site"}); resp.StatusCode != 401 {
		t.Errorf("report with a wrong key: %d", resp.StatusCode)
	}
	admin := map[string]string{"Authorization": "Bearer adm"}
	resp, body = request(t, "GET", srv.URL+"/api/v1/reports/questions", "", admin)
	var rep struct {
		Totals    struct{ Asked, Refused, Down int }
		Questions []struct {
			Question string
			Asked    int
			Notes    []string
			Title    string
		}
	}
	if err := json.Unmarshal([]byte(body), &rep); err != nil || resp.StatusCode != 200 {
		t.Fatalf("report: %d %s", resp.StatusCode, body)
	}
	if rep.Totals.Asked != 3 || rep.Totals.Down != 1 || len(rep.Questions) != 2 || rep.Questions[0].Question != "What dose?" ||
		rep.Questions[0].Asked != 2 || len(rep.Questions[0].Notes) != 1 || rep.Questions[0].Title != "T" {
		t.Errorf("report = %s", body)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("report Cache-Control = %q", got)
	}
	resp, body = request(t, "GET", srv.URL+"/api/v1/reports/questions?format=csv&sort=down", "", admin)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") || !strings.HasPrefix(body, "paper_id,title,question") ||
		!strings.Contains(strings.SplitN(body, "\n", 3)[1], "wrong dose") {
		t.Errorf("CSV report: %s\n%s", ct, body)
	}
	for _, q := range []string{"sort=best", "format=xml", "since=yesterday", "paper=../x"} {
		if resp, _ := request(t, "GET", srv.URL+"/api/v1/reports/questions?"+q, "", admin); resp.StatusCode != 400 {
			t.Errorf("report ?%s: %d, want 400", q, resp.StatusCode)
		}
	}
	if _, body := request(t, "GET", srv.URL+"/api/v1/reports/questions?since=1d&paper=p2", "", admin); !strings.Contains(body, `"questions":[]`) {
		t.Errorf("report for a paper nobody asked about: %s", body)
	}
}

func TestFeedbackWithoutQuestionsLog(t *testing.T) {
	t.Parallel()
	srv, _ := newTestServer(t, Deps{})
	resp, body := request(t, "POST", srv.URL+"/api/v1/papers/p1/ask", `{"question":"What dose?"}`, nil)
	if resp.StatusCode != 200 || strings.Contains(body, "question_id") {
		t.Errorf("ask with no questions log: %d %s (no id to rate)", resp.StatusCode, body)
	}
	if resp, _ := request(t, "POST", srv.URL+"/api/v1/papers/p1/feedback", `{"question_id":"x","rating":"up"}`, nil); resp.StatusCode != 404 {
		t.Errorf("feedback with no questions log: %d, want 404", resp.StatusCode)
	}
}

func TestSuggestionsRoute(t *testing.T) {
	t.Parallel()
	srv, _ := newTestServer(t, Deps{Suggester: fakeSuggester{}})
	for _, tt := range []struct {
		path   string
		status int
		want   string
	}{
		{"/api/v1/papers/p1/questions?lang=zh_CN", 200, `"lang":"zh_CN"`},
		{"/api/v1/papers/p1/questions", 200, `"lang":"en_US"`},
		{"/api/v1/papers/p1/questions?lang=fr", 400, "invalid_lang"},
		{"/api/v1/papers/nope/questions", 404, "not_found"},
	} {
		if resp, body := request(t, "GET", srv.URL+tt.path, "", nil); resp.StatusCode != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("GET %s: %d %s", tt.path, resp.StatusCode, body)
		}
	}
}

func TestOriginCheck(t *testing.T) {
	t.Parallel()
	srv, _ := newTestServer(t, Deps{Security: Security{AllowedOrigins: []string{"https://journal.example.org"}}})
	for _, tt := range []struct {
		origin  string
		allowed bool
		acao    string
	}{
		{"https://evil.example", false, "*"},
		{"https://journal.example.org", true, "https://journal.example.org"},
		{"", true, "*"},
	} {
		hdr := map[string]string{}
		if tt.origin != "" {
			hdr["Origin"] = tt.origin
		}
		resp, body := request(t, "GET", srv.URL+"/api/v1/origin", "", hdr)
		var got originCheck
		if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != 200 {
			t.Fatalf("origin %q: %d %s", tt.origin, resp.StatusCode, body)
		}
		if got.Allowed != tt.allowed || got.Setting != OriginsSetting || resp.Header.Get("Access-Control-Allow-Origin") != tt.acao {
			t.Errorf("origin %q: %+v, ACAO %q", tt.origin, got, resp.Header.Get("Access-Control-Allow-Origin"))
		}
		if !tt.allowed && !strings.Contains(got.Message, OriginsSetting) {
			t.Errorf("refusal message %q does not name the setting", got.Message)
		}
	}
}

func TestAssetsCompressedAndCacheable(t *testing.T) {
	t.Parallel()
	srv, _ := newTestServer(t, Deps{})
	for _, path := range []string{"/widget.js", "/static/chatpaper.js", "/static/chat.css", "/", "/papers/p1", "/admin/questions", "/static/admin.js"} {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		zbody, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		etag := resp.Header.Get("ETag")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || etag == "" || resp.Header.Get("Cache-Control") == "" ||
			!strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("GET %s gzip: %d %v", path, resp.StatusCode, resp.Header)
			continue
		}
		zr, err := gzip.NewReader(bytes.NewReader(zbody))
		if err != nil {
			t.Errorf("GET %s: body is not gzip: %v", path, err)
			continue
		}
		plain, _ := io.ReadAll(zr)

		req, _ = http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Accept-Encoding", "identity")
		resp, _ = http.DefaultTransport.RoundTrip(req)
		ibody, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(ibody, plain) || len(zbody) >= len(ibody) || resp.Header.Get("ETag") == etag {
			t.Errorf("GET %s identity: encoding %q, %d vs %d bytes gzip, etag %q vs %q", path, resp.Header.Get("Content-Encoding"), len(ibody), len(zbody), resp.Header.Get("ETag"), etag)
		}

		req, _ = http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("If-None-Match", etag)
		resp, _ = http.DefaultTransport.RoundTrip(req)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s If-None-Match: %d, want 304", path, resp.StatusCode)
		}
	}
	if resp, _ := request(t, "GET", srv.URL+"/static/nope.js", "", nil); resp.StatusCode != 404 {
		t.Errorf("missing asset: %d", resp.StatusCode)
	}
	for _, tt := range []struct {
		ae   string
		gzip bool
	}{{"gzip", true}, {"br, gzip;q=0.5", true}, {"*", true}, {"gzip;q=0", false}, {"gzip; q=0.000", false}, {"identity", false}, {"", false}} {
		if got := acceptsGzip(tt.ae); got != tt.gzip {
			t.Errorf("acceptsGzip(%q) = %v", tt.ae, got)
		}
	}
}

// TestHeadOnEveryGetRoute checks that every GET route answers HEAD with
// the status and headers of GET and no body.
func TestHeadOnEveryGetRoute(t *testing.T) {
	t.Parallel()
	srv, _ := newTestServer(t, Deps{Suggester: fakeSuggester{}, Searcher: fakeSearcher{}, Questions: &memQuestions{}})
	e := New(Deps{Papers: &fakePapers{}, Answerer: fakeAnswerer{}, Summarizer: fakeSummarizer{}, Searcher: fakeSearcher{}, Suggester: fakeSuggester{}})
	heads := map[string]bool{}
	for _, r := range e.Routes() {
		if r.Method == http.MethodHead {
			heads[r.Path] = true
		}
	}
	concrete := strings.NewReplacer(":id", "p1", "*", "chat.css")
	for _, r := range e.Routes() {
		if r.Method != http.MethodGet {
			continue
		}
		if !heads[r.Path] {
			t.Errorf("GET %s has no HEAD route", r.Path)
			continue
		}
		url := srv.URL + concrete.Replace(r.Path)
		if strings.HasSuffix(r.Path, "/search") {
			url += "?q=dose"
		}
		g, _ := request(t, "GET", url, "", nil)
		h, hb := request(t, "HEAD", url, "", nil)
		if h.StatusCode != g.StatusCode || hb != "" || h.Header.Get("Content-Type") != g.Header.Get("Content-Type") {
			t.Errorf("HEAD %s: %d %q body %q; GET: %d %q", r.Path, h.StatusCode, h.Header.Get("Content-Type"), hb, g.StatusCode, g.Header.Get("Content-Type"))
		}
	}
}
