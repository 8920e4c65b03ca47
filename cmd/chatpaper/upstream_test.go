package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/llm/llmtest"
)

type readyBody struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
	Errors map[string]string `json:"errors"`
}

// TestUpstreamDownAtStart: a server started while the model endpoint
// (chat and embeddings) is down starts, says so in the log and /readyz,
// refuses ingests it cannot embed with a clear error, and uses the
// endpoint as soon as it is up, for embeddings and answers, without a
// restart. TestUpstreamChatDownAtStart covers the local embedder.
func TestUpstreamDownAtStart(t *testing.T) {
	addr, err := llmtest.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"CHATPAPER_LLM_BASE_URL": "http://" + addr + "/v1", "CHATPAPER_LLM_MODEL": "fake-model",
		"CHATPAPER_EMBED_MODEL": "fake-embed", "CHATPAPER_LOG_LEVEL": "warn", "CHATPAPER_LLM_RETRIES": "0",
	}
	s := startServer(t, t.TempDir(), env)
	if !strings.Contains(s.stderr.String(), "model endpoint not ready") {
		waitFor(t, "the start-up check to log the endpoint", func() bool { return strings.Contains(s.stderr.String(), "model endpoint not ready") })
	}
	var rb readyBody
	if resp := do(t, "GET", s.base+"/readyz", "", "", &rb); resp.StatusCode != http.StatusServiceUnavailable || rb.Checks["model"] != "failed" {
		t.Fatalf("readyz with the endpoint down: %d %+v", resp.StatusCode, rb)
	}
	// A paper cannot be embedded while the endpoint is down: a clear
	// upstream error, nothing stored half-way.
	var e apiErr
	if resp := do(t, "POST", s.base+"/api/v1/papers", "application/json", testPaper, &e); resp.StatusCode != http.StatusBadGateway || e.Error.Code != "upstream" {
		t.Fatalf("ingest with the endpoint down: %d %+v", resp.StatusCode, e)
	}

	fake, err := llmtest.NewServerAt(addr)
	if err != nil {
		t.Skipf("port %s was taken meanwhile: %v", addr, err)
	}
	defer fake.Close()
	fake.SetModels([]string{"fake-model", "fake-embed"})
	if resp := do(t, "GET", s.base+"/readyz", "", "", &rb); resp.StatusCode != http.StatusOK {
		t.Errorf("readyz with the endpoint up: %d %+v", resp.StatusCode, rb)
	}
	if resp := do(t, "POST", s.base+"/api/v1/papers", "application/json", testPaper, nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("ingest with the endpoint up: %d", resp.StatusCode)
	}
	var ans struct {
		Mode       string `json:"mode"`
		Answerable bool   `json:"answerable"`
	}
	q := `{"question":"How does satellite gravimetry measure Greenland ice mass loss?"}`
	if resp := do(t, "POST", s.base+"/api/v1/papers/test-paper/ask", "application/json", q, &ans); resp.StatusCode != http.StatusOK || ans.Mode != "llm" || !ans.Answerable {
		t.Errorf("ask with the endpoint up: %d %+v, want a model answer", resp.StatusCode, ans)
	}
	if len(fake.ChatsFor("answer")) == 0 || len(fake.Embedded()) == 0 {
		t.Errorf("the endpoint that came up got %d answer requests and %d texts to embed", len(fake.ChatsFor("answer")), len(fake.Embedded()))
	}
}

// TestReadyNeedsTheModels: /readyz is not ready while the endpoint's
// model list lacks the configured chat or embedding model, and says
// which, in the response and the log.
func TestReadyNeedsTheModels(t *testing.T) {
	fake := llmtest.NewServer()
	defer fake.Close()
	fake.SetModels([]string{"tiny:latest", "fake-embed:latest"})
	s := startServer(t, t.TempDir(), modelEnv(fake, "CHATPAPER_LLM_MODEL", "qwen2.5:7b", "CHATPAPER_EMBED_MODEL", "fake-embed"))
	var rb readyBody
	resp := do(t, "GET", s.base+"/readyz", "", "", &rb)
	want := `the endpoint does not serve the chat model "qwen2.5:7b"; it lists tiny:latest, fake-embed:latest`
	if resp.StatusCode != http.StatusServiceUnavailable || rb.Errors["model"] != want {
		b, _ := json.Marshal(rb)
		t.Errorf("readyz = %d %s, want 503 with %q", resp.StatusCode, b, want)
	}
	waitFor(t, "the log to name the missing model", func() bool { return strings.Contains(s.stderr.String(), `chat model \"qwen2.5:7b\"`) })

	fake.SetModels([]string{"qwen2.5:7b", "fake-embed:latest"})
	rb = readyBody{}
	if resp := do(t, "GET", s.base+"/readyz", "", "", &rb); resp.StatusCode != http.StatusOK || rb.Errors != nil {
		t.Errorf("readyz with the model pulled = %d %+v", resp.StatusCode, rb)
	}
}

