package library_test

import (
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/internal/apptest"
	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/paper"
)

func TestChunksBody(t *testing.T) {
	p := apptest.JATSPaper(t, "pntd.0002065.nxml", "pntd")
	chunks := library.Chunks(p)
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
	for _, c := range library.Chunks(paper.Demo()) {
		if c.Kind == paper.KindBody || c.Kind == paper.KindCaption {
			t.Fatalf("demo paper has a %s chunk", c.Kind)
		}
	}
}
