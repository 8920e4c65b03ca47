package llm_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/llm"
	"github.com/chatpaper/chatpaper/llm/llmtest"
	"github.com/chatpaper/chatpaper/rag"
)

func newClient(t testing.TB, fake *llmtest.Server, mod func(*llm.Options)) *llm.Client {
	t.Helper()
	o := llm.Options{BaseURL: fake.BaseURL, APIKey: "sk-test", Model: "fake-model", EmbedModel: "fake-embed", EmbedBatch: 10,
		Retries: 2, Backoff: 5 * time.Millisecond, FirstTokenTimeout: 5 * time.Second, Timeout: 10 * time.Second, Temperature: 0.2}
	if mod != nil {
		mod(&o)
	}
	c, err := llm.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func collect(t *testing.T, c *llm.Client, ctx context.Context) ([]string, error) {
	t.Helper()
	var deltas []string
	_, err := c.StreamChat(ctx, rag.ChatRequest{Messages: []rag.ChatMessage{{Role: rag.RoleUser, Content: "hello"}}}, func(d string) error {
		deltas = append(deltas, d)
		return nil
	})
	return deltas, err
}

func TestStreamChatQuirks(t *testing.T) {
	t.Parallel()
	fake := llmtest.NewServer()
	defer fake.Close()
	tokens := llmtest.Split("The answer is [1] and [2].")
	fake.ChatFn = func(llmtest.ChatRequest) *llmtest.Reply {
		// Reasoning deltas, ": ping" comments, blank keep-alive lines and
		// a usage chunk with "choices": [] all come with every stream.
		return &llmtest.Reply{Reasoning: "secret chain of thought", Tokens: tokens}
	}
	deltas, err := collect(t, newClient(t, fake, nil), context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(deltas, "|"), strings.Join(tokens, "|"); got != want {
		t.Errorf("deltas = %q, want %q", got, want)
	}
	if strings.Contains(strings.Join(deltas, ""), "secret") {
		t.Error("reasoning_content reached the reader")
	}
	if got := fake.Chats()[0]; got.Model != "fake-model" || !got.Stream {
		t.Errorf("request = %+v, want the configured model, streamed", got)
	}
}

func TestStreamChatFaults(t *testing.T) {
	t.Parallel()
	tokens := llmtest.Split("one two three four five six")
	thinking := "the user asks about six numbers so I count them one by one and then I write them down in order"
	tests := []struct {
		name      string
		replies   []llmtest.Reply
		opts      func(*llm.Options)
		wantText  string
		wantErr   error
		wantCalls int
	}{
		{"429 then success is retried", []llmtest.Reply{{Status: 429, ErrMessage: "Rate limit reached"}, {Tokens: tokens}}, nil, "one two three four five six", nil, 2},
		{"503 twice then success", []llmtest.Reply{{Status: 503, ErrMessage: "overloaded"}, {Status: 500, ErrMessage: "boom"}, {Tokens: tokens}}, nil, "one two three four five six", nil, 3},
		{"500 past the retry budget", []llmtest.Reply{{Status: 500}, {Status: 500}, {Status: 500}, {Tokens: tokens}}, nil, "", rag.ErrUpstream, 3},
		{"400 is not retried", []llmtest.Reply{{Status: 400, ErrMessage: "bad model"}, {Tokens: tokens}}, nil, "", rag.ErrUpstream, 1},
		{"break mid-stream is not retried", []llmtest.Reply{{Tokens: tokens, BreakAfter: 2}, {Tokens: tokens}}, nil, "one two ", rag.ErrUpstream, 1},
		{"clean end without [DONE] is a truncation", []llmtest.Reply{{Tokens: tokens, EndAfter: 3}, {Tokens: tokens}}, nil, "one two three ", rag.ErrUpstream, 1},
		{"in-stream error event mid-way", []llmtest.Reply{{Tokens: tokens, StreamError: "generation failed", ErrorAfter: 2}, {Tokens: tokens}}, nil, "one two ", rag.ErrUpstream, 1},
		{"in-stream error event before any token", []llmtest.Reply{{Tokens: tokens, StreamError: "generation failed"}, {Tokens: tokens}}, nil, "", rag.ErrUpstream, 1},
		{"first-token timeout", []llmtest.Reply{{Tokens: tokens, FirstDelay: 3 * time.Second}},
			func(o *llm.Options) { o.FirstTokenTimeout = 500 * time.Millisecond }, "", rag.ErrFirstTokenTimeout, 1},
		// Thinking for 21×100 ms, half as long again as the first-token
		// timeout, in pieces fourteen times closer than it (room for a
		// machine loaded enough to stall a goroutine for a second): each
		// reasoning delta restarts it, in either field servers use.
		{"reasoning_content keeps a thinking model alive", []llmtest.Reply{{Reasoning: thinking, ReasoningDelay: 100 * time.Millisecond, Tokens: tokens}},
			func(o *llm.Options) { o.FirstTokenTimeout = 1400 * time.Millisecond }, "one two three four five six", nil, 1},
		{"Ollama's reasoning keeps a thinking model alive", []llmtest.Reply{{Reasoning: thinking, ReasoningField: "reasoning", ReasoningDelay: 100 * time.Millisecond,
			Tokens: tokens, NoRoleChunk: true, RoleEveryDelta: true}},
			func(o *llm.Options) { o.FirstTokenTimeout = 1400 * time.Millisecond }, "one two three four five six", nil, 1},
		{"silence after thinking still times out", []llmtest.Reply{{Reasoning: "thinking hard", ReasoningField: "reasoning", Tokens: tokens, FirstDelay: 3 * time.Second}},
			func(o *llm.Options) { o.FirstTokenTimeout = 500 * time.Millisecond }, "", rag.ErrFirstTokenTimeout, 1},
		{"slow tokens after the first are fine", []llmtest.Reply{{Tokens: tokens, TokenDelay: 300 * time.Millisecond}},
			func(o *llm.Options) { o.FirstTokenTimeout = 1 * time.Second }, "one two three four five six", nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := llmtest.NewServer()
			defer fake.Close()
			var mu sync.Mutex
			i := 0
			fake.ChatFn = func(llmtest.ChatRequest) *llmtest.Reply {
				mu.Lock()
				defer mu.Unlock()
				r := tt.replies[min(i, len(tt.replies)-1)]
				i++
				return &r
			}
			deltas, err := collect(t, newClient(t, fake, tt.opts), context.Background())
			if got := strings.Join(deltas, ""); got != tt.wantText {
				t.Errorf("text = %q, want %q", got, tt.wantText)
			}
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, rag.ErrUpstream) {
				t.Errorf("err = %v does not wrap rag.ErrUpstream", err)
			}
			if got := len(fake.Chats()); got != tt.wantCalls {
				t.Errorf("requests = %d, want %d", got, tt.wantCalls)
			}
		})
	}
}

