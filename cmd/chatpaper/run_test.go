package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/internal/testbuf"

	"github.com/gorilla/websocket"
)

// server is a chatpaper process started through run, as main does.
type server struct {
	base   string
	cancel context.CancelFunc
	done   chan error
	stderr *testbuf.Buffer
	// adminKey is the key serve generated in the data folder, if any.
	adminKey string
}

// adminKeys maps a started server's base URL to its generated admin key,
// which do sends on the server's admin routes, as an operator would.
var adminKeys sync.Map

// startServer runs "chatpaper serve" on a free loopback port with the
// given data folder and returns once it accepts requests.
func startServer(t testing.TB, dataDir string, env map[string]string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &server{cancel: cancel, done: make(chan error, 1), stderr: &testbuf.Buffer{}}
	getenv := func(k string) string { return env[k] }
	go func() {
		err := run(ctx, []string{"chatpaper", "serve", "--addr", "127.0.0.1:0", "--data", dataDir}, getenv, pw, s.stderr)
		pw.CloseWithError(fmt.Errorf("run returned: %v", err))
		s.done <- err
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("server did not start: %v\nstderr:\n%s", err, s.stderr.String())
	}
	go io.Copy(io.Discard, pr)
	const prefix = "chatpaper: serving on "
	if !strings.HasPrefix(line, prefix) {
		t.Fatalf("unexpected first line %q", line)
	}
	s.base = strings.TrimSpace(strings.TrimPrefix(line, prefix))
	if b, err := os.ReadFile(filepath.Join(dataDir, adminKeyFile)); err == nil && env["CHATPAPER_ADMIN_KEYS"] == "" {
		s.adminKey = strings.TrimSpace(string(b))
		adminKeys.Store(s.base, s.adminKey)
	}
	t.Cleanup(func() { s.stop(t); adminKeys.Delete(s.base) })
	return s
}

// stop cancels run, as SIGTERM does, and waits for it to return.
func (s *server) stop(t testing.TB) {
	t.Helper()
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("server did not stop within 15s")
	}
}

func (s *server) wsURL(id string) string {
	return "ws" + strings.TrimPrefix(s.base, "http") + "/api/v1/papers/" + id + "/ws"
}

// do sends a request and decodes the JSON response into out (if not nil).
func do(t testing.TB, method, url, contentType, body string, out any) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if method != http.MethodGet && strings.Contains(url, "/api/v1/papers") && !strings.HasSuffix(strings.SplitN(url, "?", 2)[0], "/ask") {
		adminKeys.Range(func(base, key any) bool {
			if strings.HasPrefix(url, base.(string)+"/") {
				req.Header.Set("Authorization", "Bearer "+key.(string))
				return false
			}
			return true
		})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, url, data, err)
		}
	}
	return resp
}

type apiErr struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// testPaper is a small paper whose references answer distinct questions.
const testPaper = `{
  "id": "test-paper",
  "title": "Glacier melt and sea level rise",
  "authors": ["A. Author", "B. Author"],
  "journal": "Journal of Tests",
  "year": 2024,
  "doi": "10.1234/test.1",
  "abstract": "Glaciers are melting faster than expected. Meltwater from Greenland contributes most of the observed sea level rise. We review satellite gravimetry methods for measuring ice mass loss.",
  "references": [
    {"n": 1, "text": "Smith J, Doe A. Satellite gravimetry of the Greenland ice sheet. Nature. 2019; 10: 1-10.", "doi": "10.1000/grace"},
    {"n": 2, "text": "Lee K. Ocean thermal expansion and coastal flooding. Science. 2020; 5: 20-30."},
    {"n": 3, "text": "Garcia M, Chen L. Antarctic ice shelf collapse driven by warm currents. Cryosphere. 2018; 12: 100-110."}
  ]
}`

