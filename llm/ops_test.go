package llm_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
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

func TestCheckModelsListed(t *testing.T) {
	t.Parallel()
	fake := llmtest.NewServer()
	defer fake.Close()
	tests := []struct {
		name        string
		listed      []string
		chat, embed string
		missing     string // the model the error must name; "" for ready
	}{
		{"no /models route", nil, "qwen2.5:7b", "bge-m3", ""},
		{"empty list says nothing", []string{}, "qwen2.5:7b", "", ""},
		{"both listed", []string{"qwen2.5:7b", "bge-m3"}, "qwen2.5:7b", "bge-m3", ""},
		{"Ollama's :latest is the bare name", []string{"tiny:latest", "bge-m3:latest"}, "tiny", "bge-m3", ""},
		{"bare name listed, :latest asked", []string{"tiny"}, "tiny:latest", "", ""},
		{"chat model missing", []string{"tiny:latest", "bge-m3:latest"}, "qwen2.5:7b", "bge-m3", "qwen2.5:7b"},
		{"embedding model missing", []string{"tiny:latest"}, "tiny", "nomic-embed-text", "nomic-embed-text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.SetModels(tt.listed)
			c := newClient(t, fake, func(o *llm.Options) { o.Model, o.EmbedModel = tt.chat, tt.embed })
			err := c.Check(context.Background())
			if tt.missing == "" {
				if err != nil {
					t.Errorf("err = %v, want ready", err)
				}
				return
			}
			var me *llm.MissingModelError
			if !errors.As(err, &me) || me.Model != tt.missing || !strings.Contains(me.Public(), `"`+tt.missing+`"`) || !strings.Contains(me.Public(), tt.listed[0]) {
				t.Errorf("err = %v, want a MissingModelError naming %q and what is listed", err, tt.missing)
			}
			if strings.Contains(err.Error(), fake.URL) {
				t.Errorf("message %q shows the endpoint's address", err)
			}
		})
	}
}
