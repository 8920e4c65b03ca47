package sqlite

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/store"
	"github.com/chatpaper/chatpaper/store/storetest"
)

func open(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatalf("Open(%q): %v", dir, err)
	}
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, t.TempDir())
	})
}

func TestOpenCreatesDirectoryAndSetsPragmas(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "nested", "data")
	s := open(t, dir)
	defer s.Close()
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		t.Fatalf("database file: %v", err)
	}
	tests := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "2"},
		{"foreign_keys", "1"},
		{"busy_timeout", fmt.Sprint(busyTimeout.Milliseconds())},
	}
	for _, tt := range tests {
		var got string
		if err := s.db.QueryRowContext(t.Context(), "PRAGMA "+tt.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", tt.pragma, err)
		}
		if got != tt.want {
			t.Errorf("PRAGMA %s = %q, want %q", tt.pragma, got, tt.want)
		}
	}
}

func TestOpenPathNeedingEscape(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "a dir?with#odd%chars")
	s := open(t, dir)
	defer s.Close()
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		t.Fatalf("database file not where expected: %v", err)
	}
}

func TestReopen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	p := storetest.SamplePaper("he2016")
	chunks := storetest.SampleChunks(p.ID, 12, 64)
	key := store.SummaryKey{PaperID: p.ID, Lang: "en_US", Model: "m", PromptVersion: "1"}

	s := open(t, dir)
	if err := s.PutPaper(ctx, p, "local-v1", chunks); err != nil {
		t.Fatalf("PutPaper: %v", err)
	}
	if err := s.PutSummary(ctx, key, testSummary(p.ID)); err != nil {
		t.Fatalf("PutSummary: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = open(t, dir)
	defer s.Close()
	got, err := s.Paper(ctx, p.ID)
	if err != nil {
		t.Fatalf("Paper after reopen: %v", err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Errorf("Paper after reopen = %+v, want %+v", got, p)
	}
	gotChunks, embedder, err := s.Chunks(ctx, p.ID)
	if err != nil {
		t.Fatalf("Chunks after reopen: %v", err)
	}
	if got, want := embedder, "local-v1"; got != want {
		t.Errorf("embedder after reopen = %q, want %q", got, want)
	}
	if d := storetest.DiffChunks(gotChunks, chunks); d != "" {
		t.Errorf("Chunks after reopen: %s", d)
	}
	gotSum, err := s.Summary(ctx, key)
	if err != nil {
		t.Fatalf("Summary after reopen: %v", err)
	}
	if want := testSummary(p.ID); !reflect.DeepEqual(gotSum, want) {
		t.Errorf("Summary after reopen = %+v, want %+v", gotSum, want)
	}
	hash, err := s.PaperHash(ctx, p.ID)
	if err != nil {
		t.Fatalf("PaperHash: %v", err)
	}
	if got, want := hash, store.ContentHash(p); got != want {
		t.Errorf("PaperHash = %q, want %q", got, want)
	}

	// Reopening applied no migration twice.
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if got, want := n, len(migrations); got != want {
		t.Errorf("schema_migrations has %d rows, want %d", got, want)
	}
}

func testSummary(paperID string) *paper.Summary {
	return &paper.Summary{PaperID: paperID, Lang: "en_US", Summary: "kept", KeyPoints: []string{"a", "b"}, Source: "llm", Model: "m"}
}

func TestPaperHash(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t, t.TempDir())
	defer s.Close()
	if _, err := s.PaperHash(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PaperHash(missing): got %v, want store.ErrNotFound", err)
	}
	p := storetest.SamplePaper("p")
	if err := s.PutPaper(ctx, p, "e", nil); err != nil {
		t.Fatal(err)
	}
	h1, err := s.PaperHash(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(h1), 64; got != want {
		t.Errorf("len(PaperHash) = %d, want %d", got, want)
	}
	// Same content, other embedder and chunks: same hash.
	if err := s.PutPaper(ctx, storetest.SamplePaper("p"), "other", storetest.SampleChunks("p", 2, 2)); err != nil {
		t.Fatal(err)
	}
	if h2, err := s.PaperHash(ctx, "p"); err != nil || h2 != h1 {
		t.Errorf("PaperHash after re-put of same content = %q, %v; want %q", h2, err, h1)
	}
	p.Title += "!"
	if err := s.PutPaper(ctx, p, "e", nil); err != nil {
		t.Fatal(err)
	}
	if h3, err := s.PaperHash(ctx, "p"); err != nil || h3 == h1 {
		t.Errorf("PaperHash after title change = %q, %v; want a hash other than %q", h3, err, h1)
	}
}

func TestContentHash(t *testing.T) {
	t.Parallel()
	a := storetest.SamplePaper("x")
	b := storetest.SamplePaper("x")
	if got, want := store.ContentHash(a), store.ContentHash(b); got != want {
		t.Errorf("equal papers hash %q and %q", got, want)
	}
	a.References, b.References = nil, nil
	b.References = a.References[:0:0]
	if got, want := store.ContentHash(a), store.ContentHash(b); got != want {
		t.Errorf("nil and empty references hash %q and %q, want equal", got, want)
	}
	b.References = append(b.References, storetest.SamplePaper("x").References[0])
	if store.ContentHash(a) == store.ContentHash(b) {
		t.Errorf("papers with different references hash equally")
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	s := open(t, dir)
	if _, err := s.db.ExecContext(ctx,
		"INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from the future', ?)",
		len(migrations)+1, now()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err := Open(ctx, dir)
	if err == nil {
		s.Close()
		t.Fatal("Open of a database with a newer schema succeeded, want an error")
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open error = %v, want it to mention the newer schema", err)
	}
}

func TestAppendedMigrationApplied(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	s := open(t, dir)
	defer s.Close()
	if err := s.PutPaper(ctx, storetest.SamplePaper("p"), "e", nil); err != nil {
		t.Fatal(err)
	}
	extra := append(migrations[:len(migrations):len(migrations)], migration{
		version: len(migrations) + 1,
		name:    "test column",
		sql:     "ALTER TABLE papers ADD COLUMN note TEXT NOT NULL DEFAULT 'n'",
	})
	for range 2 { // the second run must be a no-op
		if err := applyMigrations(ctx, s, extra); err != nil {
			t.Fatalf("applyMigrations: %v", err)
		}
	}
	var note string
	if err := s.db.QueryRowContext(ctx, "SELECT note FROM papers WHERE id = 'p'").Scan(&note); err != nil {
		t.Fatalf("reading the new column: %v", err)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if got, want := n, len(extra); got != want {
		t.Errorf("schema_migrations has %d rows, want %d", got, want)
	}

	// A failing migration rolls back entirely.
	bad := append(extra[:len(extra):len(extra)],
		migration{version: len(extra) + 1, name: "ok", sql: "CREATE TABLE t1 (x INTEGER)"},
		migration{version: len(extra) + 2, name: "broken", sql: "THIS IS NOT SQL"},
	)
	if err := applyMigrations(ctx, s, bad); err == nil {
		t.Fatal("applyMigrations with a broken migration succeeded")
	}
	var tables int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE name = 't1'").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("table from a migration batch that failed was kept")
	}
}

// TestTwoHandlesConcurrentWrites writes through two Stores open on the same
// file, as two processes would, and expects no SQLITE_BUSY errors: the
// in-process write token does not cover this case, so busy_timeout and
// BEGIN IMMEDIATE must.
func TestTwoHandlesConcurrentWrites(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	stores := []*Store{open(t, dir), open(t, dir)}
	defer func() {
		for _, s := range stores {
			s.Close()
		}
	}()
	var wg sync.WaitGroup
	for i, s := range stores {
		for w := range 4 {
			wg.Go(func() {
				for j := range 5 {
					id := fmt.Sprintf("s%d-w%d", i, w)
					p := storetest.SamplePaper(id)
					p.Year = j
					if err := s.PutPaper(ctx, p, "e", storetest.SampleChunks(id, 3, 8)); err != nil {
						t.Errorf("PutPaper(%s): %v", id, err)
						return
					}
					if _, _, err := s.Chunks(ctx, id); err != nil {
						t.Errorf("Chunks(%s): %v", id, err)
					}
				}
			})
		}
	}
	wg.Wait()
	infos, err := stores[0].Papers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(infos), 8; got != want {
		t.Errorf("len(Papers()) = %d, want %d", got, want)
	}
}

func TestVectorEncoding(t *testing.T) {
	t.Parallel()
	if got, want := encodeVector(nil, []float32{1, -2}), []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0}; !bytes.Equal(got, want) {
		t.Errorf("encodeVector([1 -2]) = % x, want % x (little-endian float32)", got, want)
	}
	tests := []struct {
		name string
		v    []float32
	}{
		{"one", []float32{1}},
		{"specials", []float32{float32(math.Copysign(0, -1)), math.SmallestNonzeroFloat32, math.MaxFloat32,
			float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}},
		{"512 dims", storetest.SampleChunks("x", 1, 512)[0].Vector},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := encodeVector(nil, tt.v)
			if got, want := len(b), 4*len(tt.v); got != want {
				t.Fatalf("len(encodeVector) = %d, want %d", got, want)
			}
			got, err := decodeVector(nil, b)
			if err != nil {
				t.Fatalf("decodeVector: %v", err)
			}
			if got, want := len(got), len(tt.v); got != want {
				t.Fatalf("decoded %d values, want %d", got, want)
			}
			for i := range got {
				if g, w := math.Float32bits(got[i]), math.Float32bits(tt.v[i]); g != w {
					t.Errorf("value %d: got %#08x, want %#08x", i, g, w)
				}
			}
		})
	}
	if v, err := decodeVector(nil, nil); err != nil || v != nil {
		t.Errorf("decodeVector(empty) = %v, %v; want nil, nil", v, err)
	}
	if _, err := decodeVector(nil, []byte{1, 2, 3}); err == nil {
		t.Errorf("decodeVector of 3 bytes succeeded, want an error")
	}
	if vs := encodeVectors([]store.EmbeddedChunk{{}}); vs[0] == nil {
		t.Errorf("encodeVectors of an empty vector gave nil, which would be stored as NULL")
	}
}

func TestEmptyVectorStored(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t, t.TempDir())
	defer s.Close()
	chunks := storetest.SampleChunks("p", 2, 4)
	chunks[1].Vector = nil
	if err := s.PutPaper(ctx, storetest.SamplePaper("p"), "e", chunks); err != nil {
		t.Fatalf("PutPaper with an empty vector: %v", err)
	}
	got, _, err := s.Chunks(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	if d := storetest.DiffChunks(got, chunks); d != "" {
		t.Error(d)
	}
}

const helperEnv = "CHATPAPER_SQLITE_HELPER_DIR"

// TestHelperProcess is not a test: TestKillDurability runs the test binary
// again with only this test selected and helperEnv set, and this stores a
// paper, reports it and waits to be killed.
func TestHelperProcess(t *testing.T) {
	t.Parallel()
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("helper process for TestKillDurability")
	}
	s, err := Open(context.Background(), dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	p := storetest.SamplePaper("durable")
	if err := s.PutPaper(context.Background(), p, "emb-durable", storetest.SampleChunks(p.ID, 20, 128)); err != nil {
		fmt.Fprintln(os.Stderr, "put:", err)
		os.Exit(2)
	}
	fmt.Println("stored")
	time.Sleep(time.Hour) // keep the store open until killed
	os.Exit(3)
}

// TestKillDurability checks that a paper PutPaper accepted survives the
// process being killed with SIGKILL while the store is still open.
func TestKillDurability(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL is not available on windows")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()

	stored := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == "stored" {
				stored <- true
				return
			}
		}
		stored <- false
	}()
	select {
	case ok := <-stored:
		if !ok {
			cmd.Wait()
			t.Fatalf("helper exited without storing; stderr:\n%s", stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("helper did not report storing within 60s; stderr:\n%s", stderr.String())
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	killed = true
	err = cmd.Wait()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		t.Fatalf("helper wait: %v, want it killed", err)
	}
	if ws, ok := exitErr.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("helper ended with %v, want killed by SIGKILL", err)
	}

	ctx := t.Context()
	s := open(t, dir)
	defer s.Close()
	want := storetest.SamplePaper("durable")
	got, err := s.Paper(ctx, want.ID)
	if err != nil {
		t.Fatalf("Paper after kill -9: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Paper after kill -9 = %+v, want %+v", got, want)
	}
	chunks, embedder, err := s.Chunks(ctx, want.ID)
	if err != nil {
		t.Fatalf("Chunks after kill -9: %v", err)
	}
	if got, want := embedder, "emb-durable"; got != want {
		t.Errorf("embedder after kill -9 = %q, want %q", got, want)
	}
	if d := storetest.DiffChunks(chunks, storetest.SampleChunks(want.ID, 20, 128)); d != "" {
		t.Errorf("Chunks after kill -9: %s", d)
	}
}

