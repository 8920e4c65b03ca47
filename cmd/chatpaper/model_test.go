package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/chatpaper/chatpaper/llm/llmtest"
)

// modelEnv points the server at the fake endpoint.
func modelEnv(fake *llmtest.Server, extra ...string) map[string]string {
	env := map[string]string{
		"CHATPAPER_LLM_BASE_URL": fake.BaseURL,
		"CHATPAPER_LLM_API_KEY":  "sk-test",
		"CHATPAPER_LLM_MODEL":    "fake-model",
		"CHATPAPER_LOG_LEVEL":    "warn",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return env
}

// mframe is any server frame in model mode.
type mframe struct {
	Type             string  `json:"type"`
	ID               string  `json:"id"`
	Text             string  `json:"text"`
	Code             string  `json:"code"`
	Message          string  `json:"message"`
	SessionID        string  `json:"session_id"`
	Answer           *string `json:"answer"`
	Answerable       *bool   `json:"answerable"`
	Mode             string  `json:"mode"`
	DroppedCitations []int   `json:"dropped_citations"`
	Citations        []struct {
		N    int    `json:"n"`
		Text string `json:"text"`
	} `json:"citations"`
}

// answer is one ask's frames, read until done or error.
type answer struct {
	deltas    []string
	citations []int
	done      *mframe
	err       *mframe
}

func (a answer) text() string { return strings.Join(a.deltas, "") }

func dialSession(t *testing.T, s *server, paperID, sessionID string) (*websocket.Conn, string) {
	t.Helper()
	u := s.wsURL(paperID)
	if sessionID != "" {
		u += "?session_id=" + sessionID
	}
	conn, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	f := readM(t, conn)
	if f.Type != "session" || f.SessionID == "" {
		t.Fatalf("first frame = %+v, want a session frame", f)
	}
	return conn, f.SessionID
}

// readM reads the next frame, skipping status frames: what the answer
// is waiting for is news, not part of it.
func readM(t *testing.T, c *websocket.Conn) mframe {
	t.Helper()
	for {
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		var f mframe
		if err := c.ReadJSON(&f); err != nil {
			t.Fatalf("read frame: %v", err)
		}
		if f.Type != "status" {
			return f
		}
	}
}

func askWS(t *testing.T, c *websocket.Conn, id, question string) answer {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"type": "ask", "id": id, "question": question})
	send(t, c, string(b))
	return readAnswer(t, c, id)
}

func readAnswer(t *testing.T, c *websocket.Conn, id string) answer {
	t.Helper()
	var a answer
	for {
		f := readM(t, c)
		if f.ID != id {
			continue
		}
		switch f.Type {
		case "delta":
			if a.citations != nil {
				t.Fatalf("delta after citations: %+v", f)
			}
			a.deltas = append(a.deltas, f.Text)
		case "citations":
			a.citations = []int{}
			for _, c := range f.Citations {
				a.citations = append(a.citations, c.N)
			}
		case "done":
			a.done = &f
			return a
		case "error":
			a.err = &f
			return a
		}
	}
}

var ctxNum = regexp.MustCompile(`(?m)^\[(\d+)\] `)

// contextNumbers returns the numbered context of an answer prompt.
func contextNumbers(r llmtest.ChatRequest) []int {
	var out []int
	for _, m := range ctxNum.FindAllStringSubmatch(r.Text("user"), -1) {
		n, _ := strconv.Atoi(m[1])
		out = append(out, n)
	}
	return out
}

func lastChat(t *testing.T, fake *llmtest.Server, task string) llmtest.ChatRequest {
	t.Helper()
	rs := fake.ChatsFor(task)
	if len(rs) == 0 {
		t.Fatalf("the model got no %s request", task)
	}
	return rs[len(rs)-1]
}

func hasHan(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
}

const testPaperZh = `{
  "id": "zh-paper",
  "title": "冰川融化与海平面上升",
  "journal": "测试学报",
  "year": 2024,
  "abstract": "冰川融化速度快于预期。格陵兰融水贡献了观测到的大部分海平面上升。本文综述了测量冰量损失的卫星重力测量方法。",
  "references": [
    {"n": 1, "text": "张三，李四. 格陵兰冰盖的卫星重力测量. 地球物理学报. 2019; 10: 1-10."},
    {"n": 2, "text": "王五. 海洋热膨胀与沿海洪水. 海洋学报. 2020; 5: 20-30."},
    {"n": 3, "text": "赵六. 暖流导致南极冰架崩塌. 冰川冻土. 2018; 12: 100-110."}
  ]
}`

