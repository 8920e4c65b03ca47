package enrich

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/chatpaper/chatpaper/tokenize"
)

// MatchThreshold is the match score a bibliographic search hit needs to
// be accepted as the work a reference cites. It was chosen on the TRAIN
// half of the references of the shared JATS articles (every reference
// against its own title, first author and year, and against the most
// similar other reference of the same article, the near-miss a search
// returns when the cited work is not indexed) as the lowest score, in
// steps of 0.05, that accepts no near-miss; docs/BENCHMARKS.md reports it
// on the TEST half (go test ./enrich -run TestMatchThresholdEvidence -v).
const MatchThreshold = 0.95

// Weights of the match score's parts. The title carries most of the
// evidence; author and year separate a work from its author's other
// papers on the same topic.
const (
	weightTitle  = 0.6
	weightAuthor = 0.25
	weightYear   = 0.15
)

var yearPattern = regexp.MustCompile(`\b(1[6-9]\d\d|20\d\d)[a-z]?\b`)

// MatchScore says how well candidate c fits a reference's text, from 0
// to 1: the overlap of the candidate's title with the best-matching
// sentence of the text, author names and initials aside (Dice, weight
// 0.6), whether its first author's family name is there (0.25;
// half for a later author among the first three), and whether its year
// is (0.15; half for a year off by one, as between online and print
// dates). A part the candidate does not record scores half.
func MatchScore(ref string, c Candidate) float64 { return newRefText(ref).score(c) }

// refText is a reference's text prepared for scoring many candidates.
type refText struct {
	words    map[string]bool
	segments [][]tokenize.Token // the text split at ". " and similar
	years    []int
}

// segmentBreak splits a reference where a title usually ends: a full
// stop, question or exclamation mark followed by space (not a colon:
// titles have subtitles), or a year in brackets.
var segmentBreak = regexp.MustCompile(`[.?!]\s+|\s\(\d{4}[a-z]?\)\s`)

func newRefText(ref string) *refText {
	r := &refText{words: map[string]bool{}}
	for _, seg := range segmentBreak.Split(ref, -1) {
		toks := tokenize.Scan(seg)
		for _, t := range toks {
			if t.Word != "" {
				r.words[t.Word] = true
			}
		}
		if len(toks) > 0 {
			r.segments = append(r.segments, toks)
		}
	}
	for _, m := range yearPattern.FindAllStringSubmatch(ref, -1) {
		y, _ := strconv.Atoi(m[1])
		r.years = append(r.years, y)
	}
	return r
}

// titleTerms drops what a title shares with an author list: initials
// (one or two letters) and the given family names.
func titleTerms(toks []tokenize.Token, families map[string]bool) map[string]bool {
	out := make(map[string]bool, len(toks))
	for _, t := range toks {
		if families[t.Word] || (len([]rune(t.Word)) <= 2 && !isDigits(t.Word)) {
			continue
		}
		out[t.Term] = true
	}
	return out
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func (r *refText) score(c Candidate) float64 {
	fams := map[string]bool{}
	for _, f := range c.Families {
		for _, t := range tokenize.Scan(f) {
			fams[t.Word] = true
		}
	}
	// The title part is the Dice overlap of the candidate's title with
	// the part of the reference that shares most terms with it, so a
	// short title contained in a longer one ("Leprosy." in "Leprosy
	// type 1 reactions and their management.") scores low.
	title := 0.0
	tt := titleTerms(tokenize.Scan(c.Title), fams)
	if len(tt) > 0 {
		// A title may itself hold a full stop ("Plasmodium spp. as"),
		// so runs of up to three consecutive segments are tried.
		segs := make([]map[string]bool, len(r.segments))
		for i, seg := range r.segments {
			segs[i] = titleTerms(seg, fams)
		}
		for i := range segs {
			run := map[string]bool{}
			for j := i; j < min(i+3, len(segs)); j++ {
				for t := range segs[j] {
					run[t] = true
				}
				hit := 0
				for t := range tt {
					if run[t] {
						hit++
					}
				}
				if d := 2 * float64(hit) / float64(len(tt)+len(run)); d > title {
					title = d
				}
			}
		}
	}
	author := 0.5
	if len(c.Families) > 0 {
		author = 0
		for i, f := range c.Families[:min(3, len(c.Families))] {
			if familyIn(f, r.words) {
				if i == 0 {
					author = 1
				} else {
					author = 0.5
				}
				break
			}
		}
	}
	year := 0.5
	if c.Year > 0 && len(r.years) > 0 {
		year = 0
		for _, y := range r.years {
			if y == c.Year {
				year = 1
				break
			}
			if y == c.Year-1 || y == c.Year+1 {
				year = 0.5
			}
		}
	}
	return weightTitle*title + weightAuthor*author + weightYear*year
}

// familyIn reports whether every word of a family name ("van Niel",
// "Al-Mayah") is among the reference's words.
func familyIn(family string, words map[string]bool) bool {
	toks := tokenize.Scan(family)
	n := 0
	for _, t := range toks {
		if t.Word == "" {
			continue
		}
		if !words[t.Word] {
			return false
		}
		n++
	}
	return n > 0
}

// Best returns the candidate with the highest match score (the first of
// equals, so the registry's ranking breaks ties) and its score.
func Best(ref string, cs []Candidate) (Candidate, float64, bool) {
	var best Candidate
	bestScore, found := -1.0, false
	r := newRefText(ref)
	for _, c := range cs {
		if c.DOI == "" {
			continue
		}
		if s := r.score(c); s > bestScore {
			best, bestScore, found = c, s, true
		}
	}
	return best, bestScore, found
}

// searchText is the reference text sent to the registry: its DOI-less
// words, without a leading number like "12." or "[12]".
func searchText(text string) string {
	t := strings.TrimSpace(text)
	t = strings.TrimLeft(t, "[(")
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i > 0 && i < len(t) && strings.ContainsRune(".])", rune(t[i])) {
		t = t[i+1:]
	}
	return strings.Join(strings.Fields(t), " ")
}

// Scorer scores candidates against one reference's text.
type Scorer struct{ r *refText }

// NewScorer prepares ref for scoring many candidates with Score.
func NewScorer(ref string) Scorer { return Scorer{newRefText(ref)} }

// Score is MatchScore(ref, c).
func (s Scorer) Score(c Candidate) float64 { return s.r.score(c) }
