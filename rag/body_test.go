package rag_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/llm"
	"github.com/chatpaper/chatpaper/llm/llmtest"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/paper/jats"
	"github.com/chatpaper/chatpaper/rag"
)

// jatsPaper parses one of the shared JATS articles kept in paper/jats.
func jatsPaper(t testing.TB, file, id string) *paper.Paper {
	t.Helper()
	data, err := os.ReadFile("../paper/jats/testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := jats.Parse(data, id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestChunksBody(t *testing.T) {
	p := jatsPaper(t, "pntd.0002065.nxml", "pntd")
	chunks := rag.Chunks(p)
	kinds := map[paper.ChunkKind]int{}
	ids := map[string]bool{}
	for _, c := range chunks {
		kinds[c.Kind]++
		if ids[c.ID] {
			t.Errorf("chunk id %q twice", c.ID)
		}
		ids[c.ID] = true
	}
	if kinds[paper.KindBody] < 50 || kinds[paper.KindCaption] != 6 || kinds[paper.KindReference] != 32 {
		t.Errorf("chunk kinds %v, want many body, 6 caption and 32 reference chunks", kinds)
	}
	// A reference the body cites is retrieved with the sentences citing
	// it; windows never cross a section.
	for _, c := range chunks {
		if c.ID == "r21" && !strings.Contains(c.Text, "Vero cells") {
			t.Errorf("reference 21's chunk lacks its citing sentence: %q", c.Text)
		}
		if c.Kind == paper.KindBody {
			ss := paper.PassageSentences(p, c.ID)
			if len(ss) == 0 {
				t.Fatalf("body chunk %q names no passage", c.ID)
			}
			sec := strings.SplitN(ss[0].ID, ".", 2)[0]
			for _, s := range ss {
				if !strings.HasPrefix(s.ID, sec+".") {
					t.Errorf("chunk %q crosses from %s into %s", c.ID, sec, s.ID)
				}
			}
		}
	}
	// The demo paper, without a body, chunks as before.
	for _, c := range rag.Chunks(paper.Demo()) {
		if c.Kind == paper.KindBody || c.Kind == paper.KindCaption {
			t.Fatalf("demo paper has a %s chunk", c.Kind)
		}
	}
}

func TestAskBody(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, openStore(t, t.TempDir()))
	p := jatsPaper(t, "pntd.0002065.nxml", "pntd")
	if err := eng.Ingest(ctx, p); err != nil {
		t.Fatal(err)
	}
	// The words of a Methods sentence that cites [21].
	ans, err := eng.Ask(ctx, rag.Question{PaperID: "pntd", Text: "virus neutralization test in 96-well microplates using Vero cells", Lang: paper.LangEN}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var body *rag.Source
	for i, s := range ans.Sources {
		if s.Kind == rag.SourceBody {
			body = &ans.Sources[i]
			break
		}
	}
	if body == nil {
		t.Fatalf("no body source: %+v", ans.Sources)
	}
	if body.Section != "Laboratory tests" || !slices.Contains(body.Cites, 21) || !strings.HasPrefix(body.ID, "sec7.") {
		t.Errorf("body source = %+v, want section Laboratory tests citing 21", *body)
	}
	if !ans.Answerable || !strings.Contains(ans.Answer, "§Laboratory tests") || !strings.Contains(ans.Answer, "[21]") {
		t.Errorf("answer = %q, want a quote from §Laboratory tests citing [21]", ans.Answer)
	}
	if !slices.ContainsFunc(ans.Citations, func(c rag.Citation) bool { return c.N == 21 }) {
		t.Errorf("citations %+v lack 21", ans.Citations)
	}
	for _, s := range ans.Sources {
		if s.Kind == rag.SourceReference {
			if r, _ := p.Reference(s.N); s.Text != r.Text {
				t.Errorf("reference source %d text %q, want the entry %q", s.N, s.Text, r.Text)
			}
		}
	}
	// An author–year article: the body passage cites reference numbers
	// resolved from rid, and the answer cites them.
	el := jatsPaper(t, "elife06003.xml", "elife")
	if err := eng.Ingest(ctx, el); err != nil {
		t.Fatal(err)
	}
	ans, err = eng.Ask(ctx, rag.Question{PaperID: "elife", Text: "cellular phospholipid turnover detected within minutes after intravenous injection of fatty acids", Lang: paper.LangEN}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !ans.Answerable || !strings.Contains(ans.Answer, "§Introduction") {
		t.Fatalf("eLife answer = %q", ans.Answer)
	}
	for _, n := range []int{31, 26, 25} {
		if !slices.ContainsFunc(ans.Citations, func(c rag.Citation) bool { return c.N == n }) {
			t.Errorf("eLife answer cites %+v, want %d (Thies, Shetty, Rapoport)", ans.Citations, n)
		}
	}
	if !strings.Contains(ans.Answer, "[31, 26, 25]") {
		t.Errorf("author–year citations are not shown as numbers: %q", ans.Answer)
	}
}

func TestModelContextBody(t *testing.T) {
	fake := llmtest.NewServer()
	defer fake.Close()
	st := openStore(t, t.TempDir())
	eng, _ := newEngine(t, st)
	ctx := context.Background()
	p := jatsPaper(t, "pntd.0002065.nxml", "pntd")
	if err := eng.Ingest(ctx, p); err != nil {
		t.Fatal(err)
	}
	// The model cites what a passage cites ([26]–[29]) and a number in
	// no passage and no reference of the context ([3]).
	fake.SetChatFn(func(r llmtest.ChatRequest) *llmtest.Reply {
		if r.Task() == "answer" {
			return &llmtest.Reply{Tokens: llmtest.Split("Outbreaks were reported across southern Africa [27], see also [3].")}
		}
		return nil
	})
	c := llm.New(llm.Options{BaseURL: fake.BaseURL, Model: "fake-model", Retries: 0, FirstTokenTimeout: 5 * time.Second})
	g := rag.NewGenerator(eng, c, st, nil, rag.GeneratorOptions{})
	ans, err := g.Ask(ctx, rag.Question{PaperID: "pntd", Text: "severe outbreaks of RVF reported in humans and animals in southern Africa in recent years", Lang: paper.LangEN}, nil)
	if err != nil {
		t.Fatal(err)
	}
	chats := fake.ChatsFor("answer")
	if len(chats) == 0 {
		t.Fatal("the model was not asked")
	}
	user := chats[len(chats)-1].Text("user")
	if !strings.Contains(user, "Passages of the paper:") || !strings.Contains(user, "§Discussion: ") || !strings.Contains(user, "(cites [26, 27, 28, 29") {
		t.Errorf("the prompt lacks the body passage with its section and numbers:\n%s", user)
	}
	if !slices.ContainsFunc(ans.Citations, func(c rag.Citation) bool { return c.N == 27 }) {
		t.Errorf("citations %+v: [27], cited by a passage in the context, was dropped", ans.Citations)
	}
	if !slices.Contains(ans.DroppedCitations, 3) {
		t.Errorf("dropped %v, want [3], which nothing in the context cites", ans.DroppedCitations)
	}
}

// Re-posting a paper stored abstract-only with its body replaces it: the
// body is stored and answers come from it.
func TestReingestWithBody(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	eng, _ := newEngine(t, st)
	full := jatsPaper(t, "pntd.0002065.nxml", "pntd")
	bare := *full
	bare.Body = nil
	if err := eng.Ingest(ctx, &bare); err != nil {
		t.Fatal(err)
	}
	q := rag.Question{PaperID: "pntd", Text: "virus neutralization test in 96-well microplates using Vero cells", Lang: paper.LangEN}
	ans, err := eng.Ask(ctx, q, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ans.Sources {
		if s.Kind == rag.SourceBody || s.Kind == rag.SourceCaption {
			t.Fatalf("abstract-only paper answered from its body: %+v", s)
		}
	}
	if err := eng.Ingest(ctx, full); err != nil {
		t.Fatal(err)
	}
	stored, err := st.Paper(ctx, "pntd")
	if err != nil || stored.Body == nil || len(stored.Body.Sections) != 13 {
		t.Fatalf("stored paper after re-posting has body %+v (err %v)", stored.Body, err)
	}
	if ans, err = eng.Ask(ctx, q, nil); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(ans.Sources, func(s rag.Source) bool { return s.Kind == rag.SourceBody }) {
		t.Errorf("after re-posting with the body, no body source: %+v", ans.Sources)
	}
}
