package paper_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/internal/golden"
	"github.com/chatpaper/chatpaper/paper"
)

const exosomePage = "testdata/exosome-irradiation.page.txt"

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func parseExosome(t *testing.T) *paper.Paper {
	t.Helper()
	p, err := paper.ParsePageText(readFile(t, exosomePage), paper.DemoID)
	if err != nil {
		t.Fatalf("ParsePageText: %v", err)
	}
	return p
}

// canonicalJSON is the form of the demo and golden files.
func canonicalJSON(t testing.TB, p *paper.Paper) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParsePageTextExosome(t *testing.T) {
	t.Parallel()
	p := parseExosome(t)
	ref := func(n int) string {
		r, ok := p.Reference(n)
		if !ok {
			t.Fatalf("reference %d missing", n)
		}
		return r.Text
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"id", p.ID, "exosome-irradiation"},
		{"title", p.Title, "Exosome-mediated cellular crosstalk within the tumor microenvironment upon irradiation"},
		{"authors", strings.Join(p.Authors, "; "), "Chuanshi He; Ling Li; Linlin Wang; Wanrong Meng; Yaying Hao; Guiquan Zhu"},
		{"journal", p.Journal, "Cancer Biology & Medicine"},
		{"year", p.Year, 2021},
		{"numbering", p.Numbering, "order"},
		{"reference count", len(p.References), 103},
		{"abstract start", strings.HasPrefix(p.Abstract, "Radiotherapy is one of the most effective"), true},
		{"abstract end", strings.HasSuffix(p.Abstract, "between cells under radiotherapy conditions."), true},
		{"ref 1", strings.HasPrefix(ref(1), "Schaue D, Mcbride WH."), true},
		{"ref 26", strings.Contains(ref(26), "ExoCarta"), true},
		{"ref 103", strings.HasPrefix(ref(103), "Fais S."), true},
		{"ref 103 end", strings.HasSuffix(ref(103), "Oncoimmunology. 2013; 2: e22337."), true},
		{"no chinese abstract", p.AbstractZh, ""},
		{"no paper doi on page", p.DOI, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := tt.got, tt.want; got != want {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
	t.Run("numbers follow page order", func(t *testing.T) {
		for i, r := range p.References {
			if got, want := r.N, i+1; got != want {
				t.Fatalf("references[%d].n = %d, want %d", i, got, want)
			}
		}
	})
}

func TestParsePageTextNumbered(t *testing.T) {
	t.Parallel()
	p, err := paper.ParsePageText(readFile(t, "testdata/numbered.page.txt"), "numbered")
	if err != nil {
		t.Fatalf("ParsePageText: %v", err)
	}
	var ns []int
	for _, r := range p.References {
		ns = append(ns, r.N)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"numbering", p.Numbering, "printed"},
		{"numbers", ns, []int{1, 2, 3, 5}},
		{"title", p.Title, "Tumour hypoxia and the response to fractionated radiotherapy"},
		{"authors", p.Authors, []string{"Ann Lee", "Bo Chen", "Cy Wu"}},
		{"journal", p.Journal, "Journal of Imaginary Oncology"},
		{"year", p.Year, 2019},
		{"doi", p.DOI, "10.5555/jio.2019.0042"},
		{"abstract joins wrapped lines", strings.Contains(p.Abstract, "than well oxygenated cells. We review how"), true},
		{"ref 2 doi", p.References[1].DOI, "10.1038/nrc1367"},
		{"ref 3 joins wrapped line", p.References[2].Text, "Horsman MR, Mortensen LS, Petersen JB, Busk M, Overgaard J. Imaging hypoxia to improve radiotherapy outcome. Nat Rev Clin Oncol. 2012; 9: 674-87."},
		{"ref 5 organisation", p.References[3].Text, "World Health Organization. Global cancer observatory. Lyon: IARC; 2020. https://gco.iarc.fr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := tt.got, tt.want; !reflect.DeepEqual(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

func TestParsePageTextNumberStyles(t *testing.T) {
	t.Parallel()
	const page = `Oxygen and radiation

Ann Lee1, Bo Chen2

Hypoxic tumour cells resist radiation far more than oxygenated ones do. We review the evidence and what it means for dose painting.

%s Gray LH, Conger AD. The concentration of oxygen dissolved in tissues. Br J Radiol. 1953; 26: 638-48.
%s Brown JM, Wilson WR. Exploiting tumour hypoxia in cancer treatment. Nat Rev Cancer. 2004; 4: 437-47.
`
	tests := []struct {
		name, first, second string
	}{
		{"dot", "1.", "2."},
		{"brackets", "[1]", "[2]"},
		{"bare", "1", "2"},
		{"parenthesis", "(1)", "(2)"},
		{"closing parenthesis", "1)", "2)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := strings.Replace(strings.Replace(page, "%s", tt.first, 1), "%s", tt.second, 1)
			p, err := paper.ParsePageText([]byte(data), "styles")
			if err != nil {
				t.Fatalf("ParsePageText: %v", err)
			}
			if got, want := p.Numbering, "printed"; got != want {
				t.Errorf("numbering = %q, want %q", got, want)
			}
			if got, want := len(p.References), 2; got != want {
				t.Fatalf("got %d references, want %d", got, want)
			}
			if got, want := p.References[1].N, 2; got != want {
				t.Errorf("second number = %d, want %d", got, want)
			}
			if got, want := p.References[0].Text[:8], "Gray LH,"; got != want {
				t.Errorf("text starts %q, want %q (number not stripped?)", got, want)
			}
		})
	}
}

// blankLines replaces lines from..to (1-based, inclusive) with empty lines,
// so that the remaining lines keep their numbers.
func blankLines(data []byte, from, to int) []byte {
	lines := strings.Split(string(data), "\n")
	for i := from - 1; i < to && i < len(lines); i++ {
		lines[i] = ""
	}
	return []byte(strings.Join(lines, "\n"))
}

func TestParsePageTextErrors(t *testing.T) {
	t.Parallel()
	page := readFile(t, exosomePage)
	numberedPage := readFile(t, "testdata/numbered.page.txt")
	tests := []struct {
		name string
		data []byte
		id   string
		want string
	}{
		{"numbered page without abstract", blankLines(numberedPage, 15, 17), "x", "page text: line 9: abstract: not found: no abstract paragraph between line 9 and line 21"},
		{"numbered page without abstract or headings", blankLines(blankLines(numberedPage, 15, 17), 21, 21), "x", "page text: line 9: abstract: not found: no abstract paragraph between line 9 and line 22"},
		{"numbered page without references", blankLines(numberedPage, 22, 26), "x", "page text: line 17: references: not found"},
		{"empty", nil, "x", "page text: empty input"},
		{"blank", []byte(" \n\t\n"), "x", "page text: empty input"},
		{"no abstract", blankLines(page, 26, 26), "x", "page text: line 18: abstract: not found: no abstract paragraph between line 18 and line 30"},
		{"no references", blankLines(page, 30, 336), "x", "page text: line 26: references: not found"},
		{"no title", []byte("Hypoxic tumour cells resist radiation far more than oxygenated ones do, as many studies over many decades have shown in patients and models. We review it.\n"), "x", "page text: line 1: title: not found"},
		{"invalid utf-8", append([]byte("Title\nAuthors\n"), 0xff, '\n'), "x", "page text: line 3: invalid UTF-8"},
		{"missing id", page, "", "page text: id: is required"},
		{"invalid id", page, "../etc", `page text: id: "../etc" must be`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := paper.ParsePageText(tt.data, tt.id)
			if err == nil {
				t.Fatalf("ParsePageText succeeded with %d references, want error", len(p.References))
			}
			if !errors.Is(err, paper.ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
			}
			if got, want := err.Error(), tt.want; !strings.Contains(got, want) {
				t.Errorf("error %q does not contain %q", got, want)
			}
		})
	}
}

// validJSON is a small valid paper spread over lines, so that errors can
// be checked for their line numbers.
const validJSON = `{
  "id": "p1",
  "title": "T",
  "abstract": "A",
  "references": [
    {"n": 1, "text": "R1"},
    {"n": 2, "text": "R2"}
  ]
}`

func TestParseJSON(t *testing.T) {
	t.Parallel()
	p, err := paper.ParseJSON([]byte(validJSON))
	if err != nil {
		t.Fatalf("ParseJSON: %v", err)
	}
	if got, want := len(p.References), 2; got != want {
		t.Errorf("got %d references, want %d", got, want)
	}
	t.Run("byte order mark", func(t *testing.T) {
		if _, err := paper.ParseJSON(append([]byte("\ufeff"), validJSON...)); err != nil {
			t.Errorf("ParseJSON: %v", err)
		}
	})
	t.Run("null fields", func(t *testing.T) {
		if _, err := paper.ParseJSON([]byte(`{"id":"p","title":"T","abstract":"A","authors":null,"references":null}`)); err != nil {
			t.Errorf("ParseJSON: %v", err)
		}
	})
	t.Run("round trip", func(t *testing.T) {
		want := paper.Demo()
		got, err := paper.ParseJSON(canonicalJSON(t, want))
		if err != nil {
			t.Fatalf("ParseJSON: %v", err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Error("paper changed in a JSON round trip")
		}
	})
}

func TestParseJSONErrors(t *testing.T) {
	t.Parallel()
	swap := func(old, new string) string {
		if !strings.Contains(validJSON, old) {
			panic("test input does not contain " + old)
		}
		return strings.Replace(validJSON, old, new, 1)
	}
	tests := []struct {
		name, data, want string
	}{
		{"empty", "", "json: empty input"},
		{"malformed", swap(`"title": "T",`, `"title": "T",,`), "json: line 3, column 16: invalid character ',' looking for beginning of object key string"},
		{"truncated", validJSON[:40], "json: line 4, column 9: unexpected end of input"},
		{"not an object", `[{"id": "p1"}]`, "json: line 1, column 1: the paper must be a JSON object, got array"},
		{"unknown field", swap(`{"n": 2, "text": "R2"}`, `{"n": 2, "text": "R2", "pages": "1-2"}`), `json: line 7, column 28: references[1]: unknown field "pages"`},
		{"unknown top-level field", swap(`"title"`, `"tittle"`), `json: line 3, column 3: unknown field "tittle"`},
		{"field name case", swap(`"title"`, `"Title"`), `unknown field "Title"`},
		{"duplicate field", swap(`"abstract": "A",`, `"abstract": "A", "abstract": "B",`), "json: line 4, column 20: abstract: duplicate field"},
		{"wrong type", swap(`"n": 2`, `"n": "two"`), `json: line 7, column 11: references[1].n: must be an integer, got string "two"`},
		{"wrong type in array", swap(`"abstract": "A",`, `"abstract": "A", "authors": ["Ann Lee", 7],`), "authors[1]: must be a string, got number 7"},
		{"fractional year", swap(`"abstract": "A",`, `"abstract": "A", "year": 2021.5,`), "year: must be an integer, got number 2021.5"},
		{"huge number", swap(`"n": 2`, `"n": 1e99`), "references[1].n: must be an integer, got number 1e99"},
		{"references not an array", swap(`"references": [`, `"references": {"x": [`) + "}", "references: must be an array, got object"},
		{"missing title", swap(`"title": "T",`, ``), "json: title: is required"},
		{"blank title", swap(`"title": "T"`, `"title": "  "`), "json: line 3, column 12: title: is required"},
		{"duplicate reference number", swap(`"n": 2`, `"n": 1`), "json: line 7, column 11: references[1].n: number 1 already used by references[0]"},
		{"reference number zero", swap(`"n": 1`, `"n": 0`), "json: line 6, column 11: references[0].n: must be a positive number, got 0"},
		{"empty reference text", swap(`"text": "R2"`, `"text": ""`), "json: line 7, column 22: references[1].text: is required"},
		{"missing reference text", swap(`"n": 2, "text": "R2"`, `"n": 2`), "json: line 7, column 5: references[1].text: is required"},
		{"invalid id", swap(`"p1"`, `"p 1"`), `json: line 2, column 9: id: "p 1" must be 1-128 letters`},
		{"missing id", swap(`"id": "p1",`, ``), "json: id: is required"},
		{"trailing garbage", validJSON + "\nxyz", "json: line 10, column 1: unexpected data after the paper object"},
		{"second object", validJSON + ` {}`, "json: line 9, column 3: unexpected data after the paper object"},
		{"bad numbering", swap(`"abstract": "A",`, `"abstract": "A", "numbering": "roman",`), `numbering: "roman" must be`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := paper.ParseJSON([]byte(tt.data))
			if err == nil {
				t.Fatalf("ParseJSON succeeded (%+v), want error", p)
			}
			if !errors.Is(err, paper.ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
			}
			var pe *paper.ParseError
			if !errors.As(err, &pe) {
				t.Errorf("error %v is not a *ParseError", err)
			}
			if got, want := err.Error(), tt.want; !strings.Contains(got, want) {
				t.Errorf("error %q does not contain %q", got, want)
			}
		})
	}
}

func TestParseJSONValidationErrorUnwraps(t *testing.T) {
	t.Parallel()
	_, err := paper.ParseJSON([]byte(`{"id":"p","title":"T"}`))
	var ve *paper.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v does not wrap a *ValidationError", err)
	}
	if got, want := ve.Field, "abstract"; got != want {
		t.Errorf("field = %q, want %q", got, want)
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	page := readFile(t, exosomePage)
	noID := strings.Replace(validJSON, `"id": "p1",`, ``, 1)
	tests := []struct {
		name, contentType, id string
		data                  []byte
		wantID                string // empty when an error is expected
		wantErr               string
	}{
		{"json by content type", "application/json", "", []byte(validJSON), "p1", ""},
		{"json with charset", "application/json; charset=utf-8", "", []byte(validJSON), "p1", ""},
		{"json by suffix type", "application/vnd.chatpaper+json", "", []byte(validJSON), "p1", ""},
		{"json sniffed", "", "", []byte("\n  " + validJSON), "p1", ""},
		{"json sent as text", "text/plain", "", []byte(validJSON), "p1", ""},
		{"json sent as octet stream", "application/octet-stream", "", []byte(validJSON), "p1", ""},
		{"json takes the id", "application/json", "p2", []byte(noID), "p2", ""},
		{"json keeps a matching id", "application/json", "p1", []byte(validJSON), "p1", ""},
		{"json id mismatch", "application/json", "p2", []byte(validJSON), "", `json: line 2, column 9: id: "p1" does not match the requested id "p2"`},
		{"json without any id", "application/json", "", []byte(noID), "", "json: id: is required"},
		{"page text by content type", "text/plain; charset=utf-8", "exo", page, "exo", ""},
		{"page text sniffed", "", "exo", page, "exo", ""},
		{"page text starting with a template", "", "exo", append([]byte("{{lang === 'zh_CN' ? 'x' : 'y'}}\n"), page...), "exo", ""},
		{"page text forced to json", "application/json", "exo", page, "", "json: line 1, column 1: invalid character 'A'"},
		{"empty", "application/json", "x", nil, "", "empty input"},
		{"blank", "", "x", []byte("\n\n"), "", "empty input"},
		{"unsupported type", "image/png", "x", page, "", `unsupported content type "image/png"`},
		{"malformed type", "text/", "x", page, "", "malformed content type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := paper.Parse(tt.data, tt.contentType, tt.id)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("Parse succeeded, want error containing %q", tt.wantErr)
				}
				if !errors.Is(err, paper.ErrInvalid) {
					t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
				}
				if got, want := err.Error(), tt.wantErr; !strings.Contains(got, want) {
					t.Errorf("error %q does not contain %q", got, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got, want := p.ID, tt.wantID; got != want {
				t.Errorf("id = %q, want %q", got, want)
			}
		})
	}
}

func TestDemo(t *testing.T) {
	t.Parallel()
	d := paper.Demo()
	tests := []struct {
		name      string
		got, want any
	}{
		{"id", d.ID, paper.DemoID},
		{"title", d.Title, "Exosome-mediated cellular crosstalk within the tumor microenvironment upon irradiation"},
		{"title_zh", d.TitleZh, "辐射条件下肿瘤微环境中外泌体介导的细胞间通讯"},
		{"abstract_zh stays empty", d.AbstractZh, ""},
		{"authors", d.Authors, []string{"Chuanshi He", "Ling Li", "Linlin Wang", "Wanrong Meng", "Yaying Hao", "Guiquan Zhu"}},
		{"journal", d.Journal, "Cancer Biology & Medicine"},
		{"year", d.Year, 2021},
		{"doi", d.DOI, "10.20892/j.issn.2095-3941.2020.0150"},
		{"references", len(d.References), 103},
		{"validates", d.Validate(), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := tt.got, tt.want; !reflect.DeepEqual(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}

	t.Run("matches the page", func(t *testing.T) {
		p := parseExosome(t)
		if got, want := d.Title, p.Title; got != want {
			t.Errorf("title = %q, page has %q", got, want)
		}
		if got, want := d.Abstract, p.Abstract; got != want {
			t.Errorf("abstract = %q, page has %q", got, want)
		}
		if got, want := d.References, p.References; !reflect.DeepEqual(got, want) {
			t.Errorf("references differ from the page's")
		}
		if got, want := d.Numbering, p.Numbering; got != want {
			t.Errorf("numbering = %q, page gives %q", got, want)
		}
	})

	t.Run("fresh copy", func(t *testing.T) {
		a := paper.Demo()
		a.Title = "changed"
		a.References[0].Text = "changed"
		b := paper.Demo()
		if got, want := b.Title, d.Title; got != want {
			t.Errorf("title = %q after changing another copy, want %q", got, want)
		}
		if got, want := b.References[0].Text, d.References[0].Text; got != want {
			t.Errorf("reference 1 = %q after changing another copy, want %q", got, want)
		}
	})
}

// TestGolden pins the parser's whole output for each sample page. Run
// "go test ./paper -run TestGolden -update" after an intended change and
// review the diff.
func TestGolden(t *testing.T) {
	t.Parallel()
	pages, err := filepath.Glob("testdata/*.page.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) == 0 {
		t.Fatal("no testdata/*.page.txt")
	}
	for _, page := range pages {
		name := strings.TrimSuffix(filepath.Base(page), ".page.txt")
		t.Run(name, func(t *testing.T) {
			p, err := paper.ParsePageText(readFile(t, page), name)
			if err != nil {
				t.Fatalf("ParsePageText: %v", err)
			}
			golden.Check(t, name+".golden.json", canonicalJSON(t, p))
		})
	}
}

// TestParsePageTextVariants checks that the page parses the same after
// changes a different browser, site layout or copy could make.
func TestParsePageTextVariants(t *testing.T) {
	t.Parallel()
	page := string(readFile(t, exosomePage))
	want := parseExosome(t)
	lines := strings.Split(page, "\n")
	edit := func(f func(no int, line string) string) string {
		out := make([]string, len(lines))
		for i, l := range lines {
			out[i] = f(i+1, l)
		}
		return strings.Join(out, "\n")
	}
	isRef := func(no int) bool { return no >= 30 && no <= 336 && lines[no-1] != "" }
	tests := []struct {
		name string
		page string
	}{
		{"crlf", strings.ReplaceAll(page, "\n", "\r\n")},
		{"no blank lines", regexp.MustCompile(`\n\s*\n`).ReplaceAllString(page, "\n")},
		{"no site chrome", edit(func(no int, l string) string {
			if no <= 13 {
				return ""
			}
			return l
		})},
		{"headings", edit(func(no int, l string) string {
			switch no {
			case 26:
				return "Abstract\n" + l
			case 30:
				return "References\n\n" + l
			}
			return l
		})},
		{"link rows after references", edit(func(no int, l string) string {
			if isRef(no) {
				return l + "\nGoogle Scholar | Crossref | PubMed"
			}
			return l
		})},
		{"footer glued to the last reference", strings.Replace(page, "e22337.\n\nCancer Biology", "e22337.\nCancer Biology", 1)},
		{"non-breaking spaces", strings.ReplaceAll(page, " ", "\u00a0")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.page == page {
				t.Fatal("variant does not change the page")
			}
			got, err := paper.ParsePageText([]byte(tt.page), paper.DemoID)
			if err != nil {
				t.Fatalf("ParsePageText: %v", err)
			}
			if got, want := got.Title, want.Title; got != want {
				t.Errorf("title = %q, want %q", got, want)
			}
			if got, want := got.Authors, want.Authors; !reflect.DeepEqual(got, want) {
				t.Errorf("authors = %q, want %q", got, want)
			}
			if got, want := got.Abstract, want.Abstract; got != want {
				t.Errorf("abstract = %q, want %q", got, want)
			}
			if got, want := len(got.References), len(want.References); got != want {
				t.Fatalf("got %d references, want %d", got, want)
			}
			for i := range got.References {
				if got, want := got.References[i], want.References[i]; got != want {
					t.Fatalf("references[%d] = %+v, want %+v", i, got, want)
				}
			}
			if got, want := got.Journal, want.Journal; got != want {
				t.Errorf("journal = %q, want %q", got, want)
			}
			if got, want := got.Year, want.Year; got != want {
				t.Errorf("year = %d, want %d", got, want)
			}
		})
	}
}

func TestParsePageTextLayouts(t *testing.T) {
	t.Parallel()
	const gray = "Gray LH, Conger AD. The concentration of oxygen dissolved in tissues. Br J Radiol. 1953; 26: 638-48."
	const brown = "Brown JM, Wilson WR. Exploiting tumour hypoxia in cancer treatment. Nat Rev Cancer. 2004; 4: 437-47."
	tests := []struct {
		name         string
		page         string
		wantTitle    string
		wantAuthors  []string
		wantAbstract string
		wantRefs     []string
	}{
		{
			name:         "structured abstract",
			page:         "Oxygen and radiation\n\nAnn Lee1, Bo Chen2\n\nAbstract\nBackground: hypoxia limits radiotherapy.\n\nMethods: we reviewed trials.\n\nConclusions: oxygen matters.\n\n" + gray + "\n",
			wantTitle:    "Oxygen and radiation",
			wantAuthors:  []string{"Ann Lee", "Bo Chen"},
			wantAbstract: "Background: hypoxia limits radiotherapy.\nMethods: we reviewed trials.\nConclusions: oxygen matters.",
			wantRefs:     []string{gray},
		},
		{
			name:         "no author line",
			page:         "Journal of Imaginary Oncology | Issue 3\n\nOxygen and radiation\n\nHypoxic tumour cells resist radiation far more than oxygenated ones do. We review the evidence and what it means.\n\n" + gray + "\n\n" + brown + "\n",
			wantTitle:    "Oxygen and radiation",
			wantAbstract: "Hypoxic tumour cells resist radiation far more than oxygenated ones do. We review the evidence and what it means.",
			wantRefs:     []string{gray, brown},
		},
		{
			name:         "wrapped references without blank lines",
			page:         "Oxygen and radiation\nAnn Lee, Bo Chen and Cy Wu\nHypoxic tumour cells resist radiation far more than oxygenated ones do. We review the evidence and what it means.\n" + strings.Replace(gray, " Br J", "\nBr J", 1) + "\n" + strings.Replace(brown, " Nat Rev", "\nNat Rev", 1) + "\nReceived: 1 May 2020\n",
			wantTitle:    "Oxygen and radiation",
			wantAuthors:  []string{"Ann Lee", "Bo Chen", "Cy Wu"},
			wantAbstract: "Hypoxic tumour cells resist radiation far more than oxygenated ones do. We review the evidence and what it means.",
			wantRefs:     []string{gray, brown},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := paper.ParsePageText([]byte(tt.page), "layout")
			if err != nil {
				t.Fatalf("ParsePageText: %v", err)
			}
			if got, want := p.Title, tt.wantTitle; got != want {
				t.Errorf("title = %q, want %q", got, want)
			}
			if got, want := p.Authors, tt.wantAuthors; !reflect.DeepEqual(got, want) {
				t.Errorf("authors = %q, want %q", got, want)
			}
			if got, want := p.Abstract, tt.wantAbstract; got != want {
				t.Errorf("abstract = %q, want %q", got, want)
			}
			var refs []string
			for _, r := range p.References {
				refs = append(refs, r.Text)
			}
			if got, want := refs, tt.wantRefs; !reflect.DeepEqual(got, want) {
				t.Errorf("references = %q, want %q", got, want)
			}
		})
	}
}
