package llm_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/llm"
	"github.com/chatpaper/chatpaper/llm/llmtest"
)

// tokenTally is a TokenCounter that sums by model and kind.
type tokenTally struct {
	mu sync.Mutex
	n  map[string]int
}

func (t *tokenTally) AddTokens(model, kind string, n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n[model+"/"+kind] += n
}

func TestStreamChatCountsTokens(t *testing.T) {
	t.Parallel()
	fake := llmtest.NewServer()
	defer fake.Close()
	tokens := llmtest.Split("Meltwater from Greenland [1].")
	fake.ChatFn = func(llmtest.ChatRequest) *llmtest.Reply { return &llmtest.Reply{Tokens: tokens} }
	c := newClient(t, fake, nil)
	tally := &tokenTally{n: map[string]int{}}
	c.CountTokens(tally)
	for range 2 {
		if _, err := collect(t, c, context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// The fake reports 100 prompt tokens and one completion token per
	// delta in its final usage chunk.
	if got, want := tally.n["fake-model/prompt"], 200; got != want {
		t.Errorf("prompt tokens = %d, want %d", got, want)
	}
	if got, want := tally.n["fake-model/completion"], 2*len(tokens); got != want {
		t.Errorf("completion tokens = %d, want %d", got, want)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	var status int
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/models" {
			t.Errorf("checked %s, want /v1/models", r.URL.Path)
		}
		auth = r.Header.Get("Authorization")
		w.WriteHeader(status)
	}))
	c, err := llm.New(llm.Options{BaseURL: srv.URL + "/v1", APIKey: "sk-x", Model: "m", EmbedBatch: 10,
		Timeout: 10 * time.Second, FirstTokenTimeout: 5 * time.Second, Backoff: time.Millisecond, Temperature: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		status int
		ok     bool
	}{{200, true}, {404, true}, {401, false}, {403, false}, {500, false}, {503, false}}
	for _, tt := range tests {
		status = tt.status
		err := c.Check(context.Background())
		if (err == nil) != tt.ok {
			t.Errorf("status %d: err = %v, want ok=%v", tt.status, err, tt.ok)
		}
		if auth != "Bearer sk-x" {
			t.Errorf("Authorization = %q", auth)
		}
	}
	srv.Close()
	if err := c.Check(context.Background()); err == nil {
		t.Error("check of a closed endpoint passed")
	}
}