func TestStreamChatCancelReachesUpstream(t *testing.T) {
	t.Parallel()
	fake := llmtest.NewServer()
	defer fake.Close()
	fake.ChatFn = func(llmtest.ChatRequest) *llmtest.Reply {
		return &llmtest.Reply{Tokens: llmtest.Split("a b c"), Hold: true}
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := newClient(t, fake, nil)
	errc := make(chan error, 1)
	got := make(chan string, 8)
	go func() {
		_, err := c.StreamChat(ctx, rag.ChatRequest{Messages: []rag.ChatMessage{{Role: rag.RoleUser, Content: "x"}}}, func(d string) error {
			got <- d
			return nil
		})
		errc <- err
	}()
	<-got
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for fake.Cancelled() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if fake.Cancelled() != 1 {
		t.Errorf("upstream saw %d cancelled streams, want 1", fake.Cancelled())
	}
}

func TestStreamChatSinkErrorIsNotUpstream(t *testing.T) {
	t.Parallel()
	fake := llmtest.NewServer()
	defer fake.Close()
	gone := errors.New("reader gone")
	_, err := newClient(t, fake, nil).StreamChat(context.Background(), rag.ChatRequest{Messages: []rag.ChatMessage{{Role: rag.RoleUser, Content: "x"}}},
		func(string) error { return gone })
	if !errors.Is(err, gone) || errors.Is(err, rag.ErrUpstream) {
		t.Errorf("err = %v, want the sink's error, not upstream", err)
	}
}

func TestEmbedBatches(t *testing.T) {
	t.Parallel()
	fake := llmtest.NewServer()
	defer fake.Close()
	texts := make([]string, 23)
	for i := range texts {
		texts[i] = strings.Repeat("word ", i+1) + "glacier"
	}
	e := newClient(t, fake, nil).Embedder()
	vecs, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fake.Batches(), []int{10, 10, 3}; !equal(got, want) {
		t.Errorf("batches = %v, want %v (DashScope takes at most 10)", got, want)
	}
	for i, v := range vecs {
		want := llmtest.Vector(texts[i])
		for k := range v {
			if d := v[k] - want[k]; d > 1e-6 || d < -1e-6 {
				t.Fatalf("vector %d is not the one for text %d (out of order?)", i, i)
			}
		}
	}

	// A larger batch than the endpoint takes is refused, not split up by
	// the endpoint: the limit must be configured.
	big := newClient(t, fake, func(o *llm.Options) { o.EmbedBatch = 16 }).Embedder()
	if _, err := big.Embed(context.Background(), texts); !errors.Is(err, rag.ErrUpstream) {
		t.Errorf("embed over the endpoint's batch limit: err = %v, want upstream error", err)
	}
	if e.Name() != "openai-compatible:fake-embed" {
		t.Errorf("name = %q", e.Name())
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestReasoningModelsGetNoTemperature(t *testing.T) {
	t.Parallel()
	fake := llmtest.NewServer()
	defer fake.Close()
	for _, model := range []string{"o3-mini", "gpt-5-mini", "deepseek-reasoner"} {
		c := newClient(t, fake, func(o *llm.Options) { o.Model = model })
		if _, err := collect(t, c, context.Background()); err != nil {
			t.Errorf("%s: %v", model, err)
		}
	}
	if got := len(fake.Chats()); got != 3 {
		t.Errorf("requests reaching the endpoint = %d, want 3", got)
	}
}
