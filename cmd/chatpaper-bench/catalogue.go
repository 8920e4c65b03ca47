package main

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/store"
	"github.com/chatpaper/chatpaper/store/sqlite"
	"github.com/chatpaper/chatpaper/vector"
)

// synthRefs is the reference count of a synthetic paper: with the title
// and the abstract windows it makes about 150 chunks, a long review's
// worth.
const synthRefs = 140

// synthVocab is a deterministic vocabulary of pronounceable pseudo-words,
// so synthetic papers tokenize and stem like text without resembling
// any real paper.
var synthVocab = sync.OnceValue(func() []string {
	r := rand.New(rand.NewPCG(1, 2))
	onsets := strings.Fields("b c d f g h k l m n p r s t v z br cr dr gr pl st tr sp ch sh")
	vowels := strings.Fields("a e i o u ai ea io ou")
	codas := strings.Fields("n r s l m x nd st rk ll")
	seen := make(map[string]bool)
	var words []string
	for len(words) < 6000 {
		var b strings.Builder
		for range 2 + r.IntN(2) {
			b.WriteString(onsets[r.IntN(len(onsets))])
			b.WriteString(vowels[r.IntN(len(vowels))])
		}
		b.WriteString(codas[r.IntN(len(codas))])
		if w := b.String(); !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	return words
})

func synthWords(r *rand.Rand, n int) string {
	v := synthVocab()
	ws := make([]string, n)
	for i := range ws {
		ws[i] = v[r.IntN(len(v))]
	}
	return strings.Join(ws, " ")
}

func synthID(i int) string { return fmt.Sprintf("syn-%05d", i) }

// synthPaper returns synthetic paper i, the same every time.
func synthPaper(i int) *paper.Paper {
	r := rand.New(rand.NewPCG(uint64(i), 7))
	title := synthWords(r, 10)
	p := &paper.Paper{
		ID:      synthID(i),
		Title:   strings.ToUpper(title[:1]) + title[1:],
		Authors: []string{synthWords(r, 2), synthWords(r, 2), synthWords(r, 2)},
		Journal: "Synthetic Journal of Scale",
		Year:    2000 + i%25,
		DOI:     fmt.Sprintf("10.5555/syn.%d", i),
	}
	var abs strings.Builder
	for range 8 {
		s := synthWords(r, 12+r.IntN(9))
		abs.WriteString(strings.ToUpper(s[:1]) + s[1:] + ". ")
	}
	p.Abstract = strings.TrimSpace(abs.String())
	p.References = make([]paper.Reference, synthRefs)
	for k := range p.References {
		p.References[k] = paper.Reference{
			N: k + 1,
			Text: fmt.Sprintf("%s, %s. %s. Journal of %s. %d; %d: %d-%d.",
				synthWords(r, 1), synthWords(r, 1), synthWords(r, 6+r.IntN(5)), synthWords(r, 1),
				1990+r.IntN(35), 1+r.IntN(60), 1+r.IntN(500), 501+r.IntN(500)),
		}
	}
	return p
}

// synthQuestion asks about one reference of synthetic paper i by three
// words of its title, so it is answerable and cites that reference.
func synthQuestion(p *paper.Paper, r *rand.Rand) (q string, ref int) {
	ref = 1 + r.IntN(len(p.References))
	parts := strings.Split(p.References[ref-1].Text, ". ")
	words := strings.Fields(parts[1])
	return "Which reference studies " + strings.Join(words[:3], " ") + "?", ref
}

// catalogueGen is the outcome of generating a catalogue.
type catalogueGen struct {
	Papers  int
	Chunks  int
	Elapsed time.Duration
	Embed   time.Duration // summed over workers
}

// generateCatalogue writes n synthetic papers, chunked and embedded with
// the local embedder of dim dimensions, into the SQLite store in dir:
// workers embed in parallel and one writer stores batches of 100 papers
// per transaction.
func generateCatalogue(ctx context.Context, dir string, n, dim int, progress func(done int)) (catalogueGen, error) {
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		return catalogueGen{}, err
	}
	defer st.Close()
	emb := embed.NewLocal(dim)
	type item struct {
		b     sqlite.BulkPaper
		terms store.CatalogueTerms
		err   error
	}
	jobs := make(chan int)
	items := make(chan item, 64)
	var embedNanos sync.Map
	var wg sync.WaitGroup
	t0 := time.Now()
	for w := range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			var spent time.Duration
			defer func() { embedNanos.Store(w, spent) }()
			for i := range jobs {
				p := synthPaper(i)
				te := time.Now()
				// As Ingest stores them: vectors and the chunks' terms.
				ec, err := library.Embedded(ctx, emb, p)
				spent += time.Since(te)
				terms := store.CatalogueTerms{ID: p.ID, Hash: store.ContentHash(p), Terms: library.CatalogueTerms(p)}
				items <- item{sqlite.BulkPaper{Paper: p, Embedder: emb.Name(), Chunks: ec}, terms, err}
			}
		})
	}
	go func() {
		defer close(jobs)
		for i := range n {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(items) }()

	res := catalogueGen{}
	var batch []sqlite.BulkPaper
	var terms []store.CatalogueTerms
	var firstErr error
	flush := func() {
		if len(batch) == 0 || firstErr != nil {
			batch, terms = batch[:0], terms[:0]
			return
		}
		// As Ingest stores them: the papers, then their catalogue terms.
		if err := st.PutPapers(ctx, batch); err != nil {
			firstErr = err
		} else if err := st.PutCatalogueTerms(ctx, terms); err != nil {
			firstErr = err
		}
		res.Papers += len(batch)
		for _, b := range batch {
			res.Chunks += len(b.Chunks)
		}
		if progress != nil {
			progress(res.Papers)
		}
		batch, terms = batch[:0], terms[:0]
	}
	for it := range items {
		if it.err != nil && firstErr == nil {
			firstErr = it.err
		}
		batch = append(batch, it.b)
		terms = append(terms, it.terms)
		if len(batch) == 100 {
			flush()
		}
	}
	flush()
	res.Elapsed = time.Since(t0)
	embedNanos.Range(func(_, v any) bool { res.Embed += v.(time.Duration); return true })
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return res, firstErr
}

// writeImages writes the load image of each of the n synthetic papers in
// the catalogue in dir, as ingesting them would have (the bulk writes of
// generateCatalogue write none): each is loaded once from the store,
// which writes its image, workers at a time. A catalogue so generated
// loads like an ingested one from its first run on.
func writeImages(ctx context.Context, dir string, n, dim, workers int) error {
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		return err
	}
	defer st.Close()
	lib, err := library.New(st, embed.NewLocal(dim), vector.NewChromem(), library.Options{
		CachePapers: workers, CacheBytes: 1 << 30, Images: filepath.Join(dir, library.ImagesFolder),
	})
	if err != nil {
		return err
	}
	ids := make(chan string)
	errs := make(chan error, workers)
	for range workers {
		go func() {
			var first error
			for id := range ids {
				lp, err := lib.Acquire(ctx, id)
				if err != nil {
					first = cmp.Or(first, err)
					continue
				}
				lp.Release()
			}
			errs <- first
		}()
	}
	for i := range n {
		select {
		case ids <- synthID(i):
		case <-ctx.Done():
		}
	}
	close(ids)
	for range workers {
		err = cmp.Or(err, <-errs)
	}
	return cmp.Or(err, ctx.Err())
}