// BenchmarkChunks measures loading a typical paper's 120 chunks with
// 512-dimensional vectors.
func BenchmarkChunks(b *testing.B) {
	ctx := b.Context()
	s := open(b, b.TempDir())
	defer s.Close()
	want := storetest.SampleChunks("bench", 120, 512)
	if err := s.PutPaper(ctx, storetest.SamplePaper("bench"), "emb", want); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		chunks, _, err := s.Chunks(ctx, "bench")
		if err != nil {
			b.Fatal(err)
		}
		if len(chunks) != len(want) {
			b.Fatalf("got %d chunks, want %d", len(chunks), len(want))
		}
	}
}

// BenchmarkPutPaper measures storing a paper with 120 chunks of
// 512-dimensional vectors, including the fsync that makes it durable.
func BenchmarkPutPaper(b *testing.B) {
	ctx := b.Context()
	s := open(b, b.TempDir())
	defer s.Close()
	p := storetest.SamplePaper("bench")
	chunks := storetest.SampleChunks("bench", 120, 512)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.PutPaper(ctx, p, "emb", chunks); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPutPapersBulk(t *testing.T) {
	t.Parallel()
	s := open(t, t.TempDir())
	defer s.Close()
	ctx := t.Context()
	var batch []BulkPaper
	for i := range 5 {
		id := fmt.Sprintf("bulk-%d", i)
		batch = append(batch, BulkPaper{Paper: storetest.SamplePaper(id), Embedder: "emb", Chunks: storetest.SampleChunks(id, i+1, 8)})
	}
	if err := s.PutPapers(ctx, batch); err != nil {
		t.Fatal(err)
	}
	for _, b := range batch {
		got, emb, err := s.Chunks(ctx, b.Paper.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d := storetest.DiffChunks(got, b.Chunks); d != "" || emb != "emb" {
			t.Errorf("%s: embedder %q, %s", b.Paper.ID, emb, d)
		}
	}
	if has, err := s.HasPapers(ctx); err != nil || !has {
		t.Errorf("HasPapers = %v, %v; want true", has, err)
	}
	// A bad paper fails the whole batch.
	bad := append([]BulkPaper{{Paper: storetest.SamplePaper("bulk-new"), Embedder: "emb"}}, BulkPaper{Paper: nil})
	if err := s.PutPapers(ctx, bad); err == nil {
		t.Error("PutPapers with a nil paper succeeded")
	}
	if _, err := s.Paper(ctx, "bulk-new"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("paper of a failed batch: err = %v, want not found", err)
	}
}

// TestSessionTurnsMigrated: sessions written before turns had their own
// rows keep their turns, in order, after the migration, and take new
// appends after them.
func TestSessionTurnsMigrated(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	old := &Store{db: db, writeSem: make(chan struct{}, 1), summaryLocks: map[store.SummaryKey]chan struct{}{}}
	if err := applyMigrations(ctx, old, migrations[:2]); err != nil {
		t.Fatal(err)
	}
	// The paper as that schema held it (today's PutPaper writes columns
	// added since).
	sp := storetest.SamplePaper("p")
	doc, err := json.Marshal(sp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO papers (id, json, title, content_hash, created_at, updated_at) VALUES ('p', ?, ?, ?, ?, ?)`,
		string(doc), sp.Title, store.ContentHash(sp), now(), now()); err != nil {
		t.Fatal(err)
	}
	for _, row := range [][2]string{
		{"s1", `{"id":"s1","paper_id":"p","turns":[{"question":"one","answer":"1","lang":"en_US"},{"question":"two","answer":"2","lang":"en_US","cited":[3]}],"updated":"2026-01-02T03:04:05Z"}`},
		{"s2", `{"id":"s2","paper_id":"p","turns":null,"updated":"2026-01-02T03:04:05Z"}`},
	} {
		if _, err := db.ExecContext(ctx, `INSERT INTO sessions (id, paper_id, json, updated_at) VALUES (?, 'p', ?, ?)`, row[0], row[1], now()); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s := open(t, dir)
	defer s.Close()
	if err := s.AppendTurn(ctx, "s1", "p", store.Turn{Question: "three"}, 0); err != nil {
		t.Fatal(err)
	}
	got, err := s.Session(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	var qs []string
	for _, tu := range got.Turns {
		qs = append(qs, tu.Question)
	}
	if want := []string{"one", "two", "three"}; !reflect.DeepEqual(qs, want) || got.Turns[1].Cited[0] != 3 {
		t.Errorf("migrated session turns %v (%+v), want %v", qs, got.Turns, want)
	}
	if got, err := s.Session(ctx, "s2"); err != nil || len(got.Turns) != 0 {
		t.Errorf("session without turns: %+v, %v", got, err)
	}
}

// TestUpgradeAddsEnrichment opens a database made before the enrichment
// tables existed: the migration adds them and keeps the stored papers.
func TestUpgradeAddsEnrichment(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := open(t, dir)
	if err := s.PutPaper(ctx, storetest.SamplePaper("old"), "e", nil); err != nil {
		t.Fatal(err)
	}
	// Roll the schema back to the version before the enrichment tables.
	var v int
	if err := s.db.QueryRowContext(ctx, "SELECT version FROM schema_migrations WHERE name = 'cited works and reference links'").Scan(&v); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"DROP TABLE catalogue_terms", "DROP INDEX papers_version", "DROP TABLE reference_links", "DROP TABLE cited_works", "ALTER TABLE papers DROP COLUMN chunks_gen", fmt.Sprintf("DELETE FROM schema_migrations WHERE version >= %d", v)} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s = open(t, dir)
	defer s.Close()
	p, err := s.Paper(ctx, "old")
	if err != nil {
		t.Fatalf("paper lost in the upgrade: %v", err)
	}
	link := paper.ReferenceLink{N: 1, RefKey: paper.RefKey(p.References[0]), DOI: "10.1109/72.279181", Match: paper.MatchDeposited}
	if err := s.PutReferenceLinks(ctx, "old", []paper.ReferenceLink{link}); err != nil {
		t.Fatalf("links after the upgrade: %v", err)
	}
	if ls, err := s.ReferenceLinks(ctx, "old"); err != nil || len(ls) != 1 {
		t.Errorf("ReferenceLinks = %v, %v", ls, err)
	}
}

// BenchmarkPutCatalogueTerms measures storing one paper's catalogue
// terms (4 KiB, a review's title and abstract) in a transaction of its
// own, as Ingest does after PutPaper, fsync included: compare with
// BenchmarkPutPaper in the same run.
func BenchmarkPutCatalogueTerms(b *testing.B) {
	ctx := b.Context()
	s := open(b, b.TempDir())
	defer s.Close()
	p := storetest.SamplePaper("bench")
	if err := s.PutPaper(ctx, p, "emb", nil); err != nil {
		b.Fatal(err)
	}
	terms := []store.CatalogueTerms{{ID: p.ID, Hash: store.ContentHash(p), Terms: bytes.Repeat([]byte("t"), 4096)}}
	for b.Loop() {
		if err := s.PutCatalogueTerms(ctx, terms); err != nil {
			b.Fatal(err)
		}
	}
}
