// Package pdftest writes small PDF files for tests: one page, a simple
// font with ligature glyphs, a Type0 font with a ToUnicode map for Chinese
// text, and a two-column article layout.
package pdftest

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strings"
)

// cjk lists the characters the test's Type0 font can show, in CID order
// from 1; its ToUnicode CMap maps CID i+1 to cjk[i]. "ﬁ" is there so
// that a ligature also arrives through a ToUnicode map.
var cjk = []rune("乏氧显像指导剂量雕刻。ﬁxed")

// Span is text in one font at one place; rows are drawn left column then
// right column for each baseline, as a typesetter filling rows would, so
// the extractor has to restore column order itself.
type Span struct {
	X, Y float64
	Size float64
	Font string // "F1" (simple, with /fi and /ff ligature glyphs) or "F2" (Type0)
	Text string
	// Rise raises the text above the baseline (the Ts operator), as a
	// superscript is set.
	Rise float64
}

// showF1 encodes text for F1: ligatures as codes 1 (fi) and 2 (ff), the
// en dash as WinAnsi's 0x96.
func showF1(s string) string {
	s = strings.NewReplacer("ﬁ", "\x01", "ﬀ", "\x02", "–", "\x96").Replace(s)
	var b strings.Builder
	b.WriteByte('(')
	for _, c := range []byte(s) {
		switch {
		case c == '(' || c == ')' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 32 || c >= 128:
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

// Make writes a one-page PDF 1.4 file with a compressed content stream,
// a simple font with ligature glyphs in /Differences and a Type0
// Identity-H font with a ToUnicode CMap. Each span may continue the
// previous one on the same line (x < 0) in another font.
func Make(spans []Span) []byte {
	var content strings.Builder
	content.WriteString("BT\n")
	rise := 0.0
	for _, s := range spans {
		if s.Rise != rise {
			fmt.Fprintf(&content, "%g Ts\n", s.Rise)
			rise = s.Rise
		}
		fmt.Fprintf(&content, "/%s %g Tf\n", s.Font, s.Size)
		if s.X >= 0 {
			fmt.Fprintf(&content, "1 0 0 1 %g %g Tm\n", s.X, s.Y)
		}
		if s.Font == "F1" {
			content.WriteString(showF1(s.Text) + "\n")
		} else {
			content.WriteString(showF2(s.Text) + "\n")
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

// Article lays out a two-column article page. The left column holds the
// abstract and the start of the references; reference 2 continues at the
// top of the right column.
func Article() []Span {
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
	spans := []Span{
		{X: 72, Y: 740, Size: 14, Font: "F1", Text: "Hypoxia imaging guides dose painting in head and neck cancer"},
		{X: 72, Y: 715, Size: 10, Font: "F1", Text: "Ann Lee1, Bo Chen2 and Cy Wu1"},
	}
	for i := 0; i < max(len(left), len(right)); i++ {
		y := 690 - 12*float64(i)
		switch {
		case i >= len(left) || left[i] == "":
		case strings.HasPrefix(left[i], "@"):
			// Chinese, in the Type0 font.
			spans = append(spans, Span{X: 72, Y: y, Size: 10, Font: "F2", Text: left[i][1:]})
		default:
			spans = append(spans, Span{X: 72, Y: y, Size: 10, Font: "F1", Text: left[i]})
		}
		if i < len(right) {
			spans = append(spans, Span{X: 320, Y: y, Size: 10, Font: "F1", Text: right[i]})
		}
	}
	spans = append(spans,
		Span{X: 72, Y: 500, Size: 10, Font: "F1", Text: "The beams were "},
		Span{X: -1, Size: 10, Font: "F2", Text: "ﬁxed"},
		Span{X: -1, Size: 10, Font: "F1", Text: " in every session, and two physicists reviewed each plan."})
	return spans
}

// ArticleWithBody lays out a one-column article page with a body between
// the abstract and the references: numbered section headings, bracketed
// citations ("[1]", "[2–3]") and superscript citation markers set smaller
// and raised, as journals print them.
func ArticleWithBody() []Span {
	spans := []Span{
		{X: 72, Y: 760, Size: 14, Font: "F1", Text: "Hypoxia imaging guides dose painting"},
		{X: 72, Y: 740, Size: 10, Font: "F1", Text: "Ann Lee1, Bo Chen2 and Cy Wu1"},
		{X: 72, Y: 715, Size: 10, Font: "F1", Text: "Abstract"},
		{X: 72, Y: 703, Size: 10, Font: "F1", Text: "Tumour hypoxia limits the effect of radiotherapy. We map"},
		{X: 72, Y: 691, Size: 10, Font: "F1", Text: "hypoxia before treatment and boost the dose there."},
		{X: 72, Y: 665, Size: 10, Font: "F1", Text: "1. Introduction"},
		{X: 72, Y: 653, Size: 10, Font: "F1", Text: "Oxygen sensitises cells to radiation [1]. Imaging can find"},
		{X: 72, Y: 641, Size: 10, Font: "F1", Text: "the hypoxic regions of a tumour before treatment [2–3]."},
		{X: 72, Y: 615, Size: 10, Font: "F1", Text: "2. Methods"},
		{X: 72, Y: 603, Size: 10, Font: "F1", Text: "We scanned forty patients with a hypoxia tracer."},
		{X: -1, Size: 7, Font: "F1", Text: "2", Rise: 3.5},
		{X: 72, Y: 591, Size: 10, Font: "F1", Text: "Doses were raised in the hypoxic volume only."},
		{X: -1, Size: 7, Font: "F1", Text: "1", Rise: 3.5},
		{X: -1, Size: 7, Font: "F1", Text: ",", Rise: 3.5},
		{X: -1, Size: 7, Font: "F1", Text: "3", Rise: 3.5},
		{X: -1, Size: 10, Font: "F1", Text: " Each area of 12 cm"},
		{X: -1, Size: 7, Font: "F1", Text: "2", Rise: 3.5},
		{X: -1, Size: 10, Font: "F1", Text: " was boosted."},
		{X: 72, Y: 565, Size: 10, Font: "F1", Text: "Acknowledgements"},
		{X: 72, Y: 553, Size: 10, Font: "F1", Text: "We thank the physicists of the unit for their help."},
		{X: 72, Y: 527, Size: 10, Font: "F1", Text: "References"},
		{X: 72, Y: 515, Size: 10, Font: "F1", Text: "1. Gray LH, Conger AD. The concentration of oxygen in tissues."},
		{X: 72, Y: 503, Size: 10, Font: "F1", Text: "Br J Radiol. 1953; 26: 638-48."},
		{X: 72, Y: 491, Size: 10, Font: "F1", Text: "2. Brown JM, Wilson WR. Exploiting tumour hypoxia in cancer"},
		{X: 72, Y: 479, Size: 10, Font: "F1", Text: "treatment. Nat Rev Cancer. 2004; 4: 437-47."},
		{X: 72, Y: 467, Size: 10, Font: "F1", Text: "3. Horsman MR, Overgaard J. Imaging hypoxia to improve"},
		{X: 72, Y: 455, Size: 10, Font: "F1", Text: "radiotherapy outcome. Nat Rev Clin Oncol. 2012; 9: 674-87."},
	}
	return spans
}
