package summary_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/chatpaper/chatpaper/config"
	"github.com/chatpaper/chatpaper/internal/apptest"
	"github.com/chatpaper/chatpaper/llm"
	"github.com/chatpaper/chatpaper/llm/llmtest"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/prompts"
	"github.com/chatpaper/chatpaper/store"
	"github.com/chatpaper/chatpaper/store/sqlite"
	"github.com/chatpaper/chatpaper/summary"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// newModel returns model summaries of the demo paper from fake, with
// options o (config's defaults when nil).
func newModel(t *testing.T, fake *llmtest.Server, o *summary.ModelOptions) (*summary.Model, store.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	lib := apptest.Library(t, st, nil, nil)
	if err := lib.Ingest(context.Background(), paper.Demo()); err != nil {
		t.Fatal(err)
	}
	c := apptest.LLM(t, fake.BaseURL, func(o *llm.Options) { o.Retries = 0; o.FirstTokenTimeout = 5 * time.Second })
	return apptest.SummaryModel(t, lib, c, st, o), st
}

func newWarmer(t *testing.T, m *summary.Model, backoff time.Duration) *summary.Warmer {
	t.Helper()
	c := config.Defaults().Chat
	if backoff == 0 {
		backoff = c.WarmBackoff
	}
	w, err := summary.NewWarmer(m, summary.WarmerOptions{Workers: c.WarmWorkers, Queue: c.WarmQueue, Attempts: c.WarmAttempts, Backoff: backoff})
	if err != nil {
		t.Fatal(err)
	}
	return w
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
	t.Parallel()
	fake := llmtest.NewServer()
	defer fake.Close()
	var down atomic.Bool
	down.Store(true)
	failing(fake, &down)
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	g, st := newModel(t, fake, &summary.ModelOptions{Cooldown: time.Minute, Now: clock.Now})
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
	clock.Advance(time.Minute + time.Second)
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
	t.Parallel()
	fake := llmtest.NewServer()
	defer fake.Close()
	var down atomic.Bool
	down.Store(true)
	failing(fake, &down)
	g, st := newModel(t, fake, nil)
	w := newWarmer(t, g, 50*time.Millisecond)
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
	g, _ := newModel(t, fake, nil)
	w := newWarmer(t, g, 0)
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

func TestConcurrentSummaryRequestsGenerateOnce(t *testing.T) {
	t.Parallel()
	fake := llmtest.NewServer()
	defer fake.Close()
	fake.SetChatFn(func(r llmtest.ChatRequest) *llmtest.Reply {
		rep := fake.DefaultReply(r)
		rep.FirstDelay = 200 * time.Millisecond
		return rep
	})
	g, _ := newModel(t, fake, nil)
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