func TestModelModeAnswers(t *testing.T) {
	t.Parallel()
	fake := llmtest.NewServer()
	defer fake.Close()
	s := startServer(t, t.TempDir(), modelEnv(fake, "CHATPAPER_EMBED_MODEL", "fake-embed"))
	for _, p := range []string{testPaper, testPaperZh} {
		if resp := do(t, "POST", s.base+"/api/v1/papers", "application/json", p, nil); resp.StatusCode != 201 {
			t.Fatalf("ingest status %d", resp.StatusCode)
		}
	}

	t.Run("embeddings come from the endpoint in batches of at most 10", func(t *testing.T) {
		batches := fake.Batches()
		if len(batches) < 11 { // the demo paper alone has 105 chunks
			t.Fatalf("batches = %v, want the demo paper embedded in batches", batches)
		}
		for _, b := range batches {
			if b > 10 {
				t.Fatalf("batch of %d inputs, want at most 10: %v", b, batches)
			}
		}
	})

	t.Run("websocket deltas in order, hallucinated citation dropped", func(t *testing.T) {
		conn, _ := dialSession(t, s, "test-paper", "")
		a := askWS(t, conn, "q1", "Which work used satellite gravimetry on Greenland?")
		if a.err != nil || a.done == nil {
			t.Fatalf("answer failed: %+v", a.err)
		}
		ctx := contextNumbers(lastChat(t, fake, "answer"))
		if len(ctx) == 0 || ctx[0] != 1 {
			t.Fatalf("numbered context = %v, want reference 1 first", ctx)
		}
		bogus := 0
		for _, n := range ctx {
			bogus = max(bogus, n)
		}
		bogus += 100
		cited := ctx[:min(2, len(ctx))]
		want := fmt.Sprintf("According to the paper, references %s address this, see also.", citeList(cited))
		if got := a.text(); got != want {
			t.Errorf("deltas concatenate to %q, want %q", got, want)
		}
		if len(a.deltas) < 5 {
			t.Errorf("got %d deltas, want the answer streamed token by token", len(a.deltas))
		}
		if got := *a.done.Answer; got != a.text() {
			t.Errorf("done answer %q differs from the deltas %q", got, a.text())
		}
		if !reflect.DeepEqual(a.citations, cited) {
			t.Errorf("citations = %v, want %v", a.citations, cited)
		}
		if got, want := a.done.DroppedCitations, []int{bogus}; !reflect.DeepEqual(got, want) {
			t.Errorf("dropped_citations = %v, want %v", got, want)
		}
		if a.done.Mode != "llm" || !*a.done.Answerable {
			t.Errorf("mode %q answerable %v, want llm and true", a.done.Mode, *a.done.Answerable)
		}
		if strings.Contains(a.text(), "numbered context first") {
			t.Error("reasoning_content reached the reader")
		}
	})

	t.Run("REST and SSE report dropped citations too", func(t *testing.T) {
		var ans struct {
			Answer           string `json:"answer"`
			Mode             string `json:"mode"`
			DroppedCitations []int  `json:"dropped_citations"`
			Citations        []struct {
				N int `json:"n"`
			} `json:"citations"`
		}
		q := `{"question":"Which work used satellite gravimetry on Greenland?"}`
		do(t, "POST", s.base+"/api/v1/papers/test-paper/ask", "application/json", q, &ans)
		if ans.Mode != "llm" || len(ans.DroppedCitations) != 1 || len(ans.Citations) == 0 || strings.Contains(ans.Answer, fmt.Sprint(ans.DroppedCitations)) {
			t.Errorf("REST answer = %+v", ans)
		}

		events := sse(t, s.base+"/api/v1/papers/test-paper/ask?stream=1", q)
		var names []string
		var text strings.Builder
		for _, e := range events {
			if len(names) == 0 || names[len(names)-1] != e.name {
				names = append(names, e.name)
			}
			if e.name == "delta" {
				var d struct{ Text string }
				json.Unmarshal([]byte(e.data), &d)
				text.WriteString(d.Text)
			}
		}
		if want := []string{"status", "delta", "citations", "done"}; !reflect.DeepEqual(names, want) {
			t.Fatalf("SSE events = %v, want %v", names, want)
		}
		var done struct {
			Answer           string `json:"answer"`
			DroppedCitations []int  `json:"dropped_citations"`
		}
		json.Unmarshal([]byte(events[len(events)-1].data), &done)
		if done.Answer != text.String() || done.Answer != ans.Answer || len(done.DroppedCitations) != 1 {
			t.Errorf("SSE done = %+v, deltas %q, REST %q", done, text.String(), ans.Answer)
		}

		// A bad question is still a plain JSON error with its status.
		var e apiErr
		resp := do(t, "POST", s.base+"/api/v1/papers/test-paper/ask?stream=1", "application/json", `{"question":""}`, &e)
		if resp.StatusCode != 400 || e.Error.Code != "invalid_question" {
			t.Errorf("empty streamed question: %d %+v", resp.StatusCode, e)
		}
	})

	t.Run("Chinese question on an English paper", func(t *testing.T) {
		q := "哪项研究用卫星重力测量了格陵兰冰盖？"
		fake.SetRewrite(q, "satellite gravimetry Greenland ice sheet\nGreenland ice mass loss measurement")
		conn, _ := dialSession(t, s, "test-paper", "")
		a := askWS(t, conn, "zh1", q)
		if a.err != nil {
			t.Fatalf("error: %+v", a.err)
		}
		rw := lastChat(t, fake, "rewrite")
		if !strings.Contains(rw.Text("user"), q) || !strings.Contains(rw.Text("system"), "in English") {
			t.Errorf("rewrite request = %q / %q", rw.Text("system"), rw.Text("user"))
		}
		var embedded bool
		for _, in := range fake.Embedded() {
			embedded = embedded || in == "satellite gravimetry Greenland ice sheet"
		}
		if !embedded {
			t.Error("the rewritten English query was not embedded by the embedding model")
		}
		if ctx := contextNumbers(lastChat(t, fake, "answer")); len(ctx) == 0 || ctx[0] != 1 {
			t.Errorf("context = %v, want reference 1 (satellite gravimetry) first", ctx)
		}
		if len(a.citations) == 0 || a.citations[0] != 1 {
			t.Errorf("citations = %v, want reference 1", a.citations)
		}
		if !hasHan(a.text()) || !*a.done.Answerable || a.done.Mode != "llm" {
			t.Errorf("answer %q (answerable %v, mode %s), want a Chinese model answer", a.text(), *a.done.Answerable, a.done.Mode)
		}
		if !strings.Contains(lastChat(t, fake, "answer").Text("system"), "Simplified Chinese") {
			t.Error("answer prompt does not ask for Chinese")
		}
	})

	t.Run("English question on a Chinese paper", func(t *testing.T) {
		q := "Which study measured the Greenland ice sheet by satellite gravimetry?"
		fake.SetRewrite(q, "格陵兰冰盖 卫星重力测量")
		conn, _ := dialSession(t, s, "zh-paper", "")
		a := askWS(t, conn, "en1", q)
		if a.err != nil {
			t.Fatalf("error: %+v", a.err)
		}
		if rw := lastChat(t, fake, "rewrite"); !strings.Contains(rw.Text("system"), "Simplified Chinese") || !strings.Contains(rw.Text("user"), q) {
			t.Errorf("rewrite request = %q", rw.Text("system"))
		}
		if len(a.citations) == 0 || a.citations[0] != 1 {
			t.Errorf("citations = %v, want reference 1", a.citations)
		}
		if hasHan(a.text()) {
			t.Errorf("answer %q, want English", a.text())
		}
	})

	t.Run("follow-up is condensed with the session, across reconnects", func(t *testing.T) {
		conn, sid := dialSession(t, s, "test-paper", "")
		first := askWS(t, conn, "f1", "What caused the Antarctic ice shelf collapse?")
		if first.err != nil || !reflect.DeepEqual(first.citations[:1], []int{3}) {
			t.Fatalf("first answer = %+v %v", first.err, first.citations)
		}
		follow := "And what drove it?"
		// Alone, the follow-up names nothing the paper covers.
		var alone askResponse
		before := len(fake.ChatsFor("answer"))
		do(t, "POST", s.base+"/api/v1/papers/test-paper/ask", "application/json", `{"question":"`+follow+`"}`, &alone)
		if alone.Answerable || len(fake.ChatsFor("answer")) != before {
			t.Fatalf("follow-up without history: answerable %v, model asked %d times; want refused without the model",
				alone.Answerable, len(fake.ChatsFor("answer"))-before)
		}
		fake.SetRewrite(follow, "What drove the Antarctic ice shelf collapse?")
		conn.Close()
		// Reconnect: the session continues.
		conn2, sid2 := dialSession(t, s, "test-paper", sid)
		if sid2 != sid {
			t.Fatalf("resumed session %q, want %q", sid2, sid)
		}
		a := askWS(t, conn2, "f2", follow)
		if a.err != nil {
			t.Fatalf("error: %+v", a.err)
		}
		cd := lastChat(t, fake, "condense")
		if u := cd.Text("user"); !strings.Contains(u, "Reader: What caused the Antarctic ice shelf collapse?") || !strings.Contains(u, "Question: "+follow) {
			t.Errorf("condense prompt lacks the history or the follow-up:\n%s", u)
		}
		if got := lastChat(t, fake, "answer").Text("user"); !strings.Contains(got, "Question: What drove the Antarctic ice shelf collapse?") {
			t.Errorf("the model was not given the standalone question:\n%s", got)
		}
		if !*a.done.Answerable || len(a.citations) == 0 || a.citations[0] != 3 {
			t.Errorf("follow-up answer %q cites %v, want reference 3", a.text(), a.citations)
		}
		if a.done.SessionID != "" && a.done.SessionID != sid {
			t.Errorf("done frame session %q", a.done.SessionID)
		}
	})

	t.Run("nothing relevant: refused without calling the model", func(t *testing.T) {
		before := len(fake.ChatsFor("answer"))
		conn, _ := dialSession(t, s, "test-paper", "")
		a := askWS(t, conn, "n1", "What is the boiling point of liquid nitrogen?")
		if a.err != nil || *a.done.Answerable || len(a.citations) != 0 || a.done.Mode != "extractive" {
			t.Fatalf("answer = %+v, want refused in extractive mode", a)
		}
		if got := len(fake.ChatsFor("answer")) - before; got != 0 {
			t.Errorf("model asked %d times, want 0", got)
		}
	})

	t.Run("model says not covered", func(t *testing.T) {
		fake.SetChatFn(func(r llmtest.ChatRequest) *llmtest.Reply {
			if r.Task() == "answer" && strings.Contains(r.Text("user"), "magnetic") {
				return &llmtest.Reply{Tokens: []string{"NOT", "_COV", "ERED"}}
			}
			return nil
		})
		defer fake.SetChatFn(nil)
		before := len(fake.ChatsFor("answer"))
		conn, _ := dialSession(t, s, "test-paper", "")
		a := askWS(t, conn, "nc", "Does satellite gravimetry of Greenland measure magnetic anomalies?")
		if got := len(fake.ChatsFor("answer")) - before; got != 1 {
			t.Fatalf("model asked %d times, want 1", got)
		}
		if a.err != nil || *a.done.Answerable || len(a.citations) != 0 || strings.Contains(a.text(), "NOT") {
			t.Errorf("answer %q answerable %v citations %v, want the refusal", a.text(), *a.done.Answerable, a.citations)
		}
		if a.done.Mode != "llm" {
			t.Errorf("mode %q, want llm: the model judged it", a.done.Mode)
		}
		if !strings.Contains(a.text(), "can't answer") {
			t.Errorf("answer %q, want the not-covered sentence", a.text())
		}
	})
}

