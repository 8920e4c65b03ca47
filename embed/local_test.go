package embed

import (
	"context"
	"hash/fnv"
	"math"
	"reflect"
	"testing"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/tokenize"
)

func cosine(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func TestLocalProperties(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l := NewLocal(0)
	texts := []string{
		"Exosome-mediated transfer of mRNAs and microRNAs between cells",
		"Exosomal microRNA transfer between cells",
		"Satellite gravimetry of the Greenland ice sheet",
		"外泌体介导的细胞间通讯",
		"",
	}
	vecs, err := l.Embed(ctx, texts)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(vecs), len(texts); got != want {
		t.Fatalf("got %d vectors, want %d", got, want)
	}
	for i, v := range vecs[:4] {
		if got, want := len(v), DefaultDim; got != want {
			t.Errorf("vector %d has dim %d, want %d", i, got, want)
		}
		var n float64
		for _, x := range v {
			n += float64(x) * float64(x)
		}
		if math.Abs(n-1) > 1e-5 {
			t.Errorf("vector %d has squared norm %f, want 1", i, n)
		}
	}
	if related, unrelated := cosine(vecs[0], vecs[1]), cosine(vecs[0], vecs[2]); related <= unrelated+0.2 {
		t.Errorf("related texts cos %.3f not clearly above unrelated %.3f", related, unrelated)
	}
	again, _ := l.Embed(ctx, texts[:1])
	if !reflect.DeepEqual(again[0], vecs[0]) {
		t.Error("embedding is not deterministic")
	}
	zh, _ := l.Embed(ctx, []string{"外泌体与细胞通讯"})
	if cosine(zh[0], vecs[3]) < 0.3 {
		t.Errorf("Chinese texts sharing bigrams have cos %.3f", cosine(zh[0], vecs[3]))
	}
}

func TestLocalCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewLocal(0).Embed(ctx, []string{"a"}); err == nil {
		t.Error("Embed with a cancelled context succeeded")
	}
}

// demoTexts are the texts the demo paper is chunked into (title,
// abstract windows, references), without importing rag.
func demoTexts() []string {
	p := paper.Demo()
	texts := []string{p.Title, p.Abstract}
	for _, r := range p.References {
		texts = append(texts, r.Text)
	}
	return texts
}

// BenchmarkEmbedDemo embeds every chunk-sized text of the demo paper
// once per iteration.
func BenchmarkEmbedDemo(b *testing.B) {
	l := NewLocal(0)
	texts := demoTexts()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Embed(ctx, texts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(texts)), "texts/op")
}

// BenchmarkTokenizeDemo is the baseline for BenchmarkEmbedDemo: only the
// tokenization every embedding starts with.
func BenchmarkTokenizeDemo(b *testing.B) {
	texts := demoTexts()
	b.ReportAllocs()
	for b.Loop() {
		for _, t := range texts {
			tokenize.Scan(t)
		}
	}
}

// TestFeatureHash checks the in-place FNV-1a against hash/fnv over the
// feature strings the embedder hashes.
func TestFeatureHash(t *testing.T) {
	t.Parallel()
	want := func(s string) uint64 {
		h := fnv.New64a()
		h.Write([]byte(s))
		return h.Sum64()
	}
	for _, s := range []string{"", "exosom", "外泌", "miR-1246", "a b"} {
		if got := fnvString(fnvWord, s); got != want("w:"+s) {
			t.Errorf("word %q: %x, want %x", s, got, want("w:"+s))
		}
		if got := fnvString(fnvByte(fnvString(fnvBigram, s), ' '), "cell"); got != want("b:"+s+" cell") {
			t.Errorf("bigram %q: %x, want %x", s, got, want("b:"+s+" cell"))
		}
	}
	counts := map[uint64]float64{}
	addGrams(counts, "tumor")
	for _, g := range []string{"<tum", "tumo", "umor", "mor>"} {
		if _, ok := counts[want("g:"+g)]; !ok {
			t.Errorf("gram %q not counted", g)
		}
	}
	if len(counts) != 4 {
		t.Errorf("%d grams of tumor, want 4", len(counts))
	}
}

// TestLocalDeterministic embeds every text of the demo paper twenty
// times: each time to the same bits. Features sharing a bucket were once
// summed in float32 in the map's iteration order, and the last bit of
// most long texts' vectors then changed from one call to the next.
func TestLocalDeterministic(t *testing.T) {
	t.Parallel()
	l := NewLocal(0)
	ctx := context.Background()
	texts := demoTexts()
	want, err := l.Embed(ctx, texts)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		got, err := l.Embed(ctx, texts)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			for j := range got[i] {
				if math.Float32bits(got[i][j]) != math.Float32bits(want[i][j]) {
					t.Fatalf("text %d, element %d: %v, before %v", i, j, got[i][j], want[i][j])
				}
			}
		}
	}
}
