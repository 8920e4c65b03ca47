package llm_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/llm"
	"github.com/chatpaper/chatpaper/llm/llmtest"
	"github.com/chatpaper/chatpaper/rag"
)

func stream(t *testing.T, c *llm.Client, r rag.ChatRequest) ([]string, rag.ChatResult, error) {
	t.Helper()
	if r.Messages == nil {
		r.Messages = []rag.ChatMessage{{Role: rag.RoleUser, Content: "hello"}}
	}
	var deltas []string
	res, err := c.StreamChat(context.Background(), r, func(d string) error {
		deltas = append(deltas, d)
		return nil
	})
	return deltas, res, err
}

// hasControl reports a C0 control character other than tab and newline,
// or DEL.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\t' && r != '\n' || r == 0x7f })
}

func stripControls(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// TestReplayCaptures replays streams captured from Ollama byte for byte.
func TestReplayCaptures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		capture       string
		truncated     bool
		prompt, compl int
	}{
		// The server's length limit cut this one: finish_reason "length".
		{"ollama-sse-plain", true, 0, 0},
		// Control characters in content, then a usage chunk with
		// "choices": [] before [DONE].
		{"ollama-sse-usage", false, 25, 43},
	}
	for _, tt := range tests {
		t.Run(tt.capture, func(t *testing.T) {
			t.Parallel()
			raw := llmtest.Capture(tt.capture)
			content, _, finish, done, err := llmtest.Decode(raw)
			if err != nil || !done || content == "" {
				t.Fatalf("capture decodes to %q finish %q done %v: %v", content, finish, done, err)
			}
			if !hasControl(content) {
				t.Fatalf("capture %s has no control character to strip: the test proves nothing", tt.capture)
			}
			fake := llmtest.NewServer()
			defer fake.Close()
			fake.ChatFn = func(llmtest.ChatRequest) *llmtest.Reply { return &llmtest.Reply{Raw: raw} }
			c := newClient(t, fake, nil)
			tally := &tokenTally{n: map[string]int{}}
			c.CountTokens(tally)
			deltas, res, err := stream(t, c, rag.ChatRequest{})
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(deltas, "")
			if want := stripControls(content); got != want {
				t.Errorf("text = %q\nwant %q", got, want)
			}
			if hasControl(got) {
				t.Errorf("control characters reached the reader: %q", got)
			}
			if res.Truncated != tt.truncated {
				t.Errorf("truncated = %v, want %v (finish_reason %q)", res.Truncated, tt.truncated, finish)
			}
			if tally.n["fake-model/prompt"] != tt.prompt || tally.n["fake-model/completion"] != tt.compl {
				t.Errorf("usage = %v, want %d prompt and %d completion tokens", tally.n, tt.prompt, tt.compl)
			}
		})
	}
}

// TestStreamShapes feeds the client each shape servers document.
func TestStreamShapes(t *testing.T) {
	t.Parallel()
	tokens := llmtest.Split("Meltwater rose [1] since 2002.")
	text := strings.Join(tokens, "")
	tests := []struct {
		name      string
		reply     llmtest.Reply
		req       rag.ChatRequest
		model     string
		want      string
		truncated bool
		wantErr   error
		wantLimit int
	}{
		{"OpenAI: role-only first chunk, usage chunk with no choices", llmtest.Reply{Tokens: tokens}, rag.ChatRequest{}, "", text, false, nil, 0},
		{"Ollama: role in every delta, no role-only chunk", llmtest.Reply{Tokens: tokens, NoRoleChunk: true, RoleEveryDelta: true}, rag.ChatRequest{}, "", text, false, nil, 0},
		{"DeepSeek/vLLM reasoning_content is not shown", llmtest.Reply{Reasoning: "private thoughts", Tokens: tokens}, rag.ChatRequest{}, "", text, false, nil, 0},
		{"Ollama reasoning is not shown", llmtest.Reply{Reasoning: "private thoughts", ReasoningField: "reasoning", Tokens: tokens, RoleEveryDelta: true}, rag.ChatRequest{}, "", text, false, nil, 0},
		{"finish_reason length marks the reply truncated", llmtest.Reply{Tokens: tokens, FinishReason: "length"}, rag.ChatRequest{}, "", text, true, nil, 0},
		{"max_tokens is sent and the cut reply is truncated", llmtest.Reply{Tokens: tokens}, rag.ChatRequest{MaxTokens: 3}, "", strings.Join(tokens[:3], ""), true, nil, 3},
		{"a reasoning model gets max_completion_tokens", llmtest.Reply{Tokens: tokens}, rag.ChatRequest{MaxTokens: 3}, "o3-mini", strings.Join(tokens[:3], ""), true, nil, 3},
		{"error JSON inside a 200 stream", llmtest.Reply{Tokens: tokens, StreamError: "model runner has unexpectedly stopped", ErrorAfter: 2}, rag.ChatRequest{}, "", strings.Join(tokens[:2], ""), false, rag.ErrUpstream, 0},
		{"special tokens and controls are stripped", llmtest.Reply{Tokens: []string{"<s>", "Melt\x05water", " rose</", "s>", " [1].<|im_", "end|>"}}, rag.ChatRequest{}, "", "Meltwater rose [1].", false, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := llmtest.NewServer()
			defer fake.Close()
			fake.ChatFn = func(llmtest.ChatRequest) *llmtest.Reply { r := tt.reply; return &r }
			c := newClient(t, fake, func(o *llm.Options) {
				if tt.model != "" {
					o.Model = tt.model
				}
			})
			deltas, res, err := stream(t, c, tt.req)
			if got := strings.Join(deltas, ""); got != tt.want {
				t.Errorf("text = %q, want %q", got, tt.want)
			}
			if strings.Contains(strings.Join(deltas, ""), "private") {
				t.Error("reasoning reached the reader")
			}
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if res.Truncated != tt.truncated {
				t.Errorf("truncated = %v, want %v", res.Truncated, tt.truncated)
			}
			req := fake.Chats()[0]
			if req.Limit() != tt.wantLimit {
				t.Errorf("request asked for %d tokens, want %d", req.Limit(), tt.wantLimit)
			}
			if tt.model != "" && req.MaxTokens != 0 {
				t.Errorf("reasoning model got max_tokens %d; it refuses it", req.MaxTokens)
			}
		})
	}
}

