package search

import (
	"fmt"
	"sync"
	"testing"
)

var docs = []Doc{
	{ID: "exo", Title: "Exosome biogenesis and secretion", Text: "Exosomes are small extracellular vesicles released by cells."},
	{ID: "rt", Title: "Opportunities and challenges of radiotherapy", Text: "Radiotherapy treats cancer with ionizing radiation."},
	{ID: "angio", Title: "Tumor angiogenesis", Text: "Angiogenesis in cancer and other diseases; therapeutic implications."},
	{ID: "dc", Title: "Dendritic cell-derived exosomes for cancer therapy", Text: "Exosomes from dendritic cells as vaccines."},
}

func ids(hs []Hit) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.ID
	}
	return out
}

func TestSearchRanks(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string]Options{"bm25": BM25Only(), "default": DefaultOptions(), "cosine": {BM25: Robertson, VectorWeight: 0.5}} {
		t.Run(name, func(t *testing.T) {
			ix := New(opts)
			for _, d := range docs {
				ix.Add(d)
			}
			tests := []struct{ q, want string }{
				{"how are exosomes secreted", "exo"},
				{"radiotherapy challenges", "rt"},
				{"tumour angiogenesis", "angio"},
				{"dendritic cell exosome vaccine", "dc"},
			}
			for _, tt := range tests {
				hs := ix.Search(tt.q, 3)
				if len(hs) == 0 || hs[0].ID != tt.want {
					t.Errorf("Search(%q) = %v, want %s first", tt.q, ids(hs), tt.want)
				}
			}
			if hs := ix.Search("boiling point of nitrogen", 3); len(hs) != 0 {
				t.Errorf("unrelated query found %v, want nothing", ids(hs))
			}
		})
	}
}

func TestAddReplaceRemove(t *testing.T) {
	t.Parallel()
	ix := New(DefaultOptions())
	for _, d := range docs {
		ix.Add(d)
	}
	ix.Add(Doc{ID: "rt", Title: "Proton beam physics"})
	if got, want := ix.Len(), len(docs); got != want {
		t.Fatalf("Len after replace = %d, want %d", got, want)
	}
	if hs := ix.Search("radiotherapy", 5); len(hs) != 0 {
		t.Errorf("replaced text still found: %v", ids(hs))
	}
	if hs := ix.Search("proton", 5); len(hs) != 1 || hs[0].ID != "rt" {
		t.Errorf("Search(proton) = %v, want [rt]", ids(hs))
	}
	ix.Remove("exo")
	ix.Remove("missing")
	if got, want := ix.Len(), len(docs)-1; got != want {
		t.Errorf("Len after remove = %d, want %d", got, want)
	}
	for _, h := range ix.Search("exosomes", 5) {
		if h.ID == "exo" {
			t.Errorf("removed document returned: %v", h)
		}
	}
	if ix.IDF("exosom") <= 0 || ix.IDF("nosuchterm") != 0 {
		t.Errorf("IDF(exosom)=%v IDF(nosuchterm)=%v", ix.IDF("exosom"), ix.IDF("nosuchterm"))
	}
}

// TestConcurrent exercises searches racing with updates under -race.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	ix := New(Options{BM25: Robertson, VectorWeight: 0.3, FeedbackDocs: 2, FeedbackTerms: 5, OrigWeight: 0.5})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				d := docs[(i+w)%len(docs)]
				d.ID = fmt.Sprintf("%s-%d", d.ID, i%7)
				if i%5 == 4 {
					ix.Remove(d.ID)
				} else {
					ix.Add(d)
				}
				ix.Search("exosome cancer therapy", 3)
			}
		}()
	}
	wg.Wait()
}
