package pdf_test

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/paper/pdf"
)

// cjk lists the characters the test's Type0 font can show, in CID order
// from 1; its ToUnicode CMap maps CID i+1 to cjk[i]. "ﬁ" is there so
// that a ligature also arrives through a ToUnicode map.
var cjk = []rune("乏氧显像指导剂量雕刻。ﬁxed")

// span is text in one font at one place; rows are drawn left column then
// right column for each baseline, as a typesetter filling rows would, so
// the extractor has to restore column order itself.
type span struct {
	x, y float64
	size float64
	font string // "F1" (simple, with /fi and /ff ligature glyphs) or "F2" (Type0)
	text string
}

// showF1 encodes text for F1: ligatures as codes 1 (fi) and 2 (ff).
func showF1(s string) string {
	s = strings.NewReplacer("ﬁ", "\x01", "ﬀ", "\x02").Replace(s)
	var b strings.Builder
	b.WriteByte('(')
	for _, c := range []byte(s) {
		switch {
		case c == '(' || c == ')' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 32:
			fmt.Fprintf(&b, "\\%03o", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteString(") Tj")
	return b.String()
}

func showF2(s string) string {
	var b strings.Builder
	b.WriteByte('<')
	for _, r := range s {
		i := strings.IndexRune(string(cjk), r)
		if i < 0 {
			panic(fmt.Sprintf("rune %q not in the test font", r))
		}
		fmt.Fprintf(&b, "%04X", len([]rune(string(cjk)[:i]))+1)
	}
	b.WriteString("> Tj")
	return b.String()
}

// makePDF writes a one-page PDF 1.4 file with a compressed content stream,
// a simple font with ligature glyphs in /Differences and a Type0
// Identity-H font with a ToUnicode CMap. Each span may continue the
// previous one on the same line (x < 0) in another font.
func makePDF(t testing.TB, spans []span) []byte {
	t.Helper()
	var content strings.Builder
	content.WriteString("BT\n")
	for _, s := range spans {
		fmt.Fprintf(&content, "/%s %g Tf\n", s.font, s.size)
		if s.x >= 0 {
			fmt.Fprintf(&content, "1 0 0 1 %g %g Tm\n", s.x, s.y)
		}
		if s.font == "F1" {
			content.WriteString(showF1(s.text) + "\n")
		} else {
			content.WriteString(showF2(s.text) + "\n")
		}
	}
	content.WriteString("ET\n")
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte(content.String()))
	zw.Close()

	var cmap strings.Builder
	cmap.WriteString("/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n/CMapName /Test-UCS2 def\n1 begincodespacerange <0000> <FFFF> endcodespacerange\n")
	// The first three by bfrange (consecutive code points are not needed
	// for an array range), the rest by bfchar.
	fmt.Fprintf(&cmap, "1 beginbfrange\n<0001> <0003> [<%04X> <%04X> <%04X>]\nendbfrange\n", cjk[0], cjk[1], cjk[2])
	fmt.Fprintf(&cmap, "%d beginbfchar\n", len(cjk)-3)
	for i := 3; i < len(cjk); i++ {
		fmt.Fprintf(&cmap, "<%04X> <%04X>\n", i+1, cjk[i])
	}
	cmap.WriteString("endbfchar\nendcmap CMapName currentdict /CMap defineresource pop end end\n")

	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> /Contents 4 0 R >>",
		fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", z.Len(), z.String()),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [1 /fi /ff] >> >>",
		"<< /Type /Font /Subtype /Type0 /BaseFont /NotoSansCJK /Encoding /Identity-H /DescendantFonts [7 0 R] /ToUnicode 8 0 R >>",
		"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /NotoSansCJK /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 /W [8 [500 500 500 500]] >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", cmap.Len(), cmap.String()),
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// article lays out a two-column article page. The left column holds the
// abstract and the start of the references; reference 2 continues at the
// top of the right column.
func article() []span {
	left := []string{
		"Abstract",
		"Tumour hypoxia limits the eﬀect of",
		"radiotherapy and drives ﬁbrosis in",
		"irradiated tissue. We map hypoxia before",
		"treatment and boost the dose there.",
		"@乏氧显像指导剂量雕刻。",
		"",
		"References",
		"1. Gray LH, Conger AD. The concentration",
		"of oxygen in tissues. Br J Radiol. 1953;",
		"26: 638-48.",
		"2. Brown JM, Wilson WR. Exploiting tumour",
	}
	right := []string{
		"hypoxia in cancer treatment. Nat Rev",
		"Cancer. 2004; 4: 437-47.",
		"3. Horsman MR, Overgaard J. Imaging hypoxia",
		"to improve radiotherapy outcome. Nat Rev",
		"Clin Oncol. 2012; 9: 674-87.",
	}
	spans := []span{
		{x: 72, y: 740, size: 14, font: "F1", text: "Hypoxia imaging guides dose painting in head and neck cancer"},
		{x: 72, y: 715, size: 10, font: "F1", text: "Ann Lee1, Bo Chen2 and Cy Wu1"},
	}
	for i := 0; i < max(len(left), len(right)); i++ {
		y := 690 - 12*float64(i)
		switch {
		case i >= len(left) || left[i] == "":
		case strings.HasPrefix(left[i], "@"):
			// Chinese, in the Type0 font.
			spans = append(spans, span{x: 72, y: y, size: 10, font: "F2", text: left[i][1:]})
		default:
			spans = append(spans, span{x: 72, y: y, size: 10, font: "F1", text: left[i]})
		}
		if i < len(right) {
			spans = append(spans, span{x: 320, y: y, size: 10, font: "F1", text: right[i]})
		}
	}
	spans = append(spans,
		span{x: 72, y: 500, size: 10, font: "F1", text: "The beams were "},
		span{x: -1, size: 10, font: "F2", text: "ﬁxed"},
		span{x: -1, size: 10, font: "F1", text: " in every session, and two physicists reviewed each plan."})
	return spans
}

func TestText(t *testing.T) {
	text, err := pdf.Text(makePDF(t, article()))
	if err != nil {
		t.Fatal(err)
	}
	want := `Hypoxia imaging guides dose painting in head and neck cancer
Ann Lee1, Bo Chen2 and Cy Wu1

Abstract
Tumour hypoxia limits the effect of
radiotherapy and drives fibrosis in
irradiated tissue. We map hypoxia before
treatment and boost the dose there.
乏氧显像指导剂量雕刻。

References
1. Gray LH, Conger AD. The concentration
of oxygen in tissues. Br J Radiol. 1953;
26: 638-48.
2. Brown JM, Wilson WR. Exploiting tumour
hypoxia in cancer treatment. Nat Rev
Cancer. 2004; 4: 437-47.
3. Horsman MR, Overgaard J. Imaging hypoxia
to improve radiotherapy outcome. Nat Rev
Clin Oncol. 2012; 9: 674-87.

The beams were fixed in every session, and two physicists reviewed each plan.
`
	if text != want {
		t.Errorf("text:\n%s\nwant:\n%s", text, want)
	}
	for _, bad := range []string{"ﬁ", "ﬀ", "\x01", "\x02"} {
		if strings.Contains(text, bad) {
			t.Errorf("text keeps %q", bad)
		}
	}
}

func TestParse(t *testing.T) {
	p, err := pdf.Parse(makePDF(t, article()), "hypoxia-pdf")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Title, "Hypoxia imaging guides dose painting in head and neck cancer"; got != want {
		t.Errorf("title = %q, want %q", got, want)
	}
	if got, want := p.Abstract, "Tumour hypoxia limits the effect of radiotherapy and drives fibrosis in irradiated tissue. We map hypoxia before treatment and boost the dose there. 乏氧显像指导剂量雕刻。"; got != want {
		t.Errorf("abstract = %q, want %q", got, want)
	}
	if got, want := len(p.References), 3; got != want {
		t.Fatalf("%d references, want %d: %+v", got, want, p.References)
	}
	if got, want := p.References[1].Text, "Brown JM, Wilson WR. Exploiting tumour hypoxia in cancer treatment. Nat Rev Cancer. 2004; 4: 437-47."; got != want {
		t.Errorf("reference 2 = %q, want %q", got, want)
	}
	if got, want := p.Numbering, "printed"; got != want {
		t.Errorf("numbering = %q, want %q", got, want)
	}
}

func TestTextErrors(t *testing.T) {
	for name, in := range map[string][]byte{
		"not a pdf": []byte("hello"),
		"no pages":  []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"),
		"no text":   makePDF(t, nil),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := pdf.Text(in)
			if !errors.Is(err, paper.ErrInvalid) {
				t.Fatalf("err = %v, want one matching ErrInvalid", err)
			}
		})
	}
}

func FuzzText(f *testing.F) {
	f.Add(makePDF(f, article()))
	f.Add(makePDF(f, nil))
	f.Add([]byte("%PDF-1.7\n1 0 obj <</Type/Page/Contents 2 0 R>> endobj 2 0 obj <</Length 9>>stream\nBT (a) Tj ET\nendstream endobj"))
	f.Fuzz(func(t *testing.T, data []byte) {
		text, err := pdf.Text(data)
		if err != nil {
			if !errors.Is(err, paper.ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
			return
		}
		if strings.TrimSpace(text) == "" {
			t.Fatal("no error and no text")
		}
	})
}
