// Package report builds the questions report a journal's editors read:
// what readers asked about each paper, what the paper could not answer,
// and what readers thought of the answers.
package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/chatpaper/chatpaper/store"
)

// Sort orders of the report's questions.
const (
	SortAsked   = "asked"   // most asked first
	SortRefused = "refused" // most often refused first
	SortDown    = "down"    // most thumbs-down first
)

// ValidSort reports whether s names a sort order.
func ValidSort(s string) bool { return s == SortAsked || s == SortRefused || s == SortDown }

// MaxNotes bounds the notes kept per question group, newest first.
const MaxNotes = 20

// Counts are the tallies of a set of asked questions.
type Counts struct {
	Asked   int `json:"asked"`
	Refused int `json:"refused"`
	Up      int `json:"up"`
	Down    int `json:"down"`
}

func (c *Counts) add(r store.QuestionRecord) {
	c.Asked++
	if !r.Answerable {
		c.Refused++
	}
	switch r.Rating {
	case store.RatingUp:
		c.Up++
	case store.RatingDown:
		c.Down++
	}
}

// Paper is one paper's line of the report.
type Paper struct {
	PaperID string `json:"paper_id"`
	Title   string `json:"title"`
	Counts
	// Langs counts the questions by reader language.
	Langs map[string]int `json:"langs"`
}

// Question is one question as readers asked it about one paper: the
// records whose text is the same up to case, spacing and the final
// question mark.
type Question struct {
	PaperID  string `json:"paper_id"`
	Title    string `json:"title"`
	Question string `json:"question"`
	Counts
	Langs []string `json:"langs"`
	Modes []string `json:"modes"`
	// Notes are the readers' feedback notes, newest first.
	Notes     []string  `json:"notes"`
	LastAsked time.Time `json:"last_asked"`
}

// Report is the questions report.
type Report struct {
	Generated time.Time `json:"generated"`
	// Since is the earliest time covered, when the request bounded it.
	Since     *time.Time `json:"since,omitempty"`
	PaperID   string     `json:"paper_id,omitempty"`
	Sort      string     `json:"sort"`
	Totals    Counts     `json:"totals"`
	Papers    []Paper    `json:"papers"`
	Questions []Question `json:"questions"`
}

// Build aggregates records (any order) into a report. titles maps paper
// ids to titles; a paper missing from it (deleted since) keeps its id.
// Papers are ordered by questions asked; questions by sortBy, then by
// the other counts, then most recent.
func Build(records []store.QuestionRecord, titles map[string]string, sortBy string, now time.Time) *Report {
	if !ValidSort(sortBy) {
		sortBy = SortAsked
	}
	rep := &Report{Generated: now.UTC(), Sort: sortBy, Papers: []Paper{}, Questions: []Question{}}
	papers := map[string]*Paper{}
	groups := map[string]*Question{}
	langs := map[string]map[string]bool{}
	modes := map[string]map[string]bool{}
	// Newest first, so a group's shown wording and notes are the latest.
	sort.SliceStable(records, func(i, j int) bool { return records[i].Asked.After(records[j].Asked) })
	for _, r := range records {
		rep.Totals.add(r)
		p := papers[r.PaperID]
		if p == nil {
			p = &Paper{PaperID: r.PaperID, Title: titles[r.PaperID], Langs: map[string]int{}}
			papers[r.PaperID] = p
		}
		p.add(r)
		p.Langs[r.Lang]++
		key := r.PaperID + "\x00" + normalize(r.Question)
		g := groups[key]
		if g == nil {
			g = &Question{PaperID: r.PaperID, Title: titles[r.PaperID], Question: r.Question, LastAsked: r.Asked.UTC(), Notes: []string{}}
			groups[key] = g
			langs[key], modes[key] = map[string]bool{}, map[string]bool{}
		}
		g.add(r)
		langs[key][r.Lang] = true
		modes[key][r.Mode] = true
		if r.Note != "" && len(g.Notes) < MaxNotes {
			g.Notes = append(g.Notes, r.Note)
		}
	}
	for _, p := range papers {
		rep.Papers = append(rep.Papers, *p)
	}
	sort.Slice(rep.Papers, func(i, j int) bool {
		a, b := rep.Papers[i], rep.Papers[j]
		if a.Asked != b.Asked {
			return a.Asked > b.Asked
		}
		return a.PaperID < b.PaperID
	})
	for key, g := range groups {
		g.Langs, g.Modes = keys(langs[key]), keys(modes[key])
		rep.Questions = append(rep.Questions, *g)
	}
	order := map[string][]func(Counts) int{
		SortAsked:   {func(c Counts) int { return c.Asked }, func(c Counts) int { return c.Refused }, func(c Counts) int { return c.Down }},
		SortRefused: {func(c Counts) int { return c.Refused }, func(c Counts) int { return c.Down }, func(c Counts) int { return c.Asked }},
		SortDown:    {func(c Counts) int { return c.Down }, func(c Counts) int { return c.Refused }, func(c Counts) int { return c.Asked }},
	}[sortBy]
	sort.Slice(rep.Questions, func(i, j int) bool {
		a, b := rep.Questions[i], rep.Questions[j]
		for _, f := range order {
			if x, y := f(a.Counts), f(b.Counts); x != y {
				return x > y
			}
		}
		if !a.LastAsked.Equal(b.LastAsked) {
			return a.LastAsked.After(b.LastAsked)
		}
		return a.Question < b.Question
	})
	return rep
}

// normalize is the grouping form of a question: lower-cased, spaces
// collapsed, trailing punctuation dropped.
func normalize(q string) string {
	q = strings.ToLower(strings.Join(strings.Fields(q), " "))
	return strings.TrimRightFunc(q, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) })
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		if k != "" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// CSVHeader names the columns WriteCSV writes.
var CSVHeader = []string{"paper_id", "title", "question", "asked", "refused", "thumbs_up", "thumbs_down", "langs", "modes", "last_asked", "notes"}

// WriteCSV writes the report's questions, one row per question, in the
// report's order. Several languages, modes or notes are joined with "; "
// (notes with " | "). Cells that a spreadsheet would run as a formula
// are prefixed with an apostrophe.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, q := range r.Questions {
		row := []string{
			q.PaperID, q.Title, q.Question,
			strconv.Itoa(q.Asked), strconv.Itoa(q.Refused), strconv.Itoa(q.Up), strconv.Itoa(q.Down),
			strings.Join(q.Langs, "; "), strings.Join(q.Modes, "; "),
			q.LastAsked.Format(time.RFC3339), strings.Join(q.Notes, " | "),
		}
		for i := range row {
			row[i] = cellSafe(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// cellSafe defuses reader-written text that a spreadsheet would evaluate
// (=, +, -, @ at the start).
func cellSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
