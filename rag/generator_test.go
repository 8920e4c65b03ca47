package rag_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/chatpaper/chatpaper/llm"
	"github.com/chatpaper/chatpaper/llm/llmtest"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/prompts"
	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/store"
)

func newGenerator(t *testing.T, fake *llmtest.Server, o rag.GeneratorOptions) (*rag.Generator, store.Store) {
	t.Helper()
	st := openStore(t, t.TempDir())
	eng, _ := newEngine(t, st)
	if err := eng.Ingest(context.Background(), paper.Demo()); err != nil {
		t.Fatal(err)
	}
	c := llm.New(llm.Options{BaseURL: fake.BaseURL, Model: "fake-model", Retries: 0, FirstTokenTimeout: 5 * time.Second})
	return rag.NewGenerator(eng, c, st, nil, o), st
}

// failing scripts summary requests to fail while on is set.
func failing(fake *llmtest.Server, on *atomic.Bool) {
	fake.SetChatFn(func(r llmtest.ChatRequest) *llmtest.Reply {
		if r.Task() == "summary" && on.Load() {
			return &llmtest.Reply{Status: 503, ErrMessage: "overloaded"}
		}
		return nil
	})
}

func TestSummaryFallbackIsNotCachedAndRetried(t *testing.T) {
	fake := llmtest.NewServer()
	defer fake.Close()
	var down atomic.Bool
	down.Store(true)
	failing(fake, &down)
	g, st := newGenerator(t, fake, rag.GeneratorOptions{SummaryCooldown: 200 * time.Millisecond})
	ctx := context.Background()
	key := store.SummaryKey{PaperID: paper.DemoID, Lang: paper.LangZH, Model: "fake-model", PromptVersion: prompts.SummaryVersion}

	s, err := g.Summary(ctx, paper.DemoID, paper.LangZH)
	if err != nil {
		t.Fatal(err)
	}
	if s.Source != "extractive" {
		t.Fatalf("source = %q with the endpoint down, want extractive", s.Source)
	}
	if _, err := st.Summary(ctx, key); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("fallback was cached under the model's key: %v", err)
	}
	// Within the cooldown the endpoint is not asked again.
	calls := len(fake.ChatsFor("summary"))
	down.Store(false)
	if s, _ := g.Summary(ctx, paper.DemoID, paper.LangZH); s.Source != "extractive" || len(fake.ChatsFor("summary")) != calls {
		t.Errorf("during cooldown: source %q, %d new requests", s.Source, len(fake.ChatsFor("summary"))-calls)
	}
	time.Sleep(250 * time.Millisecond)
	s, err = g.Summary(ctx, paper.DemoID, paper.LangZH)
	if err != nil || s.Source != "llm" || s.Model != "fake-model" || s.Heading != "文章概述" {
		t.Fatalf("after cooldown: %+v, %v", s, err)
	}
	if _, err := st.Summary(ctx, key); err != nil {
		t.Errorf("model summary not cached: %v", err)
	}
	calls = len(fake.ChatsFor("summary"))
	if _, err := g.Summary(ctx, paper.DemoID, paper.LangZH); err != nil || len(fake.ChatsFor("summary")) != calls {
		t.Errorf("cached summary asked the model again")
	}
}

func TestWarmerRetriesThenCaches(t *testing.T) {
	fake := llmtest.NewServer()
	defer fake.Close()
	var down atomic.Bool
	down.Store(true)
	failing(fake, &down)
	g, st := newGenerator(t, fake, rag.GeneratorOptions{})
	w := rag.NewWarmer(g, rag.WarmerOptions{Backoff: 50 * time.Millisecond})
	defer w.Close()
	w.Warm(paper.DemoID)
	deadline := time.Now().Add(5 * time.Second)
	for len(fake.ChatsFor("summary")) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	down.Store(false)
	ctx := context.Background()
	for _, lang := range []string{paper.LangEN, paper.LangZH} {
		key := store.SummaryKey{PaperID: paper.DemoID, Lang: lang, Model: "fake-model", PromptVersion: prompts.SummaryVersion}
		for {
			if _, err := st.Summary(ctx, key); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s summary not cached after the warmer's retry", lang)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func TestWarmerCloseCancelsGeneration(t *testing.T) {
	// Registered first, so it runs after every other cleanup (the store).
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	fake := llmtest.NewServer()
	defer fake.Close()
	fake.SetChatFn(func(llmtest.ChatRequest) *llmtest.Reply {
		return &llmtest.Reply{Tokens: []string{"A ", "summary"}, Hold: true}
	})
	g, _ := newGenerator(t, fake, rag.GeneratorOptions{})
	w := rag.NewWarmer(g, rag.WarmerOptions{})
	w.Warm(paper.DemoID)
	deadline := time.Now().Add(5 * time.Second)
	for len(fake.ChatsFor("summary")) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	w.Close()
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Close took %s, want prompt cancellation", d)
	}
	for fake.Cancelled() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if fake.Cancelled() == 0 {
		t.Error("the upstream summary request was not cancelled")
	}
	fake.CloseClientConnections()
}

func TestGeneratorAskCancelLeavesNoGoroutine(t *testing.T) {
	// Registered first, so it runs after every other cleanup (the store).
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	fake := llmtest.NewServer()
	defer fake.Close()
	fake.SetChatFn(func(r llmtest.ChatRequest) *llmtest.Reply {
		if r.Task() != "answer" {
			return nil // the query rewrite
		}
		return &llmtest.Reply{Tokens: llmtest.Split("ExoCarta is a database [26] and more"), Hold: true}
	})
	g, _ := newGenerator(t, fake, rag.GeneratorOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan string, 16)
	errc := make(chan error, 1)
	go func() {
		_, err := g.Ask(ctx, rag.Question{PaperID: paper.DemoID, Text: "What is ExoCarta?"}, func(d string) error {
			got <- d
			return nil
		})
		errc <- err
	}()
	if d := <-got; !strings.HasPrefix(d, "ExoCarta") {
		t.Errorf("first delta %q", d)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for fake.Cancelled() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if fake.Cancelled() != 1 {
		t.Errorf("upstream cancelled streams = %d, want 1", fake.Cancelled())
	}
	fake.CloseClientConnections()
}

func TestConcurrentSummaryRequestsGenerateOnce(t *testing.T) {
	fake := llmtest.NewServer()
	defer fake.Close()
	fake.SetChatFn(func(r llmtest.ChatRequest) *llmtest.Reply {
		rep := fake.DefaultReply(r)
		rep.FirstDelay = 200 * time.Millisecond
		return rep
	})
	g, _ := newGenerator(t, fake, rag.GeneratorOptions{})
	errc := make(chan error, 5)
	for range 5 {
		go func() {
			s, err := g.Summary(context.Background(), paper.DemoID, paper.LangEN)
			if err == nil && s.Source != "llm" {
				err = errors.New("source " + s.Source)
			}
			errc <- err
		}()
	}
	for range 5 {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
	if got := len(fake.ChatsFor("summary")); got != 1 {
		t.Errorf("summary requests = %d, want 1 for 5 concurrent readers", got)
	}
}
