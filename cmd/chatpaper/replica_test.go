package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatpaper/chatpaper/llm/llmtest"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/store"
	"github.com/chatpaper/chatpaper/store/postgres"
	"github.com/chatpaper/chatpaper/store/postgres/pgtest"
)

// eventually polls cond every 50ms for up to 10s.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	var last string
	for range 200 {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not within 10s; last state: %s", what, last)
}

// TestReplicas runs two servers on one PostgreSQL database, as two
// replicas behind a load balancer: what one is told, the other serves.
func TestReplicas(t *testing.T) {
	t.Parallel()
	url := pgtest.Schema(t)
	env := map[string]string{"CHATPAPER_DATABASE_URL": url, "CHATPAPER_CACHE_REVALIDATE": "200ms"}
	a := startServer(t, t.TempDir(), env)
	b := startServer(t, t.TempDir(), env)

	ask := func(s *server, q string) (int, askResponse) {
		var ans askResponse
		resp := do(t, "POST", s.base+"/api/v1/papers/test-paper/ask", "application/json", `{"question":"`+q+`","lang":"en_US"}`, &ans)
		return resp.StatusCode, ans
	}

	t.Run("demo ingested once and served by both", func(t *testing.T) {
		for _, s := range []*server{a, b} {
			var list struct {
				Papers []struct{ ID string } `json:"papers"`
			}
			do(t, "GET", s.base+"/api/v1/papers", "", "", &list)
			if len(list.Papers) != 1 || list.Papers[0].ID != paper.DemoID {
				t.Errorf("%s lists %+v, want only the demo paper", s.base, list.Papers)
			}
		}
	})

	t.Run("ingested through A, answerable on B", func(t *testing.T) {
		if resp := do(t, "POST", a.base+"/api/v1/papers", "application/json", testPaper, nil); resp.StatusCode != http.StatusCreated {
			t.Fatalf("ingest on A: status %d", resp.StatusCode)
		}
		status, ans := ask(b, "satellite gravimetry Greenland")
		if status != 200 || !ans.Answerable || len(ans.Citations) == 0 || ans.Citations[0].N != 1 {
			t.Fatalf("B: status %d, answer %+v, want a cited [1]", status, ans)
		}
	})

	t.Run("re-ingest through A reaches B's cache", func(t *testing.T) {
		revised := strings.Replace(testPaper, "Satellite gravimetry of the Greenland ice sheet", "Satellite gravimetry of the Svalbard ice caps", 1)
		if resp := do(t, "POST", a.base+"/api/v1/papers", "application/json", revised, nil); resp.StatusCode != http.StatusCreated {
			t.Fatalf("re-ingest on A: status %d", resp.StatusCode)
		}
		eventually(t, "B answers from the revised paper", func() (bool, string) {
			_, ans := ask(b, "satellite gravimetry Svalbard")
			ok := len(ans.Citations) > 0 && strings.Contains(ans.Citations[0].Text, "Svalbard")
			return ok, ans.Answer
		})
	})

	t.Run("websocket answers on B for a paper ingested on A", func(t *testing.T) {
		c, _, err := websocket.DefaultDialer.Dial(b.wsURL("test-paper"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		send(t, c, `{"type":"ask","id":"q1","question":"Antarctic ice shelf collapse","lang":"en_US"}`)
		frames := readUntilDone(t, c, "q1")
		if done := frames[len(frames)-1]; done.Answerable == nil || !*done.Answerable {
			t.Errorf("done frame %+v, want answerable", done)
		}
	})

	t.Run("deleted through A, gone on B", func(t *testing.T) {
		if resp := do(t, "DELETE", a.base+"/api/v1/papers/test-paper", "", "", nil); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("delete on A: status %d", resp.StatusCode)
		}
		eventually(t, "B reports the paper gone", func() (bool, string) {
			status, ans := ask(b, "satellite gravimetry")
			return status == http.StatusNotFound, ans.Answer
		})
	})
}

// TestReplicaSearch runs two servers on one PostgreSQL database: a paper
// ingested through one is found by catalogue search on the other once
// its revalidation interval has passed (its corpus index was built
// before the ingest), and a paper deleted through one is no longer
// found on the other.
func TestReplicaSearch(t *testing.T) {
	t.Parallel()
	url := pgtest.Schema(t)
	env := map[string]string{"CHATPAPER_DATABASE_URL": url, "CHATPAPER_CACHE_REVALIDATE": "200ms"}
	a := startServer(t, t.TempDir(), env)
	b := startServer(t, t.TempDir(), env)
	search := func(s *server) []string {
		var res struct {
			Papers []struct{ ID string } `json:"papers"`
		}
		if resp := do(t, "GET", s.base+"/api/v1/search?q=gravimetry+Greenland", "", "", &res); resp.StatusCode != http.StatusOK {
			t.Fatalf("search on %s: status %d", s.base, resp.StatusCode)
		}
		var ids []string
		for _, p := range res.Papers {
			ids = append(ids, p.ID)
		}
		return ids
	}
	if got := search(b); len(got) != 0 {
		t.Fatalf("B finds %v before the ingest", got)
	}
	if resp := do(t, "POST", a.base+"/api/v1/papers", "application/json", testPaper, nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("ingest on A: status %d", resp.StatusCode)
	}
	eventually(t, "B's search finds the paper ingested through A", func() (bool, string) {
		got := search(b)
		return len(got) > 0 && got[0] == "test-paper", strings.Join(got, ",")
	})
	if resp := do(t, "DELETE", a.base+"/api/v1/papers/test-paper", "", "", nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete on A: status %d", resp.StatusCode)
	}
	eventually(t, "B's search no longer finds the paper deleted through A", func() (bool, string) {
		got := search(b)
		return len(got) == 0, strings.Join(got, ",")
	})
}

// TestReplicaSharedState checks the state replicas share through the
// store, with two independent stores on one database standing for two
// processes: a session written by one is continued by the other, and a
// summary is generated once whichever replica is asked first.
func TestReplicaSharedState(t *testing.T) {
	t.Parallel()
	url := pgtest.Schema(t)
	ctx := t.Context()
	replicas := make([]*postgres.Store, 2)
	for i := range replicas {
		s, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		replicas[i] = s
	}
	a, b := replicas[0], replicas[1]
	p := paper.Demo()
	if err := a.PutPaper(ctx, p, "none", nil); err != nil {
		t.Fatal(err)
	}

	t.Run("session continues on the other replica", func(t *testing.T) {
		sess := &store.Session{ID: "sess-1", PaperID: p.ID, Turns: []store.Turn{{Question: "What is ExoCarta?", Answer: "A database [26].", Lang: paper.LangEN, Cited: []int{26}}}}
		if err := a.PutSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		got, err := b.Session(ctx, "sess-1")
		if err != nil {
			t.Fatalf("B reads A's session: %v", err)
		}
		got.Turns = append(got.Turns, store.Turn{Question: "And [27]?", Answer: "…", Lang: paper.LangEN})
		if err := b.PutSession(ctx, got); err != nil {
			t.Fatal(err)
		}
		back, err := a.Session(ctx, "sess-1")
		if err != nil || len(back.Turns) != 2 || back.Turns[0].Cited[0] != 26 {
			t.Fatalf("A reads the continued session: %+v, %v", back, err)
		}
	})

	t.Run("summary generated once across replicas", func(t *testing.T) {
		key := store.SummaryKey{PaperID: p.ID, Lang: paper.LangZH, Model: "m", PromptVersion: "1"}
		var generated atomic.Int32
		summarize := func(s store.Store) error {
			return s.WithSummaryLock(ctx, key, func(ctx context.Context) error {
				if _, err := s.Summary(ctx, key); err == nil {
					return nil
				} else if !errors.Is(err, store.ErrNotFound) {
					return err
				}
				generated.Add(1)
				time.Sleep(50 * time.Millisecond) // the model call
				return s.PutSummary(ctx, key, &paper.Summary{PaperID: p.ID, Lang: paper.LangZH, Summary: "摘要", Source: "llm"})
			})
		}
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Go(func() {
				if err := summarize(replicas[i%2]); err != nil {
					t.Errorf("replica %d: %v", i%2, err)
				}
			})
		}
		wg.Wait()
		if got := generated.Load(); got != 1 {
			t.Errorf("summary generated %d times by two replicas, want 1", got)
		}
	})
}