type askResponse struct {
	Answer     string `json:"answer"`
	Answerable bool   `json:"answerable"`
	Citations  []struct {
		N    int    `json:"n"`
		Text string `json:"text"`
	} `json:"citations"`
	Sources []struct {
		Kind  string  `json:"kind"`
		N     int     `json:"n"`
		Text  string  `json:"text"`
		Score float64 `json:"score"`
	} `json:"sources"`
	Closest []struct {
		Kind string `json:"kind"`
		N    int    `json:"n"`
		Text string `json:"text"`
	} `json:"closest"`
	Mode string `json:"mode"`
}

func TestEndToEnd(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir(), nil)

	t.Run("health", func(t *testing.T) {
		var body map[string]string
		resp := do(t, "GET", s.base+"/healthz", "", "", &body)
		if got, want := resp.StatusCode, 200; got != want {
			t.Fatalf("status = %d, want %d", got, want)
		}
		if got, want := body["status"], "ok"; got != want {
			t.Errorf("status = %q, want %q", got, want)
		}
	})

	t.Run("demo paper served", func(t *testing.T) {
		var list struct {
			Papers []struct {
				ID         string `json:"id"`
				References int    `json:"references"`
			} `json:"papers"`
		}
		do(t, "GET", s.base+"/api/v1/papers", "", "", &list)
		if len(list.Papers) != 1 || list.Papers[0].ID != "exosome-irradiation" || list.Papers[0].References != 103 {
			t.Fatalf("papers = %+v, want the demo paper with 103 references", list.Papers)
		}
	})

	t.Run("ingest", func(t *testing.T) {
		var created map[string]any
		resp := do(t, "POST", s.base+"/api/v1/papers", "application/json", testPaper, &created)
		if got, want := resp.StatusCode, http.StatusCreated; got != want {
			t.Fatalf("status = %d, want %d (%v)", got, want, created)
		}
		if got, want := created["id"], "test-paper"; got != want {
			t.Errorf("id = %v, want %v", got, want)
		}
		var p struct {
			Title      string `json:"title"`
			References []struct {
				N   int    `json:"n"`
				DOI string `json:"doi"`
			} `json:"references"`
		}
		do(t, "GET", s.base+"/api/v1/papers/test-paper", "", "", &p)
		if got, want := len(p.References), 3; got != want {
			t.Fatalf("references = %d, want %d", got, want)
		}
		if got, want := p.References[0].DOI, "10.1000/grace"; got != want {
			t.Errorf("doi = %q, want %q", got, want)
		}
	})

	t.Run("ask over REST", func(t *testing.T) {
		var ans askResponse
		resp := do(t, "POST", s.base+"/api/v1/papers/test-paper/ask", "application/json",
			`{"question":"Which work used satellite gravimetry on Greenland?","lang":"en_US"}`, &ans)
		if got, want := resp.StatusCode, 200; got != want {
			t.Fatalf("status = %d, want %d", got, want)
		}
		if !ans.Answerable || ans.Mode != "extractive" {
			t.Fatalf("answerable=%v mode=%q, want true extractive: %q", ans.Answerable, ans.Mode, ans.Answer)
		}
		if len(ans.Citations) == 0 || ans.Citations[0].N != 1 {
			t.Fatalf("citations = %+v, want reference 1 first", ans.Citations)
		}
		for _, c := range ans.Citations {
			if c.N < 1 || c.N > 3 {
				t.Errorf("cited [%d], not a reference of the paper", c.N)
			}
			if !strings.Contains(ans.Answer, fmt.Sprintf("[%d]", c.N)) {
				t.Errorf("answer %q does not show citation [%d]", ans.Answer, c.N)
			}
		}
		for i := 1; i < len(ans.Sources); i++ {
			if ans.Sources[i].Score > ans.Sources[i-1].Score {
				t.Errorf("sources not ordered best first: %v then %v", ans.Sources[i-1].Score, ans.Sources[i].Score)
			}
		}
	})

	t.Run("unanswerable over REST", func(t *testing.T) {
		var ans askResponse
		do(t, "POST", s.base+"/api/v1/papers/test-paper/ask", "application/json",
			`{"question":"What is the boiling point of liquid nitrogen?","lang":"en_US"}`, &ans)
		if ans.Answerable || len(ans.Citations) != 0 {
			t.Errorf("answerable=%v citations=%v, want false and none: %q", ans.Answerable, ans.Citations, ans.Answer)
		}
	})

	t.Run("refusal lists the closest passages, not as citations", func(t *testing.T) {
		var ans askResponse
		do(t, "POST", s.base+"/api/v1/papers/test-paper/ask", "application/json",
			`{"question":"Which ice cream flavours sell best in Antarctic research stations?","lang":"en_US"}`, &ans)
		if ans.Answerable || len(ans.Citations) != 0 {
			t.Fatalf("answerable=%v citations=%v, want a refusal: %q", ans.Answerable, ans.Citations, ans.Answer)
		}
		if len(ans.Closest) == 0 || !strings.Contains(ans.Answer, "not judged relevant") || strings.Contains(ans.Answer, "[") {
			t.Errorf("closest %v, answer %q: want near misses listed and named without citation brackets", ans.Closest, ans.Answer)
		}
	})

	t.Run("ask over websocket", func(t *testing.T) {
		conn, _, err := websocket.DefaultDialer.Dial(s.wsURL("test-paper"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		send(t, conn, `{"type":"ask","id":"q1","question":"What causes Antarctic ice shelf collapse?","lang":"en_US"}`)
		frames := readUntilDone(t, conn, "q1")
		var text strings.Builder
		var types []string
		for _, f := range frames {
			if len(types) == 0 || types[len(types)-1] != f.Type {
				types = append(types, f.Type)
			}
			if f.Type == "delta" {
				text.WriteString(f.Text)
			}
		}
		// The status frame ("searching") comes first, before the words.
		if got, want := types, []string{"status", "delta", "citations", "done"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("frame sequence = %v, want %v", got, want)
		}
		done := frames[len(frames)-1]
		if got, want := text.String(), *done.Answer; got != want {
			t.Errorf("deltas = %q, done answer = %q", got, want)
		}
		cits := frames[len(frames)-2].Citations
		if len(cits) == 0 || cits[0].N != 3 {
			t.Fatalf("citations = %+v, want reference 3 first", cits)
		}
		for _, c := range cits {
			if c.N < 1 || c.N > 3 {
				t.Errorf("cited [%d], not a reference of the paper", c.N)
			}
		}
	})

	t.Run("websocket errors keep the connection usable", func(t *testing.T) {
		conn, _, err := websocket.DefaultDialer.Dial(s.wsURL("test-paper"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		tests := []struct {
			name, frame, code string
		}{
			{"malformed JSON", `{"type":"ask",`, "malformed_json"},
			{"unknown type", `{"type":"dance","id":"x"}`, "unknown_type"},
			{"empty question", `{"type":"ask","id":"e1","question":"  ","lang":"en_US"}`, "invalid_question"},
			{"bad lang", `{"type":"ask","id":"e2","question":"why?","lang":"fr_FR"}`, "invalid_lang"},
			{"oversized message", `{"type":"ask","id":"big","question":"` + strings.Repeat("a", 20000) + `"}`, "too_large"},
			{"cancel unknown id", `{"type":"cancel","id":"nope"}`, "unknown_id"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				send(t, conn, tt.frame)
				f := readFrame(t, conn)
				if f.Type != "error" || f.Code != tt.code || f.Message == "" {
					t.Errorf("got %+v, want an error frame with code %q and a message", f, tt.code)
				}
			})
		}
		// Still usable after all that.
		send(t, conn, `{"type":"ask","id":"ok","question":"ocean thermal expansion","lang":"en_US"}`)
		frames := readUntilDone(t, conn, "ok")
		if d := frames[len(frames)-1]; d.Answerable == nil || !*d.Answerable {
			t.Errorf("final answer after errors = %+v, want answerable", d)
		}
	})

	t.Run("websocket frame over the hard limit closes with 1009", func(t *testing.T) {
		conn, _, err := websocket.DefaultDialer.Dial(s.wsURL("test-paper"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// The server may close before it has read the whole frame, so the
		// write can fail with a reset: only the close code matters.
		huge := []byte(`{"type":"ask","id":"huge","question":"` + strings.Repeat("a", 2<<20) + `"}`)
		go conn.WriteMessage(websocket.TextMessage, huge)
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, _, err = conn.ReadMessage()
		if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
			t.Errorf("read after huge frame: %v, want close 1009", err)
		}
	})

	t.Run("websocket to unknown paper is a 404", func(t *testing.T) {
		_, resp, err := websocket.DefaultDialer.Dial(s.wsURL("no-such-paper"), nil)
		if err == nil {
			t.Fatal("dial succeeded, want 404")
		}
		if resp == nil || resp.StatusCode != 404 {
			t.Fatalf("response = %v, want 404", resp)
		}
	})

	t.Run("HTTP error shapes", func(t *testing.T) {
		tests := []struct {
			name, method, path, ctype, body string
			status                          int
			code                            string
		}{
			{"unknown paper", "GET", "/api/v1/papers/nope", "", "", 404, "not_found"},
			{"ask unknown paper", "POST", "/api/v1/papers/nope/ask", "application/json", `{"question":"x"}`, 404, "not_found"},
			{"summary unknown paper", "GET", "/api/v1/papers/nope/summary", "", "", 404, "not_found"},
			{"malformed JSON ask", "POST", "/api/v1/papers/test-paper/ask", "application/json", `{"question":`, 400, "malformed_json"},
			{"malformed JSON paper", "POST", "/api/v1/papers", "application/json", `{"id": "x",`, 400, "invalid_paper"},
			{"paper missing title", "POST", "/api/v1/papers", "application/json", `{"id":"x","abstract":"a","references":[]}`, 400, "invalid_paper"},
			{"empty question", "POST", "/api/v1/papers/test-paper/ask", "application/json", `{"question":""}`, 400, "invalid_question"},
			{"bad summary lang", "GET", "/api/v1/papers/test-paper/summary?lang=de", "", "", 400, "invalid_lang"},
			{"wrong method", "PUT", "/api/v1/papers/test-paper/ask", "", "", 405, "method_not_allowed"},
			{"unknown route", "GET", "/api/v1/nothing", "", "", 404, "not_found"},
			{"oversized body", "POST", "/api/v1/papers", "application/json", `{"id":"` + strings.Repeat("x", 5<<20) + `"}`, 413, "too_large"},
			{"unsupported type", "POST", "/api/v1/papers", "image/png", `<a/>`, 415, "unsupported_media_type"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var e apiErr
				resp := do(t, tt.method, s.base+tt.path, tt.ctype, tt.body, &e)
				if got, want := resp.StatusCode, tt.status; got != want {
					t.Errorf("status = %d, want %d", got, want)
				}
				if got, want := e.Error.Code, tt.code; got != want {
					t.Errorf("code = %q, want %q (message %q)", got, want, e.Error.Message)
				}
				if e.Error.Message == "" {
					t.Error("error message is empty")
				}
			})
		}
	})

	t.Run("failed ingest keeps stored paper", func(t *testing.T) {
		do(t, "POST", s.base+"/api/v1/papers", "application/json", `{"id":"test-paper","title":"broken"}`, nil)
		var p struct {
			Title string `json:"title"`
		}
		do(t, "GET", s.base+"/api/v1/papers/test-paper", "", "", &p)
		if got, want := p.Title, "Glacier melt and sea level rise"; got != want {
			t.Errorf("title after failed re-post = %q, want %q", got, want)
		}
	})

	t.Run("summary in both languages", func(t *testing.T) {
		for _, tt := range []struct{ lang, heading string }{{"en_US", "Summary"}, {"zh_CN", "文章概述"}} {
			var sum struct {
				PaperID   string   `json:"paper_id"`
				Lang      string   `json:"lang"`
				Heading   string   `json:"heading"`
				Summary   string   `json:"summary"`
				KeyPoints []string `json:"key_points"`
				Source    string   `json:"source"`
			}
			resp := do(t, "GET", s.base+"/api/v1/papers/exosome-irradiation/summary?lang="+tt.lang, "", "", &sum)
			if resp.StatusCode != 200 || sum.Heading != tt.heading || sum.Lang != tt.lang || sum.Source != "extractive" {
				t.Errorf("summary %s = %d %+v", tt.lang, resp.StatusCode, sum)
			}
			if !strings.Contains(sum.Summary, "Radiotherapy") || len(sum.KeyPoints) == 0 {
				t.Errorf("summary %s text = %q, key points %q", tt.lang, sum.Summary, sum.KeyPoints)
			}
		}
	})

	t.Run("chat page", func(t *testing.T) {
		for _, path := range []string{"/", "/papers/exosome-irradiation", "/static/chatpaper.js", "/static/chat.css"} {
			resp := do(t, "GET", s.base+path, "", "", nil)
			if resp.StatusCode != 200 {
				t.Errorf("GET %s = %d", path, resp.StatusCode)
			}
		}
	})
}

type frame struct {
	Type       string `json:"type"`
	ID         string `json:"id"`
	Text       string `json:"text"`
	Code       string `json:"code"`
	Message    string `json:"message"`
	Answer     *string
	Answerable *bool
	Citations  []struct {
		N    int    `json:"n"`
		Text string `json:"text"`
	} `json:"citations"`
}

func send(t testing.TB, c *websocket.Conn, msg string) {
	t.Helper()
	if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func readFrame(t *testing.T, c *websocket.Conn) frame {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var f frame
	if err := c.ReadJSON(&f); err != nil {
		t.Fatalf("read frame: %v", err)
	}
	return f
}

// readUntilDone reads frames for one answer until its done frame.
func readUntilDone(t *testing.T, c *websocket.Conn, id string) []frame {
	t.Helper()
	var out []frame
	for {
		f := readFrame(t, c)
		if f.ID != id {
			continue
		}
		if f.Type == "error" {
			t.Fatalf("error frame: %+v", f)
		}
		out = append(out, f)
		if f.Type == "done" {
			return out
		}
	}
}

func TestRestartServesSamePaperWithoutReembedding(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir, nil)
	if resp := do(t, "POST", s.base+"/api/v1/papers", "application/json", testPaper, nil); resp.StatusCode != 201 {
		t.Fatalf("ingest status %d", resp.StatusCode)
	}
	q := `{"question":"Which work used satellite gravimetry on Greenland?","lang":"en_US"}`
	var before askResponse
	do(t, "POST", s.base+"/api/v1/papers/test-paper/ask", "application/json", q, &before)
	s.stop(t)

	if _, err := os.Stat(filepath.Join(dir, "chatpaper.db")); err != nil {
		t.Fatalf("store file: %v", err)
	}
	s2 := startServer(t, dir, map[string]string{"CHATPAPER_LOG_LEVEL": "debug"})
	var after askResponse
	do(t, "POST", s2.base+"/api/v1/papers/test-paper/ask", "application/json", q, &after)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("answer changed across restart:\nbefore %+v\nafter  %+v", before, after)
	}
	if strings.Contains(s2.stderr.String(), "re-embedding") {
		t.Errorf("restart re-embedded the paper:\n%s", s2.stderr.String())
	}
	if strings.Contains(s2.stderr.String(), "ingested the demo paper") {
		t.Errorf("restart ingested the demo paper again")
	}
}
