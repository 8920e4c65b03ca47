package chat_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/internal/apptest"
	"github.com/chatpaper/chatpaper/llm"
	"github.com/chatpaper/chatpaper/llm/llmtest"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/store/sqlite"
)

func TestModelContextBody(t *testing.T) {
	fake := llmtest.NewServer()
	defer fake.Close()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	lib := apptest.Library(t, st, nil, nil)
	p := apptest.JATSPaper(t, "pntd.0002065.nxml", "pntd")
	if err := lib.Ingest(ctx, p); err != nil {
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
	c := apptest.LLM(t, fake.BaseURL, func(o *llm.Options) { o.Retries = 0; o.FirstTokenTimeout = 5 * time.Second })
	g := apptest.Chat(t, lib, c, st)
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