// TestUpstreamChatDownAtStart: with the local embedder, answers while
// the chat endpoint is down are extractive, and the model's once it is
// up.
func TestUpstreamChatDownAtStart(t *testing.T) {
	addr, err := llmtest.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, t.TempDir(), map[string]string{
		"CHATPAPER_LLM_BASE_URL": "http://" + addr + "/v1", "CHATPAPER_LLM_MODEL": "fake-model",
		"CHATPAPER_LOG_LEVEL": "warn", "CHATPAPER_LLM_RETRIES": "0",
	})
	if resp := do(t, "POST", s.base+"/api/v1/papers", "application/json", testPaper, nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("ingest: %d", resp.StatusCode)
	}
	var ans struct {
		Mode       string `json:"mode"`
		Answerable bool   `json:"answerable"`
	}
	q := `{"question":"How does satellite gravimetry measure Greenland ice mass loss?"}`
	if resp := do(t, "POST", s.base+"/api/v1/papers/test-paper/ask", "application/json", q, &ans); resp.StatusCode != http.StatusOK || ans.Mode != "extractive" || !ans.Answerable {
		t.Fatalf("ask with the endpoint down: %d %+v, want the extractive answer", resp.StatusCode, ans)
	}
	fake, err := llmtest.NewServerAt(addr)
	if err != nil {
		t.Skipf("port %s was taken meanwhile: %v", addr, err)
	}
	defer fake.Close()
	if resp := do(t, "POST", s.base+"/api/v1/papers/test-paper/ask", "application/json", q, &ans); resp.StatusCode != http.StatusOK || ans.Mode != "llm" || !ans.Answerable {
		t.Errorf("ask with the endpoint up: %d %+v, want a model answer", resp.StatusCode, ans)
	}
}

// hasControl reports a C0 control character other than tab and newline,
// or DEL.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\t' && r != '\n' || r == 0x7f })
}

// TestModelOutputReachesReadersClean replays what a real server sent
// (control characters, a citation, finish_reason "length") as the
// answer, and special tokens as the summary: readers see neither
// controls nor tokens, the streamed deltas are the answer, and a cut
// answer says so.
func TestModelOutputReachesReadersClean(t *testing.T) {
	fake := llmtest.NewServer()
	defer fake.Close()
	capture := "ollama-sse-usage"
	var mu sync.Mutex
	fake.SetChatFn(func(r llmtest.ChatRequest) *llmtest.Reply {
		switch r.Task() {
		case "answer":
			mu.Lock()
			defer mu.Unlock()
			return &llmtest.Reply{Raw: llmtest.Capture(capture)}
		case "summary":
			return &llmtest.Reply{Tokens: []string{"<s>", "This paper\x05 reviews", " glacier</", "s> melt.\n- One", " point.<|im_end|>"}}
		}
		return nil
	})
	s := startServer(t, t.TempDir(), modelEnv(fake))
	if resp := do(t, "POST", s.base+"/api/v1/papers", "application/json", testPaper, nil); resp.StatusCode != 201 {
		t.Fatalf("ingest status %d", resp.StatusCode)
	}
	q := `{"question":"How does satellite gravimetry measure Greenland ice mass loss?"}`
	for _, tt := range []struct {
		capture   string
		truncated bool
	}{{"ollama-sse-usage", false}, {"ollama-sse-plain", true}} {
		mu.Lock()
		capture = tt.capture
		mu.Unlock()
		var deltas strings.Builder
		var done struct {
			Answer    string `json:"answer"`
			Mode      string `json:"mode"`
			Truncated bool   `json:"truncated"`
		}
		for _, ev := range sse(t, s.base+"/api/v1/papers/test-paper/ask?stream=1", q) {
			switch ev.name {
			case "delta":
				var d struct{ Text string }
				json.Unmarshal([]byte(ev.data), &d)
				deltas.WriteString(d.Text)
			case "done":
				json.Unmarshal([]byte(ev.data), &done)
			}
		}
		if done.Mode != "llm" || done.Answer == "" || deltas.String() != done.Answer {
			t.Errorf("%s: deltas %q, done %+v: want the model's answer, streamed exactly", tt.capture, deltas.String(), done)
		}
		if hasControl(done.Answer) || strings.Contains(done.Answer, "[7]") {
			t.Errorf("%s: answer %q has control characters or the invented citation [7]", tt.capture, done.Answer)
		}
		if done.Truncated != tt.truncated {
			t.Errorf("%s: truncated = %v, want %v", tt.capture, done.Truncated, tt.truncated)
		}
		var rest struct {
			Truncated bool `json:"truncated"`
		}
		do(t, "POST", s.base+"/api/v1/papers/test-paper/ask", "application/json", q, &rest)
		if rest.Truncated != tt.truncated {
			t.Errorf("%s over REST: truncated = %v, want %v", tt.capture, rest.Truncated, tt.truncated)
		}
	}
	var sum struct {
		Summary   string   `json:"summary"`
		KeyPoints []string `json:"key_points"`
		Source    string   `json:"source"`
	}
	do(t, "GET", s.base+"/api/v1/papers/test-paper/summary?lang=en_US", "", "", &sum)
	if sum.Source != "llm" || sum.Summary != "This paper reviews glacier melt." || len(sum.KeyPoints) != 1 || sum.KeyPoints[0] != "One point." {
		t.Errorf("summary = %+v, want it without controls and special tokens", sum)
	}
}

