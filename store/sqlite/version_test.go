package sqlite

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/store"
	"github.com/chatpaper/chatpaper/store/storetest"
)

// queryPlan returns the detail lines of EXPLAIN QUERY PLAN for q.
func queryPlan(t *testing.T, db *sql.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("explain %s: %v", q, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}

// TestLoadQueriesReadNoPaperRow pins the plans of the queries a cold
// load, a revalidation and an ingest's hash check make: the version and
// hash come from the covering index alone, never from the paper's row
// with its large JSON, and the links, alone or joined to the version
// (a cold load's one query), search their tables' keys without scanning
// or sorting.
func TestLoadQueriesReadNoPaperRow(t *testing.T) {
	t.Parallel()
	s := open(t, t.TempDir())
	defer s.Close()
	if err := s.PutPaper(t.Context(), storetest.SamplePaper("p"), "e", nil); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		query string
		want  []string
	}{
		{"version", versionQuery, []string{"SEARCH papers USING COVERING INDEX papers_version (id=?)"}},
		{"hash", hashQuery, []string{"SEARCH papers USING COVERING INDEX papers_version (id=?)"}},
		{"links", linksQuery, []string{
			"SEARCH l USING INDEX sqlite_autoindex_reference_links_1 (paper_id=?)",
			"SEARCH w USING INDEX sqlite_autoindex_cited_works_1 (doi=?) LEFT-JOIN",
		}},
		{"version and links", versionLinksQuery, []string{
			"COMPOUND QUERY",
			"LEFT-MOST SUBQUERY",
			"SEARCH papers USING COVERING INDEX papers_version (id=?)",
			"UNION ALL",
			"SEARCH l USING INDEX sqlite_autoindex_reference_links_1 (paper_id=?)",
			"SEARCH w USING INDEX sqlite_autoindex_cited_works_1 (doi=?) LEFT-JOIN",
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			plan := queryPlan(t, s.db, tt.query, "p")
			if strings.Join(plan, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("plan of %s:\n%s\nwant\n%s", tt.query, strings.Join(plan, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestUpgradeToVersionIndex opens a database at the schema before the
// version index, holding a paper whose chunks were replaced and whose
// catalogue terms are stored: the upgrade keeps its version, hash and
// terms and replaces the older (id, content_hash) index.
func TestUpgradeToVersionIndex(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	db, err := sql.Open("sqlite", dsn(filepath.Join(dir, FileName)))
	if err != nil {
		t.Fatal(err)
	}
	old := &Store{db: db, writeSem: make(chan struct{}, 1), summaryLocks: map[store.SummaryKey]chan struct{}{}}
	if err := applyMigrations(ctx, old, migrations[:7]); err != nil {
		t.Fatal(err)
	}
	p := storetest.SamplePaper("p")
	hash := store.ContentHash(p)
	if err := old.PutPaper(ctx, p, "e", nil); err != nil {
		t.Fatal(err)
	}
	if err := old.ReplaceChunks(ctx, p.ID, hash, "e", storetest.SampleChunks(p.ID, 3, 4)); err != nil {
		t.Fatal(err)
	}
	if err := old.PutCatalogueTerms(ctx, []store.CatalogueTerms{{ID: p.ID, Hash: hash, Terms: []byte("terms")}}); err != nil {
		t.Fatal(err)
	}
	var gen int
	if err := db.QueryRowContext(ctx, "SELECT chunks_gen FROM papers WHERE id = 'p'").Scan(&gen); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s := open(t, dir)
	defer s.Close()
	if got, want := mustVersion(t, s, p.ID), fmt.Sprintf("%s/%d", hash, gen); got != want || gen == 0 {
		t.Errorf("PaperVersion after the upgrade = %q, want %q (chunks_gen %d)", got, want, gen)
	}
	if got, err := s.PaperHash(ctx, p.ID); err != nil || got != hash {
		t.Errorf("PaperHash after the upgrade = %q, %v; want %q", got, err, hash)
	}
	abs, err := s.Abstracts(ctx)
	if err != nil || len(abs) != 1 || string(abs[0].Terms) != "terms" {
		t.Errorf("Abstracts after the upgrade = %+v, %v; want the stored terms", abs, err)
	}
	var indexes []string
	rows, err := s.db.QueryContext(ctx, "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'papers' AND sql IS NOT NULL ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		indexes = append(indexes, name)
	}
	if got := strings.Join(indexes, ","); got != "papers_version" {
		t.Errorf("indexes on papers after the upgrade: %s, want papers_version", got)
	}
}

func mustVersion(t *testing.T, s *Store, id string) string {
	t.Helper()
	v, err := s.PaperVersion(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// reviewPaper returns paper i of a synthetic catalogue, the same every
// time: a title, three authors, an eight-sentence abstract and 140
// references, the shape of the papers the catalogue bench generates, so
// its stored JSON (~20 KB) spills over many overflow pages as a real
// review's does.
func reviewPaper(i int) *paper.Paper {
	r := rand.New(rand.NewPCG(uint64(i), 13))
	words := func(n int) string {
		ws := make([]string, n)
		for k := range ws {
			b := make([]byte, 3+r.IntN(8))
			for j := range b {
				b[j] = byte('a' + r.IntN(26))
			}
			ws[k] = string(b)
		}
		return strings.Join(ws, " ")
	}
	p := &paper.Paper{
		ID:      fmt.Sprintf("rev-%05d", i),
		Title:   words(10),
		Authors: []string{words(2), words(2), words(2)},
		Journal: "Synthetic Journal of Scale",
		Year:    2000 + i%25,
		DOI:     fmt.Sprintf("10.5555/rev.%d", i),
	}
	var abs strings.Builder
	for range 8 {
		abs.WriteString(words(12+r.IntN(9)) + ". ")
	}
	p.Abstract = strings.TrimSpace(abs.String())
	p.References = make([]paper.Reference, 140)
	for k := range p.References {
		p.References[k] = paper.Reference{N: k + 1, Text: fmt.Sprintf("%s, %s. %s. Journal of %s. %d; %d: %d-%d.",
			words(1), words(1), words(6+r.IntN(5)), words(1), 1990+r.IntN(35), 1+r.IntN(60), 1+r.IntN(500), 501+r.IntN(500))}
	}
	return p
}

// reviewCatalogue stores n papers from reviewPaper in batches of 100,
// as the catalogue generator does, then stores every tenth one again,
// so those papers' pages are read from the write-ahead log. It returns
// the ids in a shuffled order, so reads do not walk the file in order.
func reviewCatalogue(b *testing.B, s *Store, n int) []string {
	b.Helper()
	ctx := b.Context()
	ids := make([]string, n)
	var batch []BulkPaper
	for i := range n {
		p := reviewPaper(i)
		ids[i] = p.ID
		batch = append(batch, BulkPaper{Paper: p, Embedder: "emb"})
		if len(batch) == 100 || i == n-1 {
			if err := s.PutPapers(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	for i := 0; i < n; i += 10 {
		if err := s.PutPaper(ctx, reviewPaper(i), "emb", nil); err != nil {
			b.Fatal(err)
		}
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(n, func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	return ids
}

// BenchmarkPaperVersion measures the version query every cold load
// makes, over a catalogue of 400 review-sized papers (8 MB of rows,
// more than SQLite's page cache holds). "store" is Store.PaperVersion;
// "row" is the same method reading the columns from the paper's row
// through the primary key, as the query would without the covering
// index; "floor" reads only the id from the primary key's index, the
// cheapest lookup of one row the driver allows. Compare them in one run.
func BenchmarkPaperVersion(b *testing.B) {
	s := open(b, b.TempDir())
	defer s.Close()
	ids := reviewCatalogue(b, s, 400)
	ctx := b.Context()
	stmts := map[string]string{
		"row":   `SELECT content_hash, chunks_gen FROM papers INDEXED BY sqlite_autoindex_papers_1 WHERE id = ?`,
		"floor": `SELECT id, 0 FROM papers INDEXED BY sqlite_autoindex_papers_1 WHERE id = ?`,
	}
	want, err := s.PaperVersion(ctx, ids[0])
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"store", "row", "floor"} {
		b.Run(name, func(b *testing.B) {
			if q, ok := stmts[name]; ok {
				st, err := s.db.PrepareContext(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				orig := s.versionStmt
				s.versionStmt = st
				defer func(st *sql.Stmt) { s.versionStmt = orig; st.Close() }(st)
			}
			if got, err := s.PaperVersion(ctx, ids[0]); err != nil || (name != "floor" && got != want) {
				b.Fatalf("PaperVersion = %q, %v; want %q", got, err, want)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := s.PaperVersion(ctx, ids[i%len(ids)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkReferenceLinks measures the links query every cold load
// makes, for a paper without links (the usual case) and for one with
// 40 links of which 20 have cached works, over the catalogue of
// BenchmarkPaperVersion: compare "none" with BenchmarkPaperVersion/floor
// in the same run.
func BenchmarkReferenceLinks(b *testing.B) {
	s := open(b, b.TempDir())
	defer s.Close()
	ctx := b.Context()
	linked, unlinked := linkedCatalogue(b, s)
	for _, tc := range []struct {
		name  string
		ids   []string
		links int
	}{{"none", unlinked, 0}, {"40", []string{linked}, 40}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				ls, err := s.ReferenceLinks(ctx, tc.ids[i%len(tc.ids)])
				if err != nil {
					b.Fatal(err)
				}
				if len(ls) != tc.links {
					b.Fatalf("%s: %d links, want %d", tc.ids[i%len(tc.ids)], len(ls), tc.links)
				}
				i++
			}
		})
	}
}

// linkedCatalogue stores the catalogue of reviewCatalogue with 40 links
// on one paper, 20 of them to cached works, and returns that paper's id
// and the others' ids.
func linkedCatalogue(b *testing.B, s *Store) (linked string, unlinked []string) {
	b.Helper()
	ctx := b.Context()
	ids := reviewCatalogue(b, s, 400)
	linked = ids[len(ids)/2]
	var links []paper.ReferenceLink
	for n := 1; n <= 40; n++ {
		l := paper.ReferenceLink{N: n, RefKey: fmt.Sprintf("key-%d", n), Match: paper.MatchNone}
		if n%2 == 0 {
			l.DOI, l.Match, l.Score = fmt.Sprintf("10.5555/cited.%d", n), paper.MatchQuery, 0.97
			if err := s.PutCitedWork(ctx, &paper.CitedWork{DOI: l.DOI, Title: "A cited work", Abstract: "What the cited work found."}); err != nil {
				b.Fatal(err)
			}
		}
		links = append(links, l)
	}
	if err := s.PutReferenceLinks(ctx, linked, links); err != nil {
		b.Fatal(err)
	}
	return linked, append(ids[:len(ids)/2:len(ids)/2], ids[len(ids)/2+1:]...)
}

// BenchmarkVersionAndLinks measures what a cold load reads before its
// image, over the catalogue of BenchmarkReferenceLinks, for papers
// without links ("none", the usual case) and for the paper with 40:
// "apart" is PaperVersion then ReferenceLinks, two queries, as a load
// made them; "one" is PaperVersionAndLinks, both from one query. Compare
// them in one run.
func BenchmarkVersionAndLinks(b *testing.B) {
	s := open(b, b.TempDir())
	defer s.Close()
	ctx := b.Context()
	linked, unlinked := linkedCatalogue(b, s)
	reads := map[string]func(id string) (string, []paper.ReferenceLink, error){
		"apart": func(id string) (string, []paper.ReferenceLink, error) {
			v, err := s.PaperVersion(ctx, id)
			if err != nil {
				return "", nil, err
			}
			ls, err := s.ReferenceLinks(ctx, id)
			return v, ls, err
		},
		"one": func(id string) (string, []paper.ReferenceLink, error) { return s.PaperVersionAndLinks(ctx, id) },
	}
	for _, tc := range []struct {
		name  string
		ids   []string
		links int
	}{{"none", unlinked, 0}, {"40", []string{linked}, 40}} {
		for _, how := range []string{"apart", "one"} {
			b.Run(tc.name+"/"+how, func(b *testing.B) {
				read := reads[how]
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					id := tc.ids[i%len(tc.ids)]
					v, ls, err := read(id)
					if err != nil || v == "" || len(ls) != tc.links {
						b.Fatalf("%s: version %q, %d links, %v; want a version and %d links", id, v, len(ls), err, tc.links)
					}
					i++
				}
			})
		}
	}
}
