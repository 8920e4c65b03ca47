package eval

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/search"
)

// BEIR is a BEIR-format retrieval set: a corpus, the queries that have
// judgements, and graded relevance per query and document.
type BEIR struct {
	Corpus  []search.Doc
	Queries []BEIRQuery
	// Qrels maps query id → document id → relevance grade (> 0).
	Qrels map[string]map[string]int
}

// BEIRQuery is one query.
type BEIRQuery struct {
	ID   string `json:"_id"`
	Text string `json:"text"`
}

// LoadBEIR reads dir/corpus.jsonl, dir/queries.jsonl and
// dir/qrels/test.tsv, keeping the queries that have test judgements.
func LoadBEIR(dir string) (*BEIR, error) {
	b := &BEIR{Qrels: map[string]map[string]int{}}
	if err := readQrels(filepath.Join(dir, "qrels", "test.tsv"), b.Qrels); err != nil {
		return nil, err
	}
	err := readJSONL(filepath.Join(dir, "corpus.jsonl"), func(line []byte) error {
		var d struct {
			ID    string `json:"_id"`
			Title string `json:"title"`
			Text  string `json:"text"`
		}
		if err := json.Unmarshal(line, &d); err != nil {
			return err
		}
		b.Corpus = append(b.Corpus, search.Doc{ID: d.ID, Title: d.Title, Text: d.Text})
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = readJSONL(filepath.Join(dir, "queries.jsonl"), func(line []byte) error {
		var q BEIRQuery
		if err := json.Unmarshal(line, &q); err != nil {
			return err
		}
		if _, ok := b.Qrels[q.ID]; ok {
			b.Queries = append(b.Queries, q)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(b.Corpus) == 0 || len(b.Queries) == 0 {
		return nil, fmt.Errorf("beir %s: %d documents and %d judged queries, want some of each", dir, len(b.Corpus), len(b.Queries))
	}
	return b, nil
}

func readJSONL(path string, fn func([]byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("beir: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if err := fn(b); err != nil {
			return fmt.Errorf("%s line %d: %w", path, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}

func readQrels(path string, into map[string]map[string]int) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("beir: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		fs := strings.Split(strings.TrimSpace(sc.Text()), "\t")
		if len(fs) != 3 || (line == 1 && fs[0] == "query-id") {
			continue
		}
		g, err := strconv.Atoi(fs[2])
		if err != nil {
			return fmt.Errorf("%s line %d: score %q: %w", path, line, fs[2], err)
		}
		if g <= 0 {
			continue
		}
		if into[fs[0]] == nil {
			into[fs[0]] = map[string]int{}
		}
		into[fs[0]][fs[1]] = g
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}

// RetrievalRow is the score of one ranking configuration.
type RetrievalRow struct {
	Name    string         `json:"name"`
	Options search.Options `json:"options"`
	// EmbedWeight is Config.EmbedWeight.
	EmbedWeight float64 `json:"embed_weight,omitempty"`
	Queries     int     `json:"queries"`
	NDCG10      float64 `json:"ndcg_at_10"`
	Recall100   float64 `json:"recall_at_100"`
	// IndexTime is the time to index the corpus and QueryTime the mean
	// time of one query.
	IndexTime time.Duration `json:"index_ns"`
	QueryTime time.Duration `json:"query_mean_ns"`
}

// RetrievalReport is the result of a BEIR run.
type RetrievalReport struct {
	Dataset   string         `json:"dataset"`
	Documents int            `json:"documents"`
	Rows      []RetrievalRow `json:"rows"`
}

// Config names one ranking configuration.
type Config struct {
	Name    string
	Options search.Options
	// EmbedWeight, when positive, rescores the top 100 hits by fusing the
	// max-normalised index score with the local embedder's cosine (the
	// per-paper retrieval's vector side) at this weight.
	EmbedWeight float64
}

// BEIRConfigs are the configurations `chatpaper eval --beir` reports:
// the BM25-only baseline first, then each addition alone, then the
// default.
func BEIRConfigs() []Config {
	def := search.DefaultOptions()
	tuned := search.BM25Only()
	tuned.K1, tuned.B = def.K1, def.B
	pairs := tuned
	pairs.BigramWeight = def.BigramWeight
	rm3 := tuned
	rm3.FeedbackDocs, rm3.FeedbackTerms, rm3.OrigWeight = def.FeedbackDocs, def.FeedbackTerms, def.OrigWeight
	cosine := def
	cosine.VectorWeight = 0.2
	return []Config{
		{"bm25 (baseline)", search.BM25Only(), 0},
		{"bm25 k1=1.2 b=0.75", tuned, 0},
		{"+ term pairs", pairs, 0},
		{"+ rm3", rm3, 0},
		{"default: pairs+rm3", def, 0},
		{"default + tfidf cosine 0.2", cosine, 0},
		{"default + local embedder cosine 0.2 (top 100)", def, 0.2},
	}
}

// RunBEIR indexes the corpus once per configuration and scores every
// judged query.
func RunBEIR(b *BEIR, name string, cfgs []Config) *RetrievalReport {
	rep := &RetrievalReport{Dataset: name, Documents: len(b.Corpus)}
	var emb *embedded
	for _, c := range cfgs {
		start := time.Now()
		ix := search.New(c.Options)
		for _, d := range b.Corpus {
			ix.Add(d)
		}
		if c.EmbedWeight > 0 && emb == nil {
			emb = embedCorpus(b.Corpus)
		}
		row := RetrievalRow{Name: c.Name, Options: c.Options, EmbedWeight: c.EmbedWeight, Queries: len(b.Queries), IndexTime: time.Since(start)}
		start = time.Now()
		for _, q := range b.Queries {
			hits := ix.Search(q.Text, 100)
			if c.EmbedWeight > 0 {
				hits = emb.fuse(q.Text, hits, c.EmbedWeight)
			}
			ids := make([]string, len(hits))
			for i, h := range hits {
				ids[i] = h.ID
			}
			row.NDCG10 += NDCG(ids, b.Qrels[q.ID], 10)
			row.Recall100 += Recall(ids, b.Qrels[q.ID], 100)
		}
		row.QueryTime = time.Since(start) / time.Duration(len(b.Queries))
		row.NDCG10 /= float64(len(b.Queries))
		row.Recall100 /= float64(len(b.Queries))
		rep.Rows = append(rep.Rows, row)
	}
	return rep
}

// embedded holds the local embedder's vectors of a corpus, for the
// configurations that fuse them (the embedding time is counted once, in
// the first such configuration's index time).
type embedded struct {
	e   *embed.Local
	pos map[string]int
	vec [][]float32
}

func embedCorpus(docs []search.Doc) *embedded {
	e := embed.NewLocal(0)
	texts := make([]string, len(docs))
	pos := make(map[string]int, len(docs))
	for i, d := range docs {
		texts[i] = d.Title + " " + d.Text
		pos[d.ID] = i
	}
	// Local.Embed fails only on a cancelled context.
	vec, _ := e.Embed(context.Background(), texts)
	return &embedded{e: e, pos: pos, vec: vec}
}

// fuse rescores hits with search.Fuse: (1-w)·score/max + w·cosine.
func (m *embedded) fuse(query string, hits []search.Hit, w float64) []search.Hit {
	if len(hits) == 0 {
		return hits
	}
	qv, _ := m.e.Embed(context.Background(), []string{query})
	best := hits[0].Score
	out := make([]search.Hit, len(hits))
	for i, h := range hits {
		var dot float64
		for j, x := range m.vec[m.pos[h.ID]] {
			dot += float64(x * qv[0][j])
		}
		out[i] = search.Hit{ID: h.ID, Score: search.Fuse(h.Score, best, dot, w)}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out
}

// NDCG is nDCG@k of a ranking against graded judgements, with the
// exponential gain trec_eval and BEIR use.
func NDCG(ranked []string, rel map[string]int, k int) float64 {
	var dcg float64
	for i, id := range ranked {
		if i == k {
			break
		}
		if g := rel[id]; g > 0 {
			dcg += (math.Pow(2, float64(g)) - 1) / math.Log2(float64(i+2))
		}
	}
	grades := make([]int, 0, len(rel))
	for _, g := range rel {
		grades = append(grades, g)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(grades)))
	var ideal float64
	for i, g := range grades {
		if i == k {
			break
		}
		ideal += (math.Pow(2, float64(g)) - 1) / math.Log2(float64(i+2))
	}
	if ideal == 0 {
		return 0
	}
	return dcg / ideal
}

// Recall is the share of relevant documents among the first k.
func Recall(ranked []string, rel map[string]int, k int) float64 {
	if len(rel) == 0 {
		return 0
	}
	var n int
	for i, id := range ranked {
		if i == k {
			break
		}
		if rel[id] > 0 {
			n++
		}
	}
	return float64(n) / float64(len(rel))
}

// WriteTable prints the report as an aligned table.
func (r *RetrievalReport) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "BEIR %s: %d documents\n", r.Dataset, r.Documents)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "configuration\tqueries\tnDCG@10\trecall@100\tindex time\tquery mean\tk1,b\tpairs\trm3 docs/terms/orig\ttfidf cos\tembedder cos")
	for _, row := range r.Rows {
		o := row.Options
		fmt.Fprintf(tw, "%s\t%d\t%.4f\t%.4f\t%s\t%s\t%.2g,%.2g\t%.2g\t%d/%d/%.2g\t%.2g\t%.2g\n", row.Name, row.Queries, row.NDCG10, row.Recall100,
			row.IndexTime.Round(time.Millisecond), row.QueryTime.Round(time.Microsecond), o.K1, o.B, o.BigramWeight, o.FeedbackDocs, o.FeedbackTerms, o.OrigWeight, o.VectorWeight, row.EmbedWeight)
	}
	return tw.Flush()
}
