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

// The scores below were computed by the two BM25 implementations this
// package replaced (the per-paper lexicon of the answering engine and
// the catalogue index), on the demo paper's chunks. The one BM25 must
// give exactly the same numbers for the same inputs.

type lexPin struct {
	doc           int
	bm25, covered float64
}

var lexiconPins = map[string][]lexPin{
	"What is ExoCarta?": {{32, 4.700359132477337, 1}},
	"How does irradiation change exosome production, uptake and contents?": {
		{0, 3.3717257484073864, 0.14527915399634078}, {2, 2.094472485589265, 0.12346516073330968},
		{3, 2.189597246422375, 0.14527915399634078}, {4, 12.924138061901328, 0.7777084134908138},
		{5, 14.646887772135498, 0.7777084134908138}, {6, 3.480964278387009, 0.14527915399634078},
	},
	"哪些文献讨论了外泌体的放射治疗?": {
		{0, 0.25313612014287934, 0.05318700207238375}, {1, 4.43801104138026, 0.6149813314709559},
		{2, 1.2219037603245395, 0.3512425331011042}, {3, 0.16438648721554425, 0.05318700207238375},
		{4, 0.2759706344936774, 0.05318700207238375}, {5, 0.28885040897222486, 0.05318700207238375},
	},
	"miR-1246 in serum of cancer patients": {
		{2, 1.2517247105801723, 0.0672673149902392}, {3, 1.1520893674417125, 0.0672673149902392},
		{7, 1.039153003483179, 0.0672673149902392}, {9, 3.26169450338246, 0.2761051486753213},
		{13, 1.1320392364702538, 0.0672673149902392}, {17, 0.9252721717668201, 0.0672673149902392},
	},
}

// TestLexiconScoresPinned checks per-paper retrieval: BM25 and coverage
// of the first documents with a positive score.
func TestLexiconScoresPinned(t *testing.T) {
	t.Parallel()
	lx := search.NewLexicon(demoTexts(), search.Robertson)
	for text, want := range lexiconPins {
		q := search.ParseQuery(text, search.QueryOptions{DropFraming: true})
		var got []lexPin
		for d, s := range lx.Scores(q) {
			if s > 0 && len(got) < len(want) {
				got = append(got, lexPin{d, s, lx.Coverage(q, d)})
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
		{"bm25", search.BM25Only(), "exosome radiotherapy", []hitPin{{"c6", 2.9876267970726524}, {"c65", 2.922268916801812}, {"c8", 2.700306124792277}, {"c96", 2.69113093754429}, {"c62", 2.64922268101308}}},
		{"bm25", search.BM25Only(), "tumour hypoxia and irradiated cells release vesicles", []hitPin{{"c109", 5.281079666691054}, {"c62", 5.087546523009776}, {"c4", 5.0855112242914995}, {"c2", 4.853960175643387}, {"c3", 4.714243507232114}}},
		{"default", search.DefaultOptions(), "exosome radiotherapy", []hitPin{{"c8", 1.6886209463136144}, {"c65", 1.3959528944340776}, {"c7", 1.3274436139783767}, {"c6", 1.1729215569398437}, {"c10", 0.9474341296247617}}},
		{"default", search.DefaultOptions(), "tumour hypoxia and irradiated cells release vesicles", []hitPin{{"c109", 1.597669172414702}, {"c0", 0.873294297968871}, {"c23", 0.6974105331284217}, {"c2", 0.6720647297244152}, {"c4", 0.6711480141990612}}},
		{"cosine", cosine, "exosome radiotherapy", []hitPin{{"c8", 0.8255376972930087}, {"c65", 0.6834254709279934}, {"c7", 0.651622505029368}, {"c6", 0.5781483943222983}, {"c10", 0.46793628762437456}}},
		{"cosine", cosine, "tumour hypoxia and irradiated cells release vesicles", []hitPin{{"c109", 0.8291634805007102}, {"c0", 0.4668164543952859}, {"c23", 0.37174934133597115}, {"c4", 0.35723211315199244}, {"c2", 0.35430623896122376}}},
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
