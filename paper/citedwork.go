package paper

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Statuses of a cited work, from the notices that update it. A work with
// several notices takes the gravest: retracted, then withdrawn, then an
// expression of concern, then corrected.
const (
	StatusRetracted = "retracted"
	StatusWithdrawn = "withdrawn"
	StatusConcern   = "expression_of_concern"
	StatusCorrected = "corrected"
)

// StatusRank orders statuses by gravity: 0 for none, 4 for retracted.
func StatusRank(s string) int {
	switch s {
	case StatusRetracted:
		return 4
	case StatusWithdrawn:
		return 3
	case StatusConcern:
		return 2
	case StatusCorrected:
		return 1
	}
	return 0
}

// CitedWork is what the registry (Crossref) records about a work that a
// reference cites. It comes from enrichment, never from the citing
// paper, and is shared by every paper that cites the same DOI.
type CitedWork struct {
	DOI       string   `json:"doi"`
	Title     string   `json:"title,omitempty"`
	Authors   []string `json:"authors,omitempty"`
	Container string   `json:"container,omitempty"`
	Year      int      `json:"year,omitempty"`
	// Abstract is plain text (the registry's JATS markup removed), or
	// empty when none was deposited.
	Abstract string `json:"abstract,omitempty"`
	// Status is empty or one of the Status constants; NoticeDOI names the
	// notice (retraction, correction…) that set it and StatusDate is that
	// notice's date as YYYY, YYYY-MM or YYYY-MM-DD.
	Status     string `json:"status,omitempty"`
	NoticeDOI  string `json:"notice_doi,omitempty"`
	StatusDate string `json:"status_date,omitempty"`
	// Fetched is when the registry was asked.
	Fetched time.Time `json:"fetched"`
}

// Found reports whether the registry knew the work: a DOI the registry
// answered "not found" for is cached with no title, so it is not asked
// again.
func (w *CitedWork) Found() bool { return w != nil && w.Title != "" }

// How a reference's DOI was found, in ReferenceLink.Match.
const (
	// MatchDeposited: the paper gave the reference's DOI.
	MatchDeposited = "deposited"
	// MatchText: the DOI was written in the reference's text.
	MatchText = "text"
	// MatchQuery: a bibliographic search found a work scoring at least
	// the acceptance threshold.
	MatchQuery = "query"
	// MatchNone: the search found nothing above the threshold; Score is
	// the best candidate's.
	MatchNone = "none"
)

// ReferenceLink records which work one reference of a paper was resolved
// to, and how. RefKey ties it to the reference's content, so a re-ingested
// paper whose reference n changed does not inherit the old link.
type ReferenceLink struct {
	N      int     `json:"n"`
	RefKey string  `json:"ref_key"`
	DOI    string  `json:"doi,omitempty"`
	Match  string  `json:"match"`
	Score  float64 `json:"score,omitempty"`
	// Work is the cached work for DOI, filled in when links are read;
	// nil when the work has not been fetched yet.
	Work *CitedWork `json:"-"`
}

// RefKey identifies a reference's content: the hex SHA-256 (first 16
// bytes) of its deposited DOI and its text with space squashed.
func RefKey(r Reference) string {
	h := sha256.Sum256([]byte(NormalizeDOI(r.DOI) + "\n" + strings.Join(strings.Fields(r.Text), " ")))
	return hex.EncodeToString(h[:16])
}

// Cited is the enrichment shown with a reference: the resolved work and
// how it was matched.
type Cited struct {
	DOI        string  `json:"doi"`
	Match      string  `json:"match"`
	MatchScore float64 `json:"match_score,omitempty"`
	Title      string  `json:"title,omitempty"`
	Container  string  `json:"container,omitempty"`
	Year       int     `json:"year,omitempty"`
	Abstract   string  `json:"abstract,omitempty"`
}

// Enrich attaches links to p's references: a reference whose link still
// matches its content (RefKey) gains the resolved DOI when it had none,
// its cited work's metadata and abstract in Cited, and the work's status.
// Links for other numbers or content are ignored.
func (p *Paper) Enrich(links []ReferenceLink) {
	if len(links) == 0 {
		return
	}
	byN := make(map[int]*ReferenceLink, len(links))
	for i := range links {
		byN[links[i].N] = &links[i]
	}
	for i := range p.References {
		r := &p.References[i]
		l, ok := byN[r.N]
		if !ok || l.DOI == "" || l.RefKey != RefKey(*r) {
			continue
		}
		if r.DOI == "" {
			r.DOI = l.DOI
		}
		c := &Cited{DOI: l.DOI, Match: l.Match, MatchScore: l.Score}
		if w := l.Work; w.Found() {
			c.Title, c.Container, c.Year, c.Abstract = w.Title, w.Container, w.Year, w.Abstract
			r.Status, r.NoticeDOI, r.StatusDate = w.Status, w.NoticeDOI, w.StatusDate
		}
		r.Cited = c
	}
}