// TestReplicasModelMode runs two model-mode servers on one PostgreSQL
// database with one (loopback fake) model endpoint: a summary is
// generated once however many readers of either replica ask for it
// while the ingesting replica's background warmer is writing it, and a
// websocket session begun on one replica continues on the other.
func TestReplicasModelMode(t *testing.T) {
	t.Parallel()
	url := pgtest.Schema(t)
	fake := llmtest.NewServer()
	defer fake.Close()
	// Slow summaries widen the window in which replicas could both
	// generate one.
	fake.SetChatFn(func(r llmtest.ChatRequest) *llmtest.Reply {
		if r.Task() != "summary" {
			return nil
		}
		rep := fake.DefaultReply(r)
		rep.FirstDelay = 300 * time.Millisecond
		return rep
	})
	env := modelEnv(fake, "CHATPAPER_DATABASE_URL", url, "CHATPAPER_CACHE_REVALIDATE", "200ms")
	a := startServer(t, t.TempDir(), env)
	b := startServer(t, t.TempDir(), env)

	if resp := do(t, "POST", a.base+"/api/v1/papers", "application/json", testPaper, nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("ingest on A: status %d", resp.StatusCode)
	}

	t.Run("summary generated once across replicas", func(t *testing.T) {
		var wg sync.WaitGroup
		for i := range 8 {
			s := []*server{a, b}[i%2]
			lang := []string{"en_US", "zh_CN"}[i/2%2]
			wg.Go(func() {
				var sum struct {
					Source string `json:"source"`
					Lang   string `json:"lang"`
				}
				resp, err := http.Get(s.base + "/api/v1/papers/test-paper/summary?lang=" + lang)
				if err != nil {
					t.Error(err)
					return
				}
				defer resp.Body.Close()
				if err := json.NewDecoder(resp.Body).Decode(&sum); err != nil || resp.StatusCode != 200 || sum.Source != "llm" || sum.Lang != lang {
					t.Errorf("%s summary from %s: status %d, %+v, %v", lang, s.base, resp.StatusCode, sum, err)
				}
			})
		}
		wg.Wait()
		n := 0
		for _, r := range fake.ChatsFor("summary") {
			if strings.Contains(r.Text("user"), "Glacier melt") {
				n++
			}
		}
		if n != 2 {
			t.Errorf("summary requests to the model = %d across two replicas, want 2 (one per language)", n)
		}
	})

	t.Run("websocket session continues on the other replica", func(t *testing.T) {
		conn, sid := dialSession(t, a, "test-paper", "")
		if first := askWS(t, conn, "1", "What caused the Antarctic ice shelf collapse?"); first.err != nil {
			t.Fatalf("first answer on A: %+v", first.err)
		}
		conn.Close()
		follow := "And what drove it?"
		fake.SetRewrite(follow, "What drove the Antarctic ice shelf collapse?")
		conn2, sid2 := dialSession(t, b, "test-paper", sid)
		if sid2 != sid {
			t.Fatalf("B's session frame has id %q, want the resumed %q", sid2, sid)
		}
		ans := askWS(t, conn2, "2", follow)
		if ans.err != nil || ans.done == nil {
			t.Fatalf("follow-up on B: %+v", ans.err)
		}
		if len(ans.citations) == 0 || ans.citations[0] != 3 {
			t.Errorf("follow-up on B cites %v, want [3] first", ans.citations)
		}
		if u := lastChat(t, fake, "condense").Text("user"); !strings.Contains(u, "Reader: What caused the Antarctic ice shelf collapse?") {
			t.Errorf("B's condense prompt lacks the turn asked on A:\n%s", u)
		}
	})
}
