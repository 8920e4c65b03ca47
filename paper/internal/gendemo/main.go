// Command gendemo turns an article page dump into ChatPaper's JSON form. It
// was used to make paper/demo/exosome-irradiation.json:
//
//	go run ./paper/internal/gendemo \
//		-doi 10.20892/j.issn.2095-3941.2020.0150 \
//		-title-zh 辐射条件下肿瘤微环境中外泌体介导的细胞间通讯 \
//		../shared/papers/exosome-irradiation.page.txt > paper/demo/exosome-irradiation.json
//
// The page does not print the article's DOI or a Chinese title, so those
// come from flags; everything else comes from the page. Check the output by
// hand before committing it.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/chatpaper/chatpaper/paper"
)

func main() {
	id := flag.String("id", "", "paper id (default: the file name without .page.txt)")
	doi := flag.String("doi", "", "DOI of the article, when the page does not show it")
	titleZh := flag.String("title-zh", "", "Chinese title")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: gendemo [flags] page.txt > paper.json\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *id, *doi, *titleZh); err != nil {
		fmt.Fprintln(os.Stderr, "gendemo:", err)
		os.Exit(1)
	}
}

func run(path, id, doi, titleZh string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if id == "" {
		id = strings.TrimSuffix(filepath.Base(path), ".page.txt")
	}
	p, err := paper.ParsePageText(data, id)
	if err != nil {
		return err
	}
	if doi != "" {
		p.DOI = doi
	}
	if titleZh != "" {
		p.TitleZh = titleZh
	}
	// Keep "&" and "<" readable: the file is meant to be read and edited.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		return err
	}
	_, err = os.Stdout.Write(buf.Bytes())
	return err
}
