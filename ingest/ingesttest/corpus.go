// Package ingesttest writes synthetic corpora for bulk-ingest tests and
// benchmarks: papers in every text format ChatPaper reads, with a chosen
// number of broken files among them.
package ingesttest

import (
	"encoding/json"
	"fmt"
	"html"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

var words = strings.Fields(`tumour hypoxia radiotherapy dose fraction oxygen imaging perfusion
exosome vesicle uptake secretion protein lipid membrane turnover lens nucleus carbon signal
pathway kinase receptor inhibitor resistance apoptosis repair damage strand break cohort
trial survival outcome biomarker plasma serum antibody virus sheep goat vector mosquito
enzyme lipase growth culture strain genome sequence structure prediction template model`)

// Paper is one generated paper in the form the corpus writes it.
type Paper struct {
	ID, Title, Abstract string
	Refs                []string
}

// NewPaper returns the i-th paper of a corpus with the given seed; the
// same arguments always give the same paper.
func NewPaper(seed uint64, i int) Paper {
	r := rand.New(rand.NewPCG(seed, uint64(i)))
	sentence := func(n int) string {
		ws := make([]string, n)
		for k := range ws {
			ws[k] = words[r.IntN(len(words))]
		}
		s := strings.Join(ws, " ")
		return strings.ToUpper(s[:1]) + s[1:] + "."
	}
	p := Paper{ID: fmt.Sprintf("gen-%05d", i)}
	p.Title = fmt.Sprintf("Study %d of %s", i, strings.TrimSuffix(sentence(6), "."))
	var abs []string
	for range 5 {
		abs = append(abs, sentence(14+r.IntN(8)))
	}
	p.Abstract = strings.Join(abs, " ")
	for k := range 12 {
		p.Refs = append(p.Refs, fmt.Sprintf("Author%d A, Writer%d B. %s J Gen Res. %d; %d: %d-%d.",
			k, i, strings.TrimSuffix(sentence(9), "."), 1990+r.IntN(30), 1+r.IntN(40), 10*k+1, 10*k+9))
	}
	return p
}

// Formats written in turn.
var Formats = []string{"json", "jats", "crossref", "page"}

// WriteCorpus writes n papers into dir, cycling through the formats, and
// replaces broken of them (spread evenly) with broken files of different
// kinds. It returns the names of the broken files.
func WriteCorpus(dir string, seed uint64, n, broken int) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	isBroken := map[int]bool{}
	for k := range broken {
		isBroken[(k*n)/broken+n/(2*broken)] = true
	}
	var bad []string
	for i := range n {
		p := NewPaper(seed, i)
		var name string
		var data []byte
		if isBroken[i] {
			name, data = brokenFile(len(bad), p)
			bad = append(bad, name)
		} else {
			name, data = render(Formats[i%len(Formats)], p)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return nil, err
		}
	}
	return bad, nil
}

func render(format string, p Paper) (string, []byte) {
	switch format {
	case "json":
		type ref struct {
			N    int    `json:"n"`
			Text string `json:"text"`
		}
		refs := make([]ref, len(p.Refs))
		for i, t := range p.Refs {
			refs[i] = ref{i + 1, t}
		}
		b, _ := json.Marshal(map[string]any{"id": p.ID, "title": p.Title, "abstract": p.Abstract, "references": refs})
		return p.ID + ".json", b
	case "jats":
		var b strings.Builder
		fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE article PUBLIC "-//NLM//DTD JATS (Z39.96) Journal Archiving and Interchange DTD v1.0 20120330//EN" "JATS-archivearticle1.dtd">
<article><front><article-meta><article-id pub-id-type="doi">10.5555/%s</article-id>
<title-group><article-title>%s</article-title></title-group>
<abstract><p>%s</p></abstract></article-meta></front><back><ref-list>`, p.ID, html.EscapeString(p.Title), html.EscapeString(p.Abstract))
		for i, t := range p.Refs {
			fmt.Fprintf(&b, "<ref id=\"r%d\"><label>%d</label><mixed-citation>%s</mixed-citation></ref>\n", i+1, i+1, html.EscapeString(t))
		}
		b.WriteString("</ref-list></back></article>\n")
		return p.ID + ".xml", []byte(b.String())
	case "crossref":
		refs := make([]map[string]string, len(p.Refs))
		for i, t := range p.Refs {
			refs[i] = map[string]string{"key": fmt.Sprintf("ref%d", i+1), "unstructured": t}
		}
		b, _ := json.Marshal(map[string]any{"status": "ok", "message-type": "work", "message": map[string]any{
			"DOI": "10.5555/" + p.ID, "title": []string{p.Title}, "abstract": "<jats:p>" + html.EscapeString(p.Abstract) + "</jats:p>", "reference": refs,
		}})
		return p.ID + ".crossref.json", b
	default:
		var b strings.Builder
		fmt.Fprintf(&b, "%s\n\nAnn Lee1, Bo Chen2\n\nAbstract\n%s\n\nReferences\n", p.Title, p.Abstract)
		for i, t := range p.Refs {
			fmt.Fprintf(&b, "%d. %s\n", i+1, t)
		}
		return p.ID + ".page.txt", []byte(b.String())
	}
}

// brokenFile returns the k-th kind of broken input.
func brokenFile(k int, p Paper) (string, []byte) {
	switch k % 5 {
	case 0:
		_, b := render("json", p)
		return p.ID + ".json", b[:len(b)/2] // truncated
	case 1:
		return p.ID + ".xml", []byte("<html><body><p>not an article</p></body></html>")
	case 2:
		return p.ID + ".json", []byte(`{"id":"` + p.ID + `","abstract":"no title","references":[]}`)
	case 3:
		return p.ID + ".pdf", []byte("%PDF-1.4\n% a PDF with no pages\n%%EOF\n")
	default:
		return p.ID + ".page.txt", []byte("\n\n   \n")
	}
}