var (
	// A DOI holds no space or control character of any kind (\s alone
	// misses \v and Unicode spaces, which TrimSpace would later eat).
	doiPattern = regexp.MustCompile(`^10\.\d{4,9}/[^\s"\p{C}\p{Z}]+$`)
	doiInText  = regexp.MustCompile(`(?i)\b10\.\d{4,9}/[^\s"\p{C}\p{Z}]+`)
)

// NormalizeDOI returns doi in the form used as a key: without a
// resolver URL or "doi:" prefix, percent-decoded, without trailing
// punctuation, lower-cased (DOIs are case-insensitive). It returns ""
// when what remains is not a DOI (10.NNNN/suffix).
func NormalizeDOI(doi string) string {
	s := strings.TrimSpace(doi)
	low := strings.ToLower(s)
	for _, p := range []string{"https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi.org/", "dx.doi.org/", "doi:", "doi "} {
		if strings.HasPrefix(low, p) {
			s, low = strings.TrimSpace(s[len(p):]), strings.TrimSpace(low[len(p):])
			break
		}
	}
	if strings.Contains(s, "%") {
		if u, err := url.PathUnescape(s); err == nil {
			s = u
		}
	}
	s = strings.ToLower(trimTrailing(s))
	if len(s) > 256 || !doiPattern.MatchString(s) {
		return ""
	}
	return s
}

// FindDOI returns the first DOI written in text, normalised, or "".
func FindDOI(text string) string {
	for _, m := range doiInText.FindAllString(text, 3) {
		if d := NormalizeDOI(m); d != "" {
			return d
		}
	}
	return ""
}

// trimTrailing drops punctuation that ends a sentence rather than a DOI,
// keeping a closing bracket the DOI itself opened, as in
// 10.1016/0006-2952(85)90254-x.
func trimTrailing(s string) string {
	for s != "" {
		c := s[len(s)-1]
		switch c {
		case '.', ',', ';', ':', '\'', '"':
		case ')', ']', '}':
			open := map[byte]byte{')': '(', ']': '[', '}': '{'}[c]
			if strings.Count(s, string(open)) >= strings.Count(s, string(c)) {
				return s
			}
		default:
			return s
		}
		s = s[:len(s)-1]
	}
	return s
}

// CitedChunks returns one chunk per reference whose cited work's
// abstract enrichment found (Paper.Enrich): kind KindCited, the
// reference's number, the cited work's title and abstract. They follow
// the paper's own chunks, so the paper's chunk positions do not move.
func CitedChunks(p *Paper) []Chunk {
	var out []Chunk
	for _, r := range p.References {
		if r.Cited == nil || r.Cited.Abstract == "" {
			continue
		}
		text := r.Cited.Abstract
		if t := strings.TrimSpace(r.Cited.Title); t != "" {
			text = strings.TrimRight(t, ".") + ". " + text
		}
		out = append(out, Chunk{ID: "c" + strconv.Itoa(r.N), Kind: KindCited, N: r.N, Lang: "en", Text: text})
	}
	return out
}

// Unenriched returns a copy of p without enrichment: the form that is
// stored and hashed. p is not changed.
func (p *Paper) Unenriched() *Paper {
	q := *p
	q.References = make([]Reference, len(p.References))
	for i, r := range p.References {
		if r.Cited != nil && r.Cited.Match != MatchDeposited && NormalizeDOI(r.DOI) == r.Cited.DOI {
			r.DOI = "" // resolved by enrichment, not given with the paper
		}
		r.Status, r.NoticeDOI, r.StatusDate, r.Cited = "", "", "", nil
		q.References[i] = r
	}
	if p.References == nil {
		q.References = nil
	}
	return &q
}

// Enriched returns a copy of p with links attached (Enrich); p is not
// changed.
func (p *Paper) Enriched(links []ReferenceLink) *Paper {
	q := *p
	q.References = append([]Reference(nil), p.References...)
	q.Enrich(links)
	return &q
}