func citeList(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

type sseEvent struct{ name, data string }

// withoutStatus drops the status events, which precede the first delta.
func withoutStatus(evs []sseEvent) []sseEvent {
	var out []sseEvent
	for _, e := range evs {
		if e.name != "status" {
			out = append(out, e)
		}
	}
	return out
}

// sse posts body and reads the server-sent events of the response.
func sse(t *testing.T, url, body string) []sseEvent {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("content type %q, want text/event-stream", ct)
	}
	var out []sseEvent
	var cur sseEvent
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			cur.data = strings.TrimPrefix(line, "data: ")
		case line == "" && cur.name != "":
			out = append(out, cur)
			cur = sseEvent{}
		}
	}
	return out
}

func TestModelModeSummaries(t *testing.T) {
	t.Parallel()
	fake := llmtest.NewServer()
	defer fake.Close()
	s := startServer(t, t.TempDir(), modelEnv(fake))
	if resp := do(t, "POST", s.base+"/api/v1/papers", "application/json", testPaper, nil); resp.StatusCode != 201 {
		t.Fatalf("ingest status %d", resp.StatusCode)
	}
	summaryCalls := func() int {
		n := 0
		for _, r := range fake.ChatsFor("summary") {
			if strings.Contains(r.Text("user"), "Glacier melt") {
				n++
			}
		}
		return n
	}
	// Both languages are generated in the background right after ingest.
	deadline := time.Now().Add(10 * time.Second)
	for summaryCalls() < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := summaryCalls(); got != 2 {
		t.Fatalf("background summary requests = %d, want 2 (en_US and zh_CN)", got)
	}
	type summary struct {
		Heading   string   `json:"heading"`
		Summary   string   `json:"summary"`
		KeyPoints []string `json:"key_points"`
		Source    string   `json:"source"`
		Model     string   `json:"model"`
		Lang      string   `json:"lang"`
	}
	for round := 0; round < 2; round++ {
		for _, lang := range []string{"en_US", "zh_CN"} {
			var sum summary
			do(t, "GET", s.base+"/api/v1/papers/test-paper/summary?lang="+lang, "", "", &sum)
			if sum.Source != "llm" || sum.Model != "fake-model" || sum.Lang != lang || !strings.Contains(sum.Summary, "Glacier melt") || len(sum.KeyPoints) != 2 {
				t.Errorf("round %d %s: %+v", round, lang, sum)
			}
			if (lang == "zh_CN") != hasHan(sum.Summary) {
				t.Errorf("%s summary %q in the wrong language", lang, sum.Summary)
			}
		}
	}
	if got := summaryCalls(); got != 2 {
		t.Errorf("summary requests after 4 reads = %d, want still 2 (cached)", got)
	}

	// An endpoint failure falls back to the extractive summary.
	fake.SetChatFn(func(r llmtest.ChatRequest) *llmtest.Reply {
		if r.Task() == "summary" {
			return &llmtest.Reply{Status: 400, ErrMessage: "model not found"}
		}
		return nil
	})
	p2 := strings.Replace(testPaper, `"id": "test-paper"`, `"id": "test-paper-2"`, 1)
	if resp := do(t, "POST", s.base+"/api/v1/papers", "application/json", p2, nil); resp.StatusCode != 201 {
		t.Fatalf("ingest status %d", resp.StatusCode)
	}
	for _, lang := range []string{"en_US", "zh_CN"} {
		var sum summary
		resp := do(t, "GET", s.base+"/api/v1/papers/test-paper-2/summary?lang="+lang, "", "", &sum)
		if resp.StatusCode != 200 || sum.Source != "extractive" || sum.Model != "" || sum.Summary == "" {
			t.Errorf("%s summary with a failing endpoint = %d %+v, want the extractive one", lang, resp.StatusCode, sum)
		}
	}
}