// TestStreamChatRecovers: an endpoint down when the client was made is
// used as soon as it is up; nothing is cached about its absence.
func TestStreamChatRecovers(t *testing.T) {
	t.Parallel()
	addr, err := llmtest.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	fake0 := &llmtest.Server{BaseURL: "http://" + addr + "/v1"}
	c := newClient(t, fake0, func(o *llm.Options) { o.Retries = 1; o.Backoff = time.Millisecond })
	if _, _, err := stream(t, c, rag.ChatRequest{}); !errors.Is(err, rag.ErrUpstream) {
		t.Fatalf("endpoint down: err = %v, want upstream", err)
	}
	if err := c.Check(context.Background()); err == nil {
		t.Fatal("check passed with the endpoint down")
	}
	fake, err := llmtest.NewServerAt(addr)
	if err != nil {
		t.Skipf("port %s was taken meanwhile: %v", addr, err)
	}
	defer fake.Close()
	fake.ChatFn = func(llmtest.ChatRequest) *llmtest.Reply { return &llmtest.Reply{Tokens: llmtest.Split("up now")} }
	deltas, _, err := stream(t, c, rag.ChatRequest{})
	if err != nil || strings.Join(deltas, "") != "up now" {
		t.Fatalf("after the endpoint came up: %q, %v", deltas, err)
	}
	if err := c.Check(context.Background()); err != nil {
		t.Errorf("check after the endpoint came up: %v", err)
	}
}

// TestReaderBeforeBackground: with a one-slot upstream busy on a summary
// made in the background, a reader's request is answered by the model
// within the first-token timeout: the summary gives its slot up.
func TestReaderBeforeBackground(t *testing.T) {
	t.Parallel()
	for _, limit := range []int{1, 0} {
		fake := llmtest.NewServer()
		defer fake.Close()
		fake.Slots = 1
		summaryHolds := make(chan struct{}, 1)
		fake.ChatFn = func(r llmtest.ChatRequest) *llmtest.Reply {
			if r.Text("user") == "summary" {
				summaryHolds <- struct{}{}
				return &llmtest.Reply{Tokens: llmtest.Split("This paper"), Hold: true}
			}
			return &llmtest.Reply{Tokens: llmtest.Split("Reader's answer.")}
		}
		c := newClient(t, fake, func(o *llm.Options) {
			o.MaxConcurrent = limit
			o.FirstTokenTimeout = 2 * time.Second
		})
		bgErr := make(chan error, 1)
		bgCtx, bgCancel := context.WithCancel(context.Background())
		defer bgCancel()
		go func() {
			_, err := c.StreamChat(bgCtx, rag.ChatRequest{Background: true, Messages: []rag.ChatMessage{{Role: rag.RoleUser, Content: "summary"}}},
				func(string) error { return nil })
			bgErr <- err
		}()
		<-summaryHolds // the upstream's only slot is taken
		deltas, _, err := stream(t, c, rag.ChatRequest{Messages: []rag.ChatMessage{{Role: rag.RoleUser, Content: "question"}}})
		if limit == 0 {
			// Without the gate the reader queues at the upstream behind
			// the summary, which never ends: the first-token timeout.
			if !errors.Is(err, rag.ErrFirstTokenTimeout) {
				t.Errorf("no limit: err = %v, want the first-token timeout (the defect the gate fixes)", err)
			}
			bgCancel()
			<-bgErr
			continue
		}
		if err != nil || strings.Join(deltas, "") != "Reader's answer." {
			t.Fatalf("reader got %q, %v", deltas, err)
		}
		if err := <-bgErr; !errors.Is(err, rag.ErrPreempted) || errors.Is(err, rag.ErrUpstream) {
			t.Errorf("background err = %v, want ErrPreempted (not an upstream failure)", err)
		}
	}
}
