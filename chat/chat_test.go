package chat_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/chatpaper/chatpaper/chat"
	"github.com/chatpaper/chatpaper/internal/apptest"
	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/llm"
	"github.com/chatpaper/chatpaper/llm/llmtest"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/store"
	"github.com/chatpaper/chatpaper/store/sqlite"
)

// newGenerator returns model mode over a library holding the demo
// paper, answering with fake.
func newGenerator(t *testing.T, fake *llmtest.Server) (*chat.Generator, *library.Library, store.Store) {
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
	return apptest.Chat(t, lib, c, st), lib, st
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
	g, _, _ := newGenerator(t, fake)
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

// TestAnswerReadsOneVersion replaces the paper while model mode is
// answering about it (during the query rewrite, between acquiring the
// paper and retrieving from it): the whole answer (the model's context,
// the sources, the citations) must come from the version the answer
// started with, and the next answer from the new one.
func TestAnswerReadsOneVersion(t *testing.T) {
	t.Parallel()
	fake := llmtest.NewServer()
	defer fake.Close()
	g, lib, _ := newGenerator(t, fake)
	const marker = "(second version)"
	v2 := *paper.Demo()
	v2.References = slices.Clone(v2.References)
	for i := range v2.References {
		v2.References[i].Text += " " + marker
	}
	question := "ExoCarta 数据库是什么？"
	fake.SetRewrite(question, "What is the ExoCarta database?")
	var replaced atomic.Bool
	replaceErr := make(chan error, 1)
	fake.SetChatFn(func(r llmtest.ChatRequest) *llmtest.Reply {
		if r.Task() == "rewrite" && replaced.CompareAndSwap(false, true) {
			replaceErr <- lib.Ingest(context.Background(), &v2)
		}
		return nil // the default reply
	})

	ans, err := g.Ask(t.Context(), rag.Question{PaperID: paper.DemoID, Text: question, Lang: paper.LangZH}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !replaced.Load() {
		t.Fatal("the paper was not replaced during the answer (no rewrite request)")
	}
	if err := <-replaceErr; err != nil {
		t.Fatalf("replacing the paper: %v", err)
	}
	if ans.Mode != rag.ModeLLM || len(ans.Citations) == 0 {
		t.Fatalf("answer mode %q citations %v, want a model answer with citations", ans.Mode, ans.Citations)
	}
	answers := fake.ChatsFor("answer")
	if len(answers) != 1 {
		t.Fatalf("%d answer requests, want 1", len(answers))
	}
	if ctx := answers[0].Text("user"); strings.Contains(ctx, marker) || !strings.Contains(ctx, "ExoCarta") {
		t.Errorf("the model's context mixes in the new version or misses the paper:\n%.500s", ctx)
	}
	for _, s := range ans.Sources {
		if strings.Contains(s.Text, marker) {
			t.Errorf("source from the new version: %q", s.Text)
		}
	}
	old := paper.Demo()
	for _, c := range ans.Citations {
		if ref, ok := old.Reference(c.N); !ok || ref.Text != c.Text {
			t.Errorf("citation [%d] %q is not the first version's reference", c.N, c.Text)
		}
	}

	next, err := g.Ask(t.Context(), rag.Question{PaperID: paper.DemoID, Text: question, Lang: paper.LangZH}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range next.Citations {
		if !strings.HasSuffix(c.Text, marker) {
			t.Errorf("next answer cites [%d] %q, want the second version", c.N, c.Text)
		}
	}
	if len(next.Citations) == 0 {
		t.Error("next answer cites nothing")
	}
}

// TestConcurrentAsksKeepEveryTurn: two asks on one session at once (two
// tabs, a retry while the first answer streams) both land in its
// history: each has read the session before either answered.
func TestConcurrentAsksKeepEveryTurn(t *testing.T) {
	fake := llmtest.NewServer()
	defer fake.Close()
	// Hold every answer until both asks have reached the model.
	var arrived atomic.Int32
	both := make(chan struct{})
	fake.SetChatFn(func(r llmtest.ChatRequest) *llmtest.Reply {
		if r.Task() == "answer" {
			if arrived.Add(1) == 2 {
				close(both)
			}
			select {
			case <-both:
			case <-time.After(10 * time.Second):
			}
		}
		return nil
	})
	g, _, st := newGenerator(t, fake)
	ctx := context.Background()
	questions := []string{"How do exosomes affect bystander cells?", "What does ExoCarta hold?"}
	errs := make(chan error, len(questions))
	for _, q := range questions {
		go func() {
			_, err := g.Ask(ctx, rag.Question{PaperID: paper.DemoID, Text: q, Lang: paper.LangEN, SessionID: "two-tabs"}, nil)
			errs <- err
		}()
	}
	for range questions {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	sess, err := st.Session(ctx, "two-tabs")
	if err != nil {
		t.Fatal(err)
	}
	if len(sess.Turns) != len(questions) {
		t.Fatalf("session has %d turns, want %d: a concurrent ask overwrote the other's turn", len(sess.Turns), len(questions))
	}
}
