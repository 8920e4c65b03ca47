// Command gendf builds search/background.txt.gz, the document
// frequencies behind search.BackgroundIDF, from a BEIR corpus.jsonl
// (BEIR SciFact: titles and abstracts of 5183 biomedical papers):
//
//	go run ./search/internal/gendf -corpus ../shared/data/beir-scifact/corpus.jsonl \
//		-out search/background.txt.gz
//
// Each document's title and text are tokenized with tokenize.Terms (so
// the table follows the tokenizer: regenerate it when stemming changes)
// and each distinct term counts once per document. Terms in fewer than
// two documents are left out; the output is sorted, so it is the same on
// every run.
package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"

	"github.com/chatpaper/chatpaper/tokenize"
)

func main() {
	corpus := flag.String("corpus", "", "BEIR corpus.jsonl")
	out := flag.String("out", "search/background.txt.gz", "output file")
	flag.Parse()
	if err := run(*corpus, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gendf:", err)
		os.Exit(1)
	}
}

func run(corpus, out string) error {
	f, err := os.Open(corpus)
	if err != nil {
		return err
	}
	defer f.Close()
	df := map[string]int{}
	docs := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var d struct {
			Title string `json:"title"`
			Text  string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			return fmt.Errorf("line %d: %w", docs+1, err)
		}
		docs++
		seen := map[string]bool{}
		for _, t := range tokenize.Terms(d.Title + "\n" + d.Text) {
			if !seen[t] {
				seen[t] = true
				df[t]++
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	terms := make([]string, 0, len(df))
	for t, n := range df {
		if n >= 2 {
			terms = append(terms, t)
		}
	}
	sort.Strings(terms)
	o, err := os.Create(out)
	if err != nil {
		return err
	}
	zw, _ := gzip.NewWriterLevel(o, gzip.BestCompression)
	w := bufio.NewWriter(zw)
	fmt.Fprintf(w, "#docs\t%d\n", docs)
	for _, t := range terms {
		fmt.Fprintf(w, "%s\t%d\n", t, df[t])
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return o.Close()
}
