// Command gencorpus writes a synthetic corpus for bulk-ingest benchmarks:
//
//	go run ./ingest/internal/gencorpus -n 1000 -broken 5 -out /tmp/corpus
//
// Papers cycle through ChatPaper JSON, JATS XML, Crossref JSON and page
// text; the broken files are of five kinds (truncated JSON, HTML instead
// of JATS, JSON without a title, a PDF without pages, an empty page).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/chatpaper/chatpaper/ingest/ingesttest"
)

func main() {
	n := flag.Int("n", 1000, "papers to write")
	broken := flag.Int("broken", 5, "how many of them are broken files")
	seed := flag.Uint64("seed", 1, "random seed")
	out := flag.String("out", "", "folder to write (required)")
	flag.Parse()
	if *out == "" || *broken > *n || *n <= 0 || *broken < 0 {
		flag.Usage()
		os.Exit(2)
	}
	bad, err := ingesttest.WriteCorpus(*out, *seed, *n, *broken)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gencorpus:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d files to %s; broken: %v\n", *n, *out, bad)
}
