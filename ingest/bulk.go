package ingest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/store"
)

// Ingester stores and indexes a paper (library.Library does).
type Ingester interface {
	Ingest(ctx context.Context, p *paper.Paper) error
}

// Item is one input: a file on disk (Path) or bytes in memory (Data).
type Item struct {
	// Name identifies the item in results: the path or upload file name.
	Name string
	// Path is read when Data is nil, by the worker, so that a large
	// folder is never all in memory.
	Path string
	Data []byte
	// ContentType is the media type, if known; empty means sniff.
	ContentType string
	// ID names the paper; empty takes the id the source gives, then the
	// file name without its extension.
	ID string
}

// Statuses of a Result.
const (
	StatusIngested  = "ingested"
	StatusUnchanged = "unchanged"
	StatusFailed    = "failed"
)

// Result is the outcome for one item.
type Result struct {
	Name       string `json:"name"`
	ID         string `json:"id,omitempty"`
	Format     string `json:"format,omitempty"`
	Status     string `json:"status"`
	References int    `json:"references,omitempty"`
	// Passages counts the body passages and captions the paper is
	// retrieved by; 0 for a paper without a body.
	Passages int `json:"passages,omitempty"`
	// Err is why the item failed; nil unless Status is StatusFailed.
	Err error `json:"-"`
}

// Options tune Run.
type Options struct {
	// Workers bounds how many items are parsed and embedded at once;
	// zero or less means GOMAXPROCS.
	Workers int
	// Hashes, when set, lets Run skip papers whose stored content hash
	// (store.Store.PaperHash) equals the parsed paper's.
	Hashes store.Store
	// Progress, when set, is called after each item with the number done
	// so far and that item's result, from one goroutine at a time.
	Progress func(done int, r Result)
	// DryRun parses and checks without storing anything (statuses are
	// "ingested" for what would be stored).
	DryRun bool
}

// Run ingests items with bounded parallelism and returns one result per
// item in input order. A failing item does not stop the others; only
// cancelling ctx does, and then the items not yet started fail with the
// context's error.
func Run(ctx context.Context, items []Item, ing Ingester, opt Options) []Result {
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, max(len(items), 1))
	results := make([]Result, len(items))
	jobs := make(chan int)
	done := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results[i] = one(ctx, items[i], ing, opt)
				done <- i
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range items {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(done)
	}()
	n := 0
	for i := range done {
		n++
		if opt.Progress != nil {
			opt.Progress(n, results[i])
		}
	}
	// Items never handed to a worker because ctx ended.
	for i := range results {
		if results[i].Status == "" {
			results[i] = Result{Name: items[i].Name, Status: StatusFailed, Err: fmt.Errorf("not started: %w", ctx.Err())}
			n++
			if opt.Progress != nil {
				opt.Progress(n, results[i])
			}
		}
	}
	return results
}

func one(ctx context.Context, it Item, ing Ingester, opt Options) Result {
	r := Result{Name: it.Name}
	fail := func(err error) Result {
		r.Status, r.Err = StatusFailed, err
		return r
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	data := it.Data
	if data == nil {
		var err error
		if data, err = readFile(it.Path); err != nil {
			return fail(err)
		}
	}
	p, format, err := Parse(data, it.ContentType, it.ID, FallbackID(it.Name))
	r.Format = format
	if err != nil {
		return fail(err)
	}
	r.ID, r.References = p.ID, len(p.References)
	r.Passages = len(paper.BodyPassages(p, library.WindowSentences))
	if opt.Hashes != nil {
		stored, err := opt.Hashes.PaperHash(ctx, p.ID)
		switch {
		case err == nil && stored == store.ContentHash(p):
			r.Status = StatusUnchanged
			return r
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return fail(fmt.Errorf("check stored paper: %w", err))
		}
	}
	if !opt.DryRun {
		if err := ing.Ingest(ctx, p); err != nil {
			return fail(err)
		}
	}
	r.Status = StatusIngested
	return r
}

// MaxFileBytes bounds one input file; article PDFs with figures are
// rarely over 50 MB.
const MaxFileBytes = 64 << 20

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > MaxFileBytes {
		return nil, fmt.Errorf("%d bytes is over the %d MiB limit", st.Size(), MaxFileBytes>>20)
	}
	return os.ReadFile(path)
}

// FallbackID makes a paper id from a file name: the base name without
// extensions such as ".json", ".page.txt" or ".nxml", with characters an
// id cannot hold replaced by "_".
func FallbackID(name string) string {
	base := filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	for {
		ext := strings.ToLower(filepath.Ext(base))
		if _, ok := extensions[ext]; !ok && ext != ".page" {
			break
		}
		base = strings.TrimSuffix(base, filepath.Ext(base))
	}
	var b strings.Builder
	for _, r := range base {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	id := strings.Trim(b.String(), "._-")
	if len(id) > 128 {
		id = id[:128]
	}
	return id
}

// extensions are the file names Walk picks up inside folders.
var extensions = map[string]bool{
	".json": true, ".xml": true, ".nxml": true, ".jats": true, ".pdf": true, ".txt": true,
}

// Walk expands paths into items: files as given, folders recursively to
// the files in them with a known extension (.json, .xml, .nxml, .jats,
// .pdf, .txt), skipping hidden files and folders, in lexical order.
func Walk(paths []string) ([]Item, error) {
	var items []Item
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			items = append(items, Item{Name: p, Path: p})
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if path != p && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.IsDir() && extensions[strings.ToLower(filepath.Ext(path))] {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(found)
		for _, f := range found {
			items = append(items, Item{Name: f, Path: f})
		}
	}
	return items, nil
}

// Counts tallies results by status.
func Counts(rs []Result) (ingested, unchanged, failed int) {
	for _, r := range rs {
		switch r.Status {
		case StatusIngested:
			ingested++
		case StatusUnchanged:
			unchanged++
		default:
			failed++
		}
	}
	return
}
