package paper_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/paper/crossref"
	"github.com/chatpaper/chatpaper/paper/jats"
)

// handReferences are reference styles the bundled papers do not show:
// APA with "&", the group author, a Vancouver list closed by "et al.:",
// and Chinese GB/T 7714 entries with full-width punctuation.
var handReferences = []string{
	"Smith, J. A., & Jones, B. Hypoxia and radiation. Radiother Oncol, 12, 1–9.",
	"Smith, J.-P., Jones, B. C., and Brown, D. Radiation and hypoxia in tumours. J Clin Oncol. 2011;29:1–9.",
	"Devinsky O, Marsh E, et al.: Cannabidiol in epilepsy. Lancet Neurol. 2016;15(3):270–278.",
	"Lachenmeier DW: Safety evaluation of topical applications of ethanol on the skin. J Occup Med Toxicol 2008, 3:26.",
	"World Health Organization (2019) Global tuberculosis report 2019. Geneva: WHO.",
	"Anon. Radiation therapy for cancer. Lancet. 1990; 335: 1–2.",
	"Kiryu (2007) Robust prediction of consensus secondary structures. Bioinformatics 23: 434. doi:10.1093/bioinformatics/btl636",
	"Müller K, Ørsted H, Şahin U. Étude des exosomes « irradiés ». Méd Sci (Paris). 2018; 34: 22–30.",
	"张三, 李四, 王五. 电离辐射对外泌体分泌的影响[J]. 中华放射医学与防护杂志, 2019, 39(3): 161-166.",
	"Zhang S, Li S. 外泌体与肿瘤放疗抵抗的研究进展. 中国肿瘤临床. 2020; 47: 100–104.",
	"王芳（2018）外泌体在放射生物学中的作用。科学通报 63: 1–9.",
	"Just a line without structure",
}

// realisticReferences returns every reference the project bundles: the
// demo paper, the page-text fixtures, the JATS articles and the Crossref
// records in testdata (rendered as the parsers render them), and
// handReferences. It is the corpus of the ReferenceLabel benchmark and of
// the oracle comparison, and the seeds of FuzzReferenceLabel.
func realisticReferences(tb testing.TB) []string {
	tb.Helper()
	var out []string
	add := func(p *paper.Paper) {
		for _, r := range p.References {
			out = append(out, r.Text)
		}
	}
	add(paper.Demo())
	parse := func(pattern string, fn func([]byte, string) (*paper.Paper, error)) {
		names, err := filepath.Glob(pattern)
		if err != nil || len(names) == 0 {
			tb.Fatalf("no %s: %v", pattern, err)
		}
		for _, name := range names {
			data, err := os.ReadFile(name)
			if err != nil {
				tb.Fatal(err)
			}
			p, err := fn(data, "x")
			if err != nil {
				tb.Fatalf("%s: %v", name, err)
			}
			add(p)
		}
	}
	parse("testdata/*.page.txt", paper.ParsePageText)
	parse("jats/testdata/*.*ml", jats.Parse)
	parse("jats/testdata/more/*.*ml", jats.Parse)
	parse("crossref/testdata/*.json", crossref.Parse)
	return append(out, handReferences...)
}

var labelSink string

// BenchmarkReferenceLabel labels every realistic reference in turn, one
// call per op, in each language.
func BenchmarkReferenceLabel(b *testing.B) {
	refs := realisticReferences(b)
	for _, lang := range []string{paper.LangEN, paper.LangZH} {
		b.Run(lang, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				labelSink = paper.ReferenceLabel(refs[i%len(refs)], lang)
			}
		})
	}
}

// BenchmarkOldReferenceLabel is BenchmarkReferenceLabel on the oracle,
// the regular-expression implementation, measured as the baseline in
// the same run.
func BenchmarkOldReferenceLabel(b *testing.B) {
	refs := realisticReferences(b)
	for _, lang := range []string{paper.LangEN, paper.LangZH} {
		b.Run(lang, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				labelSink = oldReferenceLabel(refs[i%len(refs)], lang)
			}
		})
	}
}

// trickyReferences reach the corners of the scanners: invalid UTF-8
// around the punctuation isInitials drops, white space other than single
// spaces, parentheses that open no year, and volume/page strings.
var trickyReferences = []string{
	"Smith \xc3.\x89. Title of it. J. 2001; 1: 2.",
	"Smith \xc3-\x89 Title of it. J. 2001; 1: 2.",
	"Smith J\xff. Title of it. J. 2001; 1: 2.",
	"\tValadi  H,\u00a0Ekstrom K.\n Exosome transfer.\r\n Nat Cell Biol. 2007; 9: 654-9. ",
	"(2004) Title here. J.",
	"A (19) B (1999x) C (2004a). Title here? Yes.",
	"A (2004): Title here! Source 2005.",
	"Smith J (2004) J Virol Methods 140: 106–114",
	"Smith J (2004) 26(3): 638-48.",
	"Smith J (2004) Vol 2 (x) ; a1 – b2.",
	"Jones AB. 12: 34.-56. 2001",
	"Jones AB, et al. Title é2004x 2005_ 2006.",
	"Lee A. B., Kim C. D. Title of work. 1499 2100 2099.",
	"Ünal Ç, Øster Å. Über etwas. Zeitschrift. 1999;1:1.",
	"李明，王刚. 论文题目. 期刊. 2001.",
	"X ÉÉÉÉÉ. Title of it.",
	"X Ǆ. Title of it.",
	strings.Repeat("Long title words ", 20) + "(2001) " + strings.Repeat("more title words ", 20),
	strings.Repeat("\xe4\xb8", 100) + " " + strings.Repeat("x", 200),
	"",
	" ",
	"\xff",
}

// Every realistic reference gets exactly the oracle's label, in both
// languages.
func TestReferenceLabelOracle(t *testing.T) {
	t.Parallel()
	refs := append(realisticReferences(t), trickyReferences...)
	if len(refs) < 1400 {
		t.Fatalf("%d references, want the ~1400 the testdata holds", len(refs))
	}
	for _, text := range refs {
		if got, want := paper.Squash(text), oldSquash(text); got != want {
			t.Errorf("squash(%q) = %q, want %q", text, got, want)
		}
		for _, lang := range []string{paper.LangEN, paper.LangZH} {
			if got, want := paper.ReferenceLabel(text, lang), oldReferenceLabel(text, lang); got != want {
				t.Errorf("ReferenceLabel(%q, %s) = %q, want %q", text, lang, got, want)
			}
		}
	}
}

// FuzzReferenceLabel compares ReferenceLabel with the oracle on
// arbitrary strings, valid UTF-8 or not, in both languages; squash,
// which it calls first, with the join of strings.Fields it short-cuts;
// and Shorten with the old one at several widths.
func FuzzReferenceLabel(f *testing.F) {
	for _, s := range append(realisticReferences(f), trickyReferences...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if got, want := paper.Squash(text), oldSquash(text); got != want {
			t.Fatalf("squash(%q) = %q, want %q", text, got, want)
		}
		// Other callers shorten text that was never squashed.
		for _, n := range []int{0, 1, 2, 3, 7, 140, 160} {
			if got, want := paper.Shorten(text, n), oldShorten(text, n); got != want {
				t.Fatalf("Shorten(%q, %d) = %q, want %q", text, n, got, want)
			}
		}
		for _, lang := range []string{paper.LangEN, paper.LangZH} {
			if got, want := paper.ReferenceLabel(text, lang), oldReferenceLabel(text, lang); got != want {
				t.Fatalf("ReferenceLabel(%q, %s) = %q, want %q", text, lang, got, want)
			}
		}
	})
}
