package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/store"
	"github.com/chatpaper/chatpaper/store/postgres"
	"github.com/chatpaper/chatpaper/store/postgres/pgtest"
	"github.com/chatpaper/chatpaper/store/storetest"
)

func open(t testing.TB, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	pgtest.URL(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, pgtest.Schema(t))
	})
}

// TestConcurrentOpenMigratesOnce opens several stores on one empty
// schema at once, as replicas starting together do.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	t.Parallel()
	url := pgtest.Schema(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			s, err := postgres.Open(t.Context(), url)
			if err != nil {
				errs <- err
				return
			}
			errs <- s.Ping(t.Context())
			s.Close()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent open: %v", err)
		}
	}
}

// TestSummaryLockAcrossStores holds the summary lock through two stores
// on one database, as two replicas do: generation runs once, and the
// second caller finds the first one's summary.
func TestSummaryLockAcrossStores(t *testing.T) {
	t.Parallel()
	url := pgtest.Schema(t)
	a, b := open(t, url), open(t, url)
	defer a.Close()
	defer b.Close()
	ctx := t.Context()
	if err := a.PutPaper(ctx, storetest.SamplePaper("p"), "emb", storetest.SampleChunks("p", 3, 8)); err != nil {
		t.Fatal(err)
	}
	key := store.SummaryKey{PaperID: "p", Lang: paper.LangEN, Model: "m", PromptVersion: "1"}
	var generated, inside, maxInside atomic.Int32
	// getOrGenerate is what a summarizer does on each replica.
	getOrGenerate := func(s store.Store) (*paper.Summary, error) {
		var out *paper.Summary
		err := s.WithSummaryLock(ctx, key, func(ctx context.Context) error {
			n := inside.Add(1)
			defer inside.Add(-1)
			for {
				m := maxInside.Load()
				if n <= m || maxInside.CompareAndSwap(m, n) {
					break
				}
			}
			if sum, err := s.Summary(ctx, key); err == nil {
				out = sum
				return nil
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
			generated.Add(1)
			time.Sleep(30 * time.Millisecond) // a model call
			out = &paper.Summary{PaperID: "p", Lang: paper.LangEN, Summary: "generated once", Source: "llm"}
			return s.PutSummary(ctx, key, out)
		})
		return out, err
	}
	var wg sync.WaitGroup
	for i := range 8 {
		s := store.Store(a)
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() {
			sum, err := getOrGenerate(s)
			if err != nil {
				t.Errorf("replica %d: %v", i%2, err)
				return
			}
			if sum.Summary != "generated once" {
				t.Errorf("replica %d got %q", i%2, sum.Summary)
			}
		})
	}
	wg.Wait()
	if got, want := generated.Load(), int32(1); got != want {
		t.Errorf("summary generated %d times across two stores, want %d", got, want)
	}
	if got := maxInside.Load(); got != 1 {
		t.Errorf("%d callers held the lock at once across stores, want 1", got)
	}
}

// TestSummaryLockManyKeys holds more keys at once than the lock pool has
// sessions while fn uses the store, which must not deadlock.
func TestSummaryLockManyKeys(t *testing.T) {
	t.Parallel()
	s := open(t, pgtest.Schema(t))
	defer s.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := s.PutPaper(ctx, storetest.SamplePaper("p"), "emb", nil); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			key := store.SummaryKey{PaperID: "p", Lang: paper.LangEN, Model: fmt.Sprint(i)}
			err := s.WithSummaryLock(ctx, key, func(ctx context.Context) error {
				return s.PutSummary(ctx, key, &paper.Summary{PaperID: "p", Lang: paper.LangEN, Summary: "x"})
			})
			if err != nil {
				t.Errorf("key %d: %v", i, err)
			}
		})
	}
	wg.Wait()
}

func TestOpenBadURL(t *testing.T) {
	t.Parallel()
	if _, err := postgres.Open(t.Context(), "postgres://nobody@127.0.0.1:1/none?connect_timeout=2"); err == nil {
		t.Fatal("Open of an unreachable database succeeded")
	}
}
