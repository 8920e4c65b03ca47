package library_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/internal/testbuf"

	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/internal/apptest"
	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/store"
	"github.com/chatpaper/chatpaper/vector"
)

// loadReads counts the version and link reads of a store and fails
// them with the errors set.
type loadReads struct {
	store.Store
	bothErr, versionErr, linksErr error
	both, versions, links         atomic.Int64
}

func (r *loadReads) PaperVersionAndLinks(ctx context.Context, id string) (string, []paper.ReferenceLink, error) {
	r.both.Add(1)
	if r.bothErr != nil {
		return "", nil, r.bothErr
	}
	return r.Store.PaperVersionAndLinks(ctx, id)
}

func (r *loadReads) PaperVersion(ctx context.Context, id string) (string, error) {
	r.versions.Add(1)
	if r.versionErr != nil {
		return "", r.versionErr
	}
	return r.Store.PaperVersion(ctx, id)
}

func (r *loadReads) ReferenceLinks(ctx context.Context, id string) ([]paper.ReferenceLink, error) {
	r.links.Add(1)
	if r.linksErr != nil {
		return nil, r.linksErr
	}
	return r.Store.ReferenceLinks(ctx, id)
}

// TestColdLoadReadsVersionAndLinksOnce loads a paper with a linked
// reference, from its load image and from the store's rows: each cold
// load reads the version and the links with one store call and serves
// the paper enriched. When that call fails for another reason than a
// missing paper, the load reads the two apart: unreadable links leave
// the paper served without enrichment (with a warning), an unreadable
// version fails the load. A missing paper is not found, without a
// second read.
func TestColdLoadReadsVersionAndLinksOnce(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	base := openStore(t, t.TempDir())
	dir := t.TempDir()
	p := smallPaper("p", "alpha")
	if err := imageLibrary(t, base, dir, 256).Ingest(ctx, p); err != nil {
		t.Fatal(err)
	}
	w := &paper.CitedWork{DOI: "10.5555/cited.1", Title: "A cited work", Abstract: "What it found.", Fetched: time.Now()}
	if err := base.PutCitedWork(ctx, w); err != nil {
		t.Fatal(err)
	}
	r1 := p.References[0]
	if err := base.PutReferenceLinks(ctx, "p", []paper.ReferenceLink{{N: r1.N, RefKey: paper.RefKey(r1), DOI: w.DOI, Match: paper.MatchQuery, Score: 0.99}}); err != nil {
		t.Fatal(err)
	}
	broken := errors.New("disk on fire")
	for _, tt := range []struct {
		name                          string
		images                        bool
		id                            string
		bothErr, versionErr, linksErr error
		wantErr                       error // nil: loads
		enriched                      bool
		both, versions, links         int64
		warning                       string
	}{
		{name: "image", images: true, id: "p", enriched: true, both: 1},
		{name: "store rows", id: "p", enriched: true, both: 1},
		{name: "links unreadable", images: true, id: "p", bothErr: broken, linksErr: broken,
			both: 1, versions: 1, links: 1, warning: "serving the paper without enrichment"},
		{name: "both read apart", images: true, id: "p", bothErr: broken, enriched: true, both: 1, versions: 1, links: 1},
		{name: "version unreadable", images: true, id: "p", bothErr: broken, versionErr: broken, wantErr: broken, both: 1, versions: 1},
		{name: "missing paper", images: true, id: "absent", wantErr: store.ErrNotFound, both: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := &loadReads{Store: base, bothErr: tt.bothErr, versionErr: tt.versionErr, linksErr: tt.linksErr}
			var log testbuf.Buffer
			o := apptest.LibraryOptions()
			o.Log = slog.New(slog.NewTextHandler(&log, nil))
			if tt.images {
				o.Images = dir
			}
			lib, err := library.New(st, embed.NewLocal(256), vector.NewChromem(), o)
			if err != nil {
				t.Fatal(err)
			}
			lp, err := lib.Acquire(ctx, tt.id)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("Acquire: %v, want an error wrapping %v", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			} else {
				r, _ := lp.Paper().Reference(r1.N)
				if got := r.Cited != nil && r.Cited.Title == w.Title; got != tt.enriched {
					t.Errorf("reference %d cited %+v, want enriched %v", r1.N, r.Cited, tt.enriched)
				}
				lp.Release()
			}
			if got := [3]int64{st.both.Load(), st.versions.Load(), st.links.Load()}; got != [3]int64{tt.both, tt.versions, tt.links} {
				t.Errorf("reads (version and links, version, links) = %v, want %v", got, [3]int64{tt.both, tt.versions, tt.links})
			}
			if logged := log.String(); tt.warning != "" && !strings.Contains(logged, tt.warning) || tt.warning == "" && logged != "" {
				t.Errorf("log %q, want the warning %q", logged, tt.warning)
			}
		})
	}
}
