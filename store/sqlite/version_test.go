package sqlite

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/paper"
)

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
	ids := reviewCatalogue(b, s, 400)
	ctx := b.Context()
	linked := ids[len(ids)/2]
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
	unlinked := append(ids[:len(ids)/2:len(ids)/2], ids[len(ids)/2+1:]...)
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
