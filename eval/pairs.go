package eval

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chatpaper/chatpaper/search"
)

// Pair is one document in two languages.
type Pair struct {
	ID string
	Zh string
	En string
	// ZhFirst and EnFirst are the first sentences: short queries, which
	// share few digits or Latin names with the twin and so test the
	// translation itself.
	ZhFirst string
	EnFirst string
}

// LoadPairs reads every *_zh.txt file of dir with its *_en.txt twin, in
// the WMT biomedical form "docID<TAB>sentence-no<TAB>text", and joins
// each document's sentences. Documents missing on either side are
// skipped.
func LoadPairs(dir string) ([]Pair, error) {
	zhFiles, err := filepath.Glob(filepath.Join(dir, "*_zh.txt"))
	if err != nil {
		return nil, err
	}
	var out []Pair
	for _, zf := range zhFiles {
		ef := strings.TrimSuffix(zf, "_zh.txt") + "_en.txt"
		zh, zhFirst, err := readSentences(zf)
		if err != nil {
			return nil, err
		}
		en, enFirst, err := readSentences(ef)
		if err != nil {
			return nil, err
		}
		prefix := strings.TrimSuffix(filepath.Base(zf), "_zh.txt") + ":"
		ids := make([]string, 0, len(zh))
		for id := range zh {
			if _, ok := en[id]; ok {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		for _, id := range ids {
			out = append(out, Pair{ID: prefix + id, Zh: zh[id], En: en[id], ZhFirst: zhFirst[id], EnFirst: enFirst[id]})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("pairs %s: no *_zh.txt/*_en.txt documents found", dir)
	}
	return out, nil
}

// readSentences returns each document's joined text and its first
// sentence.
func readSentences(path string) (map[string]string, map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("pairs: %w", err)
	}
	defer f.Close()
	docs := map[string][]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for line := 1; sc.Scan(); line++ {
		fs := strings.SplitN(sc.Text(), "\t", 3)
		if len(fs) != 3 {
			if strings.TrimSpace(sc.Text()) == "" {
				continue
			}
			return nil, nil, fmt.Errorf("%s line %d: want docID<TAB>n<TAB>text", path, line)
		}
		docs[fs[0]] = append(docs[fs[0]], fs[2])
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	out := make(map[string]string, len(docs))
	first := make(map[string]string, len(docs))
	for id, ss := range docs {
		out[id] = strings.Join(ss, " ")
		first[id] = ss[0]
	}
	return out, first, nil
}

// PairRow scores ranking one side's documents for the other side's.
type PairRow struct {
	Direction string  `json:"direction"`
	Config    string  `json:"config"`
	Pairs     int     `json:"pairs"`
	MRR       float64 `json:"mrr"`
	RecallAt1 float64 `json:"recall_at_1"`
	RecallAt5 float64 `json:"recall_at_5"`
	// QueryTime is the mean time of one query.
	QueryTime time.Duration `json:"query_mean_ns"`
}

// PairReport is the result of a bilingual pair run.
type PairReport struct {
	Rows []PairRow `json:"rows"`
}

// RunPairs ranks, for every Chinese document, all English documents
// (zh→en) and the reverse (en→zh), with each configuration, and scores
// where the twin lands. It does so twice: with the whole abstract as the
// query, and with its first sentence only.
func RunPairs(pairs []Pair, cfgs []Config) *PairReport {
	rep := &PairReport{}
	for _, c := range cfgs {
		for _, first := range []bool{false, true} {
			for _, dir := range []string{"zh→en", "en→zh"} {
				rep.Rows = append(rep.Rows, rankPairs(pairs, c, dir, first))
			}
		}
	}
	return rep
}

func rankPairs(pairs []Pair, c Config, dir string, first bool) PairRow {
	zhToEn := dir == "zh→en"
	ix := search.New(c.Options)
	for _, p := range pairs {
		doc := p.En
		if !zhToEn {
			doc = p.Zh
		}
		ix.Add(search.Doc{ID: p.ID, Text: doc})
	}
	row := PairRow{Direction: dir, Config: c.Name, Pairs: len(pairs)}
	if first {
		row.Direction += " (first sentence)"
	}
	start := time.Now()
	for _, p := range pairs {
		var q string
		switch {
		case zhToEn && first:
			q = p.ZhFirst
		case zhToEn:
			q = p.Zh
		case first:
			q = p.EnFirst
		default:
			q = p.En
		}
		rank := 0
		for i, h := range ix.Search(q, len(pairs)) {
			if h.ID == p.ID {
				rank = i + 1
				break
			}
		}
		if rank > 0 {
			row.MRR += 1 / float64(rank)
		}
		if rank == 1 {
			row.RecallAt1++
		}
		if rank > 0 && rank <= 5 {
			row.RecallAt5++
		}
	}
	n := float64(len(pairs))
	row.QueryTime = time.Since(start) / time.Duration(len(pairs))
	row.MRR, row.RecallAt1, row.RecallAt5 = row.MRR/n, row.RecallAt1/n, row.RecallAt5/n
	return row
}

// PairConfigs are the configurations `chatpaper eval --pairs` reports.
// Whole abstracts are long queries, so feedback and term pairs are
// measured rather than assumed.
func PairConfigs() []Config {
	bare := search.BM25Only()
	bare.NoGlosses = true
	return []Config{
		{Name: "bm25 without dictionary", Options: bare},
		{Name: "bm25", Options: search.BM25Only()},
		{Name: "default", Options: search.DefaultOptions()},
	}
}

// WriteTable prints the report as an aligned table.
func (r *PairReport) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "direction\tconfiguration\tpairs\tMRR\trecall@1\trecall@5\tquery mean")
	for _, row := range r.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.4f\t%.4f\t%.4f\t%s\n", row.Direction, row.Config, row.Pairs, row.MRR, row.RecallAt1, row.RecallAt5, row.QueryTime.Round(time.Microsecond))
	}
	return tw.Flush()
}
