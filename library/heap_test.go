package library_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/vector"
)

// synthPaper is a review-sized synthetic paper (8-sentence abstract, 140
// references of pseudo-words: 148 chunks), the shape the catalogue
// bench generates.
func synthPaper(i int) *paper.Paper {
	r := rand.New(rand.NewPCG(uint64(i), 7))
	syll := strings.Fields("ba ce di fo gu ka le mi no pu ra se ti vo zu bra cre dro")
	words := func(n int) string {
		ws := make([]string, n)
		for k := range ws {
			ws[k] = syll[r.IntN(len(syll))] + syll[r.IntN(len(syll))] + syll[r.IntN(len(syll))]
		}
		return strings.Join(ws, " ")
	}
	p := &paper.Paper{ID: fmt.Sprintf("syn-%05d", i), Title: words(10), Journal: "Synthetic Journal", Year: 2020}
	var abs []string
	for range 8 {
		abs = append(abs, words(12+r.IntN(9))+".")
	}
	p.Abstract = strings.Join(abs, " ")
	p.References = make([]paper.Reference, 140)
	for k := range p.References {
		p.References[k] = paper.Reference{N: k + 1, Text: fmt.Sprintf("%s. %s. Journal of %s. %d; %d: %d-%d.",
			words(2), words(6+r.IntN(5)), words(1), 1990+r.IntN(35), 1+r.IntN(60), 1+r.IntN(500), 501+r.IntN(500))}
	}
	return p
}

func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestLoadedPaperHeap loads synthetic papers from the store, and from
// their load images, and measures the live heap each costs, against its
// raw vectors plus its text (the bound is 1.3× that) and against the
// cache's estimate (approxSize), which must be within 15 % so the byte
// limit means what it says.
func TestLoadedPaperHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 40 papers")
	}
	if raceEnabled {
		t.Skip("the race detector's own heap would be measured too")
	}
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	e := embed.NewLocal(0)
	const n = 40
	images := t.TempDir()
	writer, err := library.New(st, e, vector.NewChromem(), library.Options{CachePapers: 1, CacheBytes: 1 << 20, Images: images})
	if err != nil {
		t.Fatal(err)
	}
	var raw int64
	for i := range n {
		p := synthPaper(i)
		if err := writer.Ingest(ctx, p); err != nil {
			t.Fatal(err)
		}
		vecs, err := e.Embed(ctx, []string{"x"})
		if err != nil {
			t.Fatal(err)
		}
		raw += library.PaperTextBytes(p) + int64(4*len(vecs[0])*len(library.Chunks(p)))
	}
	// From an image a paper holds its sparse vectors until its second
	// use, and dense ones (what the bound is for) from then on.
	for _, from := range []string{"store", "image, used once", "image, used twice"} {
		o := library.Options{CachePapers: n, CacheBytes: 1 << 40}
		uses := 1
		if from != "store" {
			o.Images = images
		}
		if from == "image, used twice" {
			uses = 2
		}
		lib, err := library.New(st, e, vector.NewChromem(), o)
		if err != nil {
			t.Fatal(err)
		}
		before := liveHeap()
		for i := range n {
			for range uses {
				lp, err := lib.Acquire(ctx, synthPaper(i).ID)
				if err != nil {
					t.Fatal(err)
				}
				lp.Release()
			}
		}
		after := liveHeap()
		runtime.KeepAlive(lib)
		live := float64(after-before) / n
		est := float64(lib.CacheStats().Bytes) / n
		ratio := live / (float64(raw) / n)
		t.Logf("from the %s, per loaded paper: live heap %.0f KiB, raw vectors + text %.0f KiB (%.2f×), cache estimate %.0f KiB",
			from, live/1024, float64(raw)/n/1024, ratio, est/1024)
		if ratio > 1.3 {
			t.Errorf("from the %s, a loaded paper holds %.2f× its raw vectors and text, want at most 1.3×", from, ratio)
		}
		if d := est/live - 1; d > 0.15 || d < -0.15 {
			t.Errorf("from the %s, cache estimate %.0f KiB is %+.0f%% off the measured %.0f KiB", from, est/1024, 100*d, live/1024)
		}
	}
}

// BenchmarkColdLoad loads review-sized papers from the store one after
// another through a one-paper cache, so every Acquire is a cold load:
// "image" from the papers' load images, "catalogue" from images too but
// in random order over 300 papers through a 100-paper cache, as readers
// spread over a catalogue load them (so a load's memory is not still in
// the processor's caches from the load before), "stored" from the store's rows
// with the chunks' stored terms, "tokenize" with chunks stored without
// them (as before the stored form existed), and "vectors", the floor of
// loading from the store: reading the same chunks and vectors from the
// store alone. A load from an image leaves the vectors sparse until the
// paper's second use: "image-used-twice" loads from the image and uses
// the paper again at once, which writes them out densely.
func BenchmarkColdLoad(b *testing.B) {
	ctx := context.Background()
	e := embed.NewLocal(0)
	for _, mode := range []string{"vectors", "image", "image-used-twice", "catalogue", "stored", "tokenize"} {
		b.Run(mode, func(b *testing.B) {
			n, cache := 8, 1
			if mode == "catalogue" {
				n, cache = 300, 100
			}
			st := openStore(b, b.TempDir())
			for i := range n {
				p := synthPaper(i)
				ec, err := library.Embedded(ctx, e, p)
				if err != nil {
					b.Fatal(err)
				}
				if mode == "tokenize" {
					for k := range ec {
						ec[k].Terms = nil
					}
				}
				if err := st.PutPaper(ctx, p, e.Name(), ec); err != nil {
					b.Fatal(err)
				}
			}
			o := library.Options{CachePapers: cache, CacheBytes: 1 << 30}
			if strings.HasPrefix(mode, "image") || mode == "catalogue" {
				o.Images = b.TempDir()
			}
			lib, err := library.New(st, e, vector.NewChromem(), o)
			if err != nil {
				b.Fatal(err)
			}
			for i := range n { // the first loads write the images
				lp, err := lib.Acquire(ctx, fmt.Sprintf("syn-%05d", i))
				if err != nil {
					b.Fatal(err)
				}
				lp.Release()
			}
			i := 0
			r := rand.New(rand.NewPCG(1, 2))
			for b.Loop() {
				id := fmt.Sprintf("syn-%05d", i%n)
				i++
				if mode == "catalogue" {
					id = fmt.Sprintf("syn-%05d", r.IntN(n))
				}
				if mode == "vectors" {
					if _, _, err := st.Chunks(ctx, id); err != nil {
						b.Fatal(err)
					}
					continue
				}
				lp, err := lib.Acquire(ctx, id)
				if err != nil {
					b.Fatal(err)
				}
				if mode == "image-used-twice" {
					again, err := lib.Acquire(ctx, id)
					if err != nil || again.Vectors().Dense == nil {
						b.Fatalf("second use: %v, dense %v", err, err == nil && again.Vectors().Dense != nil)
					}
					again.Release()
				}
				lp.Release()
			}
		})
	}
}