// TestReaderBeforeWarmUp: on a one-slot upstream (Ollama, llama.cpp with
// one slot) busy with a summary written in the background after ingest,
// a reader's question is answered by the model within the first-token
// limit: the summary gives its slot up and is written later.
func TestReaderBeforeWarmUp(t *testing.T) {
	for _, tt := range []struct {
		name, concurrency string
		wantMode          string
	}{
		{"with the limit", "1", "llm"},
		// The defect the limit fixes: the question queues at the
		// upstream behind the summary and times out.
		{"without a limit", "0", "extractive"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake := llmtest.NewServer()
			defer fake.Close()
			fake.Slots = 1
			summaryHolds := make(chan struct{}, 8)
			// A slow model: it writes a summary, then takes until the
			// test closes slow (or the request goes away) to finish it.
			slow := make(chan struct{})
			var once sync.Once
			defer once.Do(func() { close(slow) })
			fake.SetChatFn(func(r llmtest.ChatRequest) *llmtest.Reply {
				if r.Task() != "summary" {
					return nil
				}
				select {
				case summaryHolds <- struct{}{}:
				default:
				}
				rep := fake.DefaultReply(r)
				rep.Until = slow
				return rep
			})
			s := startServer(t, t.TempDir(), modelEnv(fake, "CHATPAPER_LLM_CONCURRENCY", tt.concurrency, "CHATPAPER_LLM_FIRST_TOKEN_TIMEOUT", "3s"))
			// Stopped before the fake closes: its held summaries end then.
			defer s.stop(t)
			if resp := do(t, "POST", s.base+"/api/v1/papers", "application/json", testPaper, nil); resp.StatusCode != 201 {
				t.Fatalf("ingest status %d", resp.StatusCode)
			}
			<-summaryHolds // the upstream's only slot generates a summary
			conn, _ := dialSession(t, s, "test-paper", "")
			a := askWS(t, conn, "q1", "How does satellite gravimetry measure Greenland ice mass loss?")
			if a.err != nil || a.done == nil || a.done.Mode != tt.wantMode {
				t.Fatalf("answer: err %+v done %+v, want mode %s", a.err, a.done, tt.wantMode)
			}
			if tt.wantMode != "llm" {
				return
			}
			answers := fake.ChatsFor("answer")
			if len(answers) != 1 || answers[0].Limit() != 1024 {
				t.Errorf("answer requests %d, max_tokens %v; want one with the default cap 1024", len(answers), answers)
			}
			// The summary that gave way is asked again once the reader is
			// served, and cached when the model writes it.
			once.Do(func() { close(slow) })
			waitFor(t, "the model summary to be written", func() bool {
				var sum struct{ Source string }
				do(t, "GET", s.base+"/api/v1/papers/test-paper/summary?lang=en_US", "", "", &sum)
				return sum.Source == "llm"
			})
			for _, r := range fake.ChatsFor("summary") {
				if r.Limit() != 600 {
					t.Errorf("summary request with max_tokens %d, want the default cap 600", r.Limit())
				}
			}
		})
	}
}

// TestThinkingModelIsNotCutOff: a thinking model on Ollama streams its
// reasoning as delta.reasoning for longer than the first-token timeout
// before it answers; the reader gets the model's answer, without the
// reasoning.
func TestThinkingModelIsNotCutOff(t *testing.T) {
	fake := llmtest.NewServer()
	defer fake.Close()
	fake.SetChatFn(func(r llmtest.ChatRequest) *llmtest.Reply {
		if r.Task() != "answer" {
			return nil
		}
		rep := fake.DefaultReply(r)
		// Eight pieces 250 ms apart: twice the 1 s timeout in all.
		rep.Reasoning, rep.ReasoningField, rep.ReasoningDelay = "secret steps one two three four five six seven", "reasoning", 250*time.Millisecond
		rep.NoRoleChunk, rep.RoleEveryDelta = true, true
		return rep
	})
	s := startServer(t, t.TempDir(), modelEnv(fake, "CHATPAPER_LLM_FIRST_TOKEN_TIMEOUT", "1s"))
	defer s.stop(t)
	if resp := do(t, "POST", s.base+"/api/v1/papers", "application/json", testPaper, nil); resp.StatusCode != 201 {
		t.Fatalf("ingest: %d", resp.StatusCode)
	}
	var ans struct {
		Answer string `json:"answer"`
		Mode   string `json:"mode"`
	}
	q := `{"question":"How does satellite gravimetry measure Greenland ice mass loss?"}`
	if resp := do(t, "POST", s.base+"/api/v1/papers/test-paper/ask", "application/json", q, &ans); resp.StatusCode != http.StatusOK || ans.Mode != "llm" {
		t.Fatalf("ask: %d %+v, want the model's answer", resp.StatusCode, ans)
	}
	if strings.Contains(ans.Answer, "secret") {
		t.Errorf("reasoning reached the reader: %q", ans.Answer)
	}
}