func TestModelModeSessionAcrossReplicas(t *testing.T) {
	t.Parallel()
	fake := llmtest.NewServer()
	defer fake.Close()
	dir := t.TempDir()
	a := startServer(t, dir, modelEnv(fake))
	if resp := do(t, "POST", a.base+"/api/v1/papers", "application/json", testPaper, nil); resp.StatusCode != 201 {
		t.Fatalf("ingest status %d", resp.StatusCode)
	}
	b := startServer(t, dir, modelEnv(fake))

	conn, sid := dialSession(t, a, "test-paper", "")
	if first := askWS(t, conn, "1", "What caused the Antarctic ice shelf collapse?"); first.err != nil {
		t.Fatalf("first answer: %+v", first.err)
	}
	conn.Close()
	follow := "And what drove it?"
	fake.SetRewrite(follow, "What drove the Antarctic ice shelf collapse?")
	// The other replica continues the session over REST.
	var ans struct {
		askResponse
		SessionID string `json:"session_id"`
	}
	do(t, "POST", b.base+"/api/v1/papers/test-paper/ask", "application/json",
		`{"question":"`+follow+`","session_id":"`+sid+`"}`, &ans)
	if !ans.Answerable || ans.SessionID != sid || len(ans.Citations) == 0 || ans.Citations[0].N != 3 {
		t.Errorf("follow-up on the other replica = %+v", ans)
	}
	if u := lastChat(t, fake, "condense").Text("user"); !strings.Contains(u, "Reader: What caused the Antarctic ice shelf collapse?") {
		t.Errorf("condense prompt on the other replica lacks the history:\n%s", u)
	}
	var bad apiErr
	if resp := do(t, "POST", b.base+"/api/v1/papers/test-paper/ask", "application/json", `{"question":"x","session_id":"../etc"}`, &bad); resp.StatusCode != 400 || bad.Error.Code != "invalid_question" {
		t.Errorf("bad session id: %d %+v", resp.StatusCode, bad)
	}
}

