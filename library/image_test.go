package library_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/internal/apptest"
	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/store"
	"github.com/chatpaper/chatpaper/vector"
)

// readCounter counts the reads of a paper's rows, which a load from its
// image does without.
type readCounter struct {
	store.Store
	chunks, papers atomic.Int64
}

func (r *readCounter) Chunks(ctx context.Context, id string) ([]store.EmbeddedChunk, string, error) {
	r.chunks.Add(1)
	return r.Store.Chunks(ctx, id)
}

func (r *readCounter) Paper(ctx context.Context, id string) (*paper.Paper, error) {
	r.papers.Add(1)
	return r.Store.Paper(ctx, id)
}

// imageLibrary is newLibrary keeping load images in dir, with the local
// embedder of dim dimensions.
func imageLibrary(t *testing.T, st store.Store, dir string, dim int) *library.Library {
	t.Helper()
	o := apptest.LibraryOptions()
	o.Images = dir
	l, err := library.New(st, embed.NewLocal(dim), vector.NewChromem(), o)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// images lists the image files in dir.
func images(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if strings.HasSuffix(e.Name(), ".img") {
			out = append(out, e.Name())
		}
	}
	return out
}

// loadedForm is everything a load hands out, to compare loads.
func loadedForm(t *testing.T, lib *library.Library, id string) (p *paper.Paper, chunks []paper.Chunk, vecs [][]float32, lex []byte, hash string) {
	t.Helper()
	lp, err := lib.Acquire(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	defer lp.Release()
	lex, err = lp.Lexicon().AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	return lp.Paper(), lp.Chunks(), denseOf(lp.Vectors()), lex, lp.Hash()
}

// denseOf is v written out densely, from whichever form it is in.
func denseOf(v library.Vectors) [][]float32 {
	if v.Sparse == nil {
		return v.Dense
	}
	out := make([][]float32, v.Sparse.Len())
	for i := range out {
		out[i] = make([]float32, v.Sparse.Dim())
		idx, val := v.Sparse.Vector(i)
		for j, at := range idx {
			out[i][at] = val[j]
		}
	}
	return out
}

// TestLoadFromImage ingests papers (one with a body) through a library
// keeping images, then loads them in another library over the same
// store and image folder: no row of the papers is read, and the paper,
// chunks, vectors, lexicon and version, and so the answers, equal those
// of a library loading from the store.
func TestLoadFromImage(t *testing.T) {
	t.Parallel()
	st := openStore(t, t.TempDir())
	dir := t.TempDir()
	body := apptest.JATSPaper(t, "pntd.0002065.nxml", "pntd")
	writer := imageLibrary(t, st, dir, 256)
	for _, p := range []*paper.Paper{smallPaper("p", "alpha"), body} {
		if err := writer.Ingest(t.Context(), p); err != nil {
			t.Fatal(err)
		}
	}
	if got := images(t, dir); len(got) != 2 {
		t.Fatalf("images after two ingests: %v", got)
	}
	rc := &readCounter{Store: st}
	fromImage := imageLibrary(t, rc, dir, 256)
	fromStore := newLibrary(t, st, vector.NewChromem(), 0, 0, 0)
	for _, id := range []string{"p", body.ID} {
		p1, c1, v1, l1, h1 := loadedForm(t, fromImage, id)
		p2, c2, v2, l2, h2 := loadedForm(t, fromStore, id)
		if !reflect.DeepEqual(p1, p2) || !reflect.DeepEqual(c1, c2) || !reflect.DeepEqual(v1, v2) || !bytes.Equal(l1, l2) || h1 != h2 {
			t.Errorf("%s: the load from the image differs from the load from the store", id)
		}
	}
	if n, m := rc.chunks.Load(), rc.papers.Load(); n != 0 || m != 0 {
		t.Errorf("loads from images read %d chunk lists and %d papers from the store", n, m)
	}
	if a, b := askMarker(t, fromImage, "p"), askMarker(t, fromStore, "p"); !reflect.DeepEqual(a, b) {
		t.Errorf("answers differ:\n image %+v\n store %+v", a, b)
	}
}

// TestImageFollowsTheStore checks every way an image can be missing or
// stale: a paper stored before images existed loads from the store and
// gains one; a paper replaced by a process keeping no images (another
// replica), an image damaged on disk, and a library with another
// embedder all load from the store and answer its version; deleting a
// paper removes its image.
func TestImageFollowsTheStore(t *testing.T) {
	t.Parallel()
	st := openStore(t, t.TempDir())
	dir := t.TempDir()
	noImages := newLibrary(t, st, vector.NewChromem(), 0, 0, 0)
	if err := noImages.Ingest(t.Context(), smallPaper("p", "alpha")); err != nil {
		t.Fatal(err)
	}
	// fresh loads p through a new library (an empty cache) and returns
	// the answer and how many chunk lists it read from the store.
	fresh := func(dim int) (string, int64) {
		rc := &readCounter{Store: st}
		ans := askMarker(t, imageLibrary(t, rc, dir, dim), "p")
		return ans.Citations[0].Text, rc.chunks.Load()
	}
	check := func(what, marker string, reads int64, dim int) {
		t.Helper()
		text, n := fresh(dim)
		if !strings.Contains(text, marker) || n != reads {
			t.Errorf("%s: answered %q with %d store reads, want %q with %d", what, text, n, marker, reads)
		}
	}
	check("stored before images", "alpha", 1, 256)
	check("image written by the first load", "alpha", 0, 256)

	if err := noImages.Ingest(t.Context(), smallPaper("p", "omega")); err != nil {
		t.Fatal(err)
	}
	check("replaced elsewhere", "omega", 1, 256)
	check("image of the new version", "omega", 0, 256)

	path := filepath.Join(dir, images(t, dir)[0])
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 1 // in the meta block, which the checksum covers
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	check("damaged image", "omega", 1, 256)
	check("image rewritten", "omega", 0, 256)

	// Another embedder re-embeds from the store (and stores its vectors,
	// so the paper's version changes again).
	check("another embedder", "omega", 1, 128)
	check("the other embedder's image", "omega", 0, 128)

	if err := imageLibrary(t, st, dir, 128).Delete(t.Context(), "p"); err != nil {
		t.Fatal(err)
	}
	if got := images(t, dir); len(got) != 0 {
		t.Errorf("images after the paper was deleted: %v", got)
	}
}

// heldClock is a library clock whose first reading once armed closes
// entered and blocks until gate closes. A load reads the clock once it
// has read and decoded its image, to date its entry: holding that
// reading holds the load in flight with the image's version in hand.
type heldClock struct {
	armed         atomic.Bool
	entered, gate chan struct{}
}

func (c *heldClock) now() time.Time {
	if c.armed.CompareAndSwap(true, false) {
		close(c.entered)
		<-c.gate
	}
	return time.Now()
}

// TestIngestDuringImageLoadWins replaces a paper while a load of its
// older version from its image is in flight: the load still answers the
// reader that waited for it, but the cache and the image folder keep the
// ingested version.
func TestIngestDuringImageLoadWins(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	base := openStore(t, t.TempDir())
	dir := t.TempDir()
	if err := imageLibrary(t, base, dir, 256).Ingest(ctx, smallPaper("p", "alpha")); err != nil {
		t.Fatal(err)
	}
	held := &heldClock{entered: make(chan struct{}), gate: make(chan struct{})}
	o := apptest.LibraryOptions()
	o.Images, o.Now = dir, held.now
	lib, err := library.New(base, embed.NewLocal(256), vector.NewChromem(), o)
	if err != nil {
		t.Fatal(err)
	}
	held.armed.Store(true)
	loaded := make(chan *library.Loaded, 1)
	go func() {
		lp, err := lib.Acquire(ctx, "p")
		if err != nil {
			t.Error(err)
		}
		loaded <- lp
	}()
	<-held.entered
	within(t, "ingesting the paper being loaded", func() error { return lib.Ingest(ctx, smallPaper("p", "omega")) })
	close(held.gate)
	if lp := <-loaded; lp != nil {
		if c := lp.Chunks()[len(lp.Chunks())-12]; !strings.Contains(c.Text, "alpha") {
			t.Errorf("the raced load read %q, want the older version", c.Text)
		}
		lp.Release()
	}
	if ans := askMarker(t, lib, "p"); !strings.Contains(ans.Citations[0].Text, "omega") {
		t.Errorf("after the ingest raced a load, the cache answers %q, want the ingested version", ans.Citations[0].Text)
	}
	if ans := askMarker(t, imageLibrary(t, base, dir, 256), "p"); !strings.Contains(ans.Citations[0].Text, "omega") {
		t.Errorf("after the ingest raced a load, the image answers %q, want the ingested version", ans.Citations[0].Text)
	}
}

// TestRecycledPages loads papers of different sizes from their images
// through a one-paper cache, so each load reuses the vector pages of the
// paper it evicts: every load holds exactly its own vectors (those of a
// load from the store), none left over from the paper before, and a
// dropped paper's vectors are gone rather than another's.
func TestRecycledPages(t *testing.T) {
	t.Parallel()
	st := openStore(t, t.TempDir())
	dir := t.TempDir()
	writer := imageLibrary(t, st, dir, 256)
	sizes := map[string]int{"a": 12, "b": 3, "c": 40, "d": 7}
	for id, refs := range sizes {
		p := smallPaper(id, id+"marker")
		p.References = append([]paper.Reference(nil), paper.Demo().References[:refs]...)
		if err := writer.Ingest(t.Context(), p); err != nil {
			t.Fatal(err)
		}
	}
	o := apptest.LibraryOptions()
	o.Images, o.CachePapers = dir, 1
	lib, err := library.New(st, embed.NewLocal(256), vector.NewChromem(), o)
	if err != nil {
		t.Fatal(err)
	}
	fromStore := newLibrary(t, st, vector.NewChromem(), 0, 0, 0)
	var dropped *library.Loaded
	for _, id := range []string{"a", "b", "c", "d", "a", "c", "b", "d", "c"} {
		// The second use writes the vectors out into pages.
		first, err := lib.Acquire(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		lp, err := lib.Acquire(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		first.Release()
		_, _, want, _, _ := loadedForm(t, fromStore, id)
		if lp.Vectors().Dense == nil || !reflect.DeepEqual(lp.Vectors().Dense, want) {
			t.Errorf("%s: vectors from recycled pages differ from the stored ones", id)
		}
		lp.Release()
		if dropped != nil && dropped.Vectors().Len() != 0 {
			t.Errorf("a dropped paper still hands out vectors")
		}
		dropped = lp
	}
}
