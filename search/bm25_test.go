package search_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/search"
)

func demoTexts() []string {
	chunks := library.Chunks(paper.Demo())
	texts := make([]string, len(chunks))
	for i, c := range chunks {
		texts[i] = c.Text
	}
	return texts
}

// The scores below were computed on the demo paper's chunks: the
// catalogue pins by the two BM25 implementations this package replaced
// (the one BM25 must give exactly the same numbers for the same inputs),
// the lexicon pins by the one BM25 with questions weighted by rarity.
// Both follow the dictionary, which glosses the demo's Chinese title.

type lexPin struct {
	doc  int
	bm25 float64
}

var lexiconPins = map[string][]lexPin{
	"How does irradiation change exosome production, uptake and contents?": {{0, 2.1388117826724393}, {2, 1.320147267873999}, {3, 1.388943448964482}, {4, 6.122199191118835}, {5, 7.029116379654505}, {6, 2.2081058689879094}},
	"What is ExoCarta?":                    {{32, 4.700359132477337}},
	"miR-1246 in serum of cancer patients": {{2, 0.28394786167789066}, {3, 0.26134605283559686}, {7, 0.23572696999681672}, {9, 0.6403079697770075}, {13, 0.256797774953419}, {17, 0.20989363909055692}},
	"哪些文献讨论了外泌体的放射治疗?":                     {{0, 0.166357356205317}, {1, 2.916595953344407}, {2, 1.6744966777135442}, {3, 0.10803239535164513}, {4, 0.18136386509660843}, {5, 0.1898282645255105}},
}

// TestLexiconScoresPinned checks per-paper retrieval: BM25 of the first
// documents with a positive score, for queries weighted as question
// answering weighs them.
func TestLexiconScoresPinned(t *testing.T) {
	t.Parallel()
	lx := search.NewLexicon(demoTexts(), search.Robertson)
	for text, want := range lexiconPins {
		q := search.ParseQuery(text, search.QueryOptions{Rarity: true})
		var got []lexPin
		for d, s := range lx.Scores(q) {
			if s > 0 && len(got) < len(want) {
				got = append(got, lexPin{d, s})
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%q:\n got %v\nwant %v", text, got, want)
		}
	}
}

type hitPin struct {
	id    string
	score float64
}

// TestIndexScoresPinned checks catalogue search: the top hits of the
// BEIR baseline, the default (pairs and RM3) and the default fused with
// the TF-IDF cosine, over the demo chunks as documents.
func TestIndexScoresPinned(t *testing.T) {
	t.Parallel()
	cosine := search.DefaultOptions()
	cosine.VectorWeight = 0.2
	tests := []struct {
		name string
		opts search.Options
		q    string
		want []hitPin
	}{
		{"bm25", search.BM25Only(), "exosome radiotherapy", []hitPin{{"c6", 2.969946050155789}, {"c65", 2.9083864738073517}, {"c8", 2.7000103779215876}, {"c96", 2.6781694986456515}, {"c62", 2.6364314910895157}}},
		{"bm25", search.BM25Only(), "tumour hypoxia and irradiated cells release vesicles", []hitPin{{"c109", 5.280501264571774}, {"c62", 5.086504467886731}, {"c4", 5.084550267889723}, {"c2", 4.853093959974396}, {"c3", 4.713250453583812}}},
		{"default", search.DefaultOptions(), "exosome radiotherapy", []hitPin{{"c8", 1.690780841567566}, {"c65", 1.3884055005656426}, {"c7", 1.3280310344567863}, {"c6", 1.1650845367818496}, {"c10", 0.9471000637474476}}},
		{"default", search.DefaultOptions(), "tumour hypoxia and irradiated cells release vesicles", []hitPin{{"c109", 1.602287163689931}, {"c0", 0.8749085583028773}, {"c2", 0.704490789382369}, {"c4", 0.6715939464403949}, {"c23", 0.6559381106556141}}},
		{"cosine", cosine, "exosome radiotherapy", []hitPin{{"c8", 0.8255573437264464}, {"c65", 0.6789927846056167}, {"c7", 0.6511145579567206}, {"c6", 0.5736906956799853}, {"c10", 0.4672195090244642}}},
		{"cosine", cosine, "tumour hypoxia and irradiated cells release vesicles", []hitPin{{"c109", 0.8293241607655133}, {"c0", 0.4665252564006768}, {"c2", 0.369623947184333}, {"c4", 0.3566031591484201}, {"c23", 0.34959468903734253}}},
	}
	texts := demoTexts()
	for _, tt := range tests {
		ix := search.New(tt.opts)
		for i, c := range texts {
			ix.Add(search.Doc{ID: fmt.Sprintf("c%d", i), Text: c})
		}
		var got []hitPin
		for _, h := range ix.Search(tt.q, 5) {
			got = append(got, hitPin{h.ID, h.Score})
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s %q:\n got %v\nwant %v", tt.name, tt.q, got, tt.want)
		}
	}
}

// TestTopKMatchesSort checks the heap selection against sorting
// everything, ties included.
func TestTopKMatchesSort(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		n := r.IntN(60)
		cands := make([]search.Scored, n)
		for i := range cands {
			cands[i] = search.Scored{Doc: i, Score: float64(r.IntN(8))} // many ties
		}
		want := slices.Clone(cands)
		sort.SliceStable(want, func(a, b int) bool { return want[a].Score > want[b].Score })
		k := r.IntN(25)
		want = want[:min(k, n)]
		got := search.TopK(slices.Clone(cands), k)
		if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Fatalf("TopK(n=%d, k=%d) = %v, want %v", n, k, got, want)
		}
	}
}