// TestModelModeFaults runs each fault against the real server: retries
// before the first token, a stream cut mid-way, a first-token timeout,
// cancel and close. Afterwards no goroutine of the server is left.
func TestModelModeFaults(t *testing.T) {
	leakOpts := goleak.IgnoreCurrent()
	fake := llmtest.NewServer()
	var mu sync.Mutex
	calls := map[string]int{}
	tokens := llmtest.Split("Partial answer citing [1] and more words follow here.")
	fake.SetChatFn(func(r llmtest.ChatRequest) *llmtest.Reply {
		if r.Task() != "answer" {
			return nil
		}
		u := r.Text("user")
		mu.Lock()
		defer mu.Unlock()
		switch {
		case strings.Contains(u, "Question: retry"):
			calls["retry"]++
			switch calls["retry"] {
			case 1:
				return &llmtest.Reply{Status: 429, ErrMessage: "Rate limit reached for requests"}
			case 2:
				return &llmtest.Reply{Status: 503, ErrMessage: "The engine is currently overloaded"}
			}
			return nil
		case strings.Contains(u, "Question: down"):
			return &llmtest.Reply{Status: 500, ErrMessage: "The server had an error"}
		case strings.Contains(u, "Question: break"):
			return &llmtest.Reply{Tokens: tokens, BreakAfter: 4}
		case strings.Contains(u, "Question: slow"):
			return &llmtest.Reply{Tokens: tokens, FirstDelay: 20 * time.Second}
		case strings.Contains(u, "Question: hold"):
			return &llmtest.Reply{Tokens: tokens[:2], Hold: true}
		}
		return nil
	})
	s := startServer(t, t.TempDir(), modelEnv(fake, "CHATPAPER_LLM_FIRST_TOKEN_TIMEOUT", "2s", "CHATPAPER_LLM_RETRIES", "2", "CHATPAPER_LLM_BACKOFF", "10ms", "CHATPAPER_SHUTDOWN_TIMEOUT", "1s"))
	if resp := do(t, "POST", s.base+"/api/v1/papers", "application/json", testPaper, nil); resp.StatusCode != 201 {
		t.Fatalf("ingest status %d", resp.StatusCode)
	}
	conn, _ := dialSession(t, s, "test-paper", "")

	t.Run("429 and 503 before the first token are retried", func(t *testing.T) {
		a := askWS(t, conn, "r", "retry satellite gravimetry Greenland")
		if a.err != nil || a.done.Mode != "llm" || !*a.done.Answerable {
			t.Fatalf("answer = %+v %+v", a.err, a.done)
		}
		mu.Lock()
		defer mu.Unlock()
		if calls["retry"] != 3 {
			t.Errorf("answer requests = %d, want 3", calls["retry"])
		}
	})

	t.Run("endpoint down falls back to the extractive answer", func(t *testing.T) {
		a := askWS(t, conn, "d", "down satellite gravimetry Greenland")
		if a.err != nil || a.done.Mode != "extractive" || !*a.done.Answerable || a.citations[0] != 1 {
			t.Fatalf("answer = %+v %+v %v", a.err, a.done, a.citations)
		}
	})

	t.Run("stream cut mid-way ends with an upstream error frame", func(t *testing.T) {
		a := askWS(t, conn, "b", "break satellite gravimetry Greenland")
		if a.err == nil || a.err.Code != "upstream" || a.err.Message == "" {
			t.Fatalf("want an upstream error frame, got done=%+v err=%+v", a.done, a.err)
		}
		if got, want := a.text(), "Partial answer citing [1]"; got != want {
			t.Errorf("received %q, want %q", got, want)
		}
		if a.citations != nil {
			t.Error("citations frame sent for a broken answer")
		}
	})

	t.Run("stream cut mid-way over REST and SSE", func(t *testing.T) {
		q := `{"question":"break satellite gravimetry Greenland"}`
		var e apiErr
		resp := do(t, "POST", s.base+"/api/v1/papers/test-paper/ask", "application/json", q, &e)
		if resp.StatusCode != http.StatusBadGateway || e.Error.Code != "upstream" {
			t.Errorf("REST: %d %+v, want 502 upstream", resp.StatusCode, e)
		}
		events := withoutStatus(sse(t, s.base+"/api/v1/papers/test-paper/ask?stream=1", q))
		if len(events) < 2 || events[0].name != "delta" || events[len(events)-1].name != "error" || !strings.Contains(events[len(events)-1].data, `"upstream"`) {
			t.Errorf("SSE events = %+v, want deltas then an upstream error", events)
		}
	})

	t.Run("first-token timeout falls back to extractive", func(t *testing.T) {
		before := fake.Cancelled()
		a := askWS(t, conn, "s", "slow satellite gravimetry Greenland")
		if a.err != nil || a.done.Mode != "extractive" || !*a.done.Answerable {
			t.Fatalf("answer = %+v %+v", a.err, a.done)
		}
		waitFor(t, "the slow upstream request to be cancelled", func() bool { return fake.Cancelled() > before })
	})

	t.Run("cancel frame cancels the upstream request", func(t *testing.T) {
		before := fake.Cancelled()
		send(t, conn, `{"type":"ask","id":"h1","question":"hold satellite gravimetry Greenland"}`)
		if f := readM(t, conn); f.Type != "delta" || f.ID != "h1" {
			t.Fatalf("frame = %+v, want the first delta", f)
		}
		send(t, conn, `{"type":"cancel","id":"h1"}`)
		a := readAnswer(t, conn, "h1")
		if a.err == nil || a.err.Code != "cancelled" {
			t.Fatalf("want a cancelled error frame, got %+v", a)
		}
		waitFor(t, "the upstream to see the cancel", func() bool { return fake.Cancelled() > before })
	})

	t.Run("closing the socket cancels the upstream request", func(t *testing.T) {
		before := fake.Cancelled()
		c2, _ := dialSession(t, s, "test-paper", "")
		send(t, c2, `{"type":"ask","id":"h2","question":"hold satellite gravimetry Greenland"}`)
		if f := readM(t, c2); f.Type != "delta" {
			t.Fatalf("frame = %+v, want a delta", f)
		}
		c2.Close()
		waitFor(t, "the upstream to see the close", func() bool { return fake.Cancelled() > before })
	})

	t.Run("shutdown ends sockets and cancels answers in progress", func(t *testing.T) {
		before := fake.Cancelled()
		c3, _ := dialSession(t, s, "test-paper", "")
		send(t, c3, `{"type":"ask","id":"h3","question":"hold satellite gravimetry Greenland"}`)
		if f := readM(t, c3); f.Type != "delta" {
			t.Fatalf("frame = %+v, want a delta", f)
		}
		s.stop(t)
		waitFor(t, "the upstream to see the shutdown", func() bool { return fake.Cancelled() > before })
		c3.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			var f mframe
			if err := c3.ReadJSON(&f); err != nil {
				break // closed by the server, as wanted
			}
		}
	})

	conn.Close()
	s.stop(t)
	fake.Close()
	http.DefaultClient.CloseIdleConnections()
	goleak.VerifyNone(t, leakOpts)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
