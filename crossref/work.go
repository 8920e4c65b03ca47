package crossref

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/chatpaper/chatpaper/enrich"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/paper/jats"
)

// message is the part of a Crossref work record ChatPaper reads.
type message struct {
	DOI            string     `json:"DOI"`
	Type           string     `json:"type"`
	Title          []string   `json:"title"`
	Subtitle       []string   `json:"subtitle"`
	ContainerTitle []string   `json:"container-title"`
	Abstract       string     `json:"abstract"`
	Issued         *dateParts `json:"issued"`
	PublishedPrint *dateParts `json:"published-print"`
	PublishedOnl   *dateParts `json:"published-online"`
	Author         []struct {
		Given  string `json:"given"`
		Family string `json:"family"`
		Name   string `json:"name"`
	} `json:"author"`
	// UpdatedBy lists the notices (retractions, corrections, …) that
	// update this work; Crossref includes the Retraction Watch data here.
	UpdatedBy []update `json:"updated-by"`
	// "update-to" is set on a notice itself (the works it updates); a
	// notice is not flagged for updating another work, so it is not read.
	// Neither is "relation" (preprints, versions, reviews…), which does
	// not carry a work's standing.
	Score float64 `json:"score"`
}

type update struct {
	DOI     string     `json:"DOI"`
	Type    string     `json:"type"`
	Label   string     `json:"label"`
	Source  string     `json:"source"`
	Updated *dateParts `json:"updated"`
}

type dateParts struct {
	DateParts [][]json.Number `json:"date-parts"`
}

// parts returns year, month and day (0 when absent or not numbers).
func (d *dateParts) parts() (y, m, day int) {
	if d == nil || len(d.DateParts) == 0 {
		return 0, 0, 0
	}
	p := d.DateParts[0]
	get := func(i int) int {
		if i >= len(p) {
			return 0
		}
		n, err := strconv.Atoi(p[i].String())
		if err != nil || n < 0 {
			return 0
		}
		return n
	}
	y, m, day = get(0), get(1), get(2)
	if y > 3000 || m > 12 || day > 31 {
		return 0, 0, 0
	}
	return y, m, day
}

// date renders the date as YYYY-MM-DD, YYYY-MM or YYYY, or "".
func (d *dateParts) date() string {
	y, m, day := d.parts()
	switch {
	case y == 0:
		return ""
	case m == 0:
		return fmt.Sprintf("%04d", y)
	case day == 0:
		return fmt.Sprintf("%04d-%02d", y, m)
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, m, day)
}

func (m *message) year() int {
	for _, d := range []*dateParts{m.Issued, m.PublishedPrint, m.PublishedOnl} {
		if y, _, _ := d.parts(); y != 0 {
			return y
		}
	}
	return 0
}

func (m *message) title() string {
	if len(m.Title) == 0 {
		return ""
	}
	t := jats.FragmentText(m.Title[0])
	if len(m.Subtitle) > 0 && strings.TrimSpace(m.Subtitle[0]) != "" {
		t += ": " + jats.FragmentText(m.Subtitle[0])
	}
	return t
}

// noticeStatus maps a Crossref update type to a status. Types outside
// the four statuses (new_version, reinstatement, …) say nothing about
// the work's standing and map to "".
func noticeStatus(typ string) string {
	switch strings.ToLower(strings.ReplaceAll(strings.TrimSpace(typ), "-", "_")) {
	case "retraction", "partial_retraction":
		return paper.StatusRetracted
	case "withdrawal", "removal":
		return paper.StatusWithdrawn
	case "expression_of_concern":
		return paper.StatusConcern
	case "correction", "erratum", "corrigendum", "addendum", "clarification":
		return paper.StatusCorrected
	}
	return ""
}

// status picks the gravest notice updating the work, the latest of equal
// gravity. A work without notices whose title the publisher prefixed
// with "RETRACTED:" or "WITHDRAWN:" (an older practice) gets that status
// with no notice.
func (m *message) status() (status, notice, date string) {
	for _, u := range m.UpdatedBy {
		s := noticeStatus(u.Type)
		if s == "" {
			continue
		}
		d := u.Updated.date()
		if r, cur := paper.StatusRank(s), paper.StatusRank(status); r > cur || (r == cur && d > date) {
			status, notice, date = s, paper.NormalizeDOI(u.DOI), d
		}
	}
	if status != "" {
		return status, notice, date
	}
	t := strings.ToUpper(strings.TrimSpace(firstOr(m.Title, "")))
	switch {
	case strings.HasPrefix(t, "RETRACTED:") || strings.HasPrefix(t, "RETRACTED ARTICLE:"):
		return paper.StatusRetracted, "", ""
	case strings.HasPrefix(t, "WITHDRAWN:"):
		return paper.StatusWithdrawn, "", ""
	}
	return "", "", ""
}

func firstOr(s []string, def string) string {
	if len(s) == 0 {
		return def
	}
	return s[0]
}

func (m *message) authors() (names, families []string) {
	for _, a := range m.Author {
		fam := strings.TrimSpace(a.Family)
		if n := strings.TrimSpace(strings.TrimSpace(a.Given) + " " + fam); n != "" {
			names = append(names, n)
		} else if n := strings.TrimSpace(a.Name); n != "" {
			names = append(names, n)
			fam = n
		}
		if fam != "" {
			families = append(families, fam)
		}
	}
	return names, families
}

// work converts the record into the domain form.
func (m *message) work(fetched time.Time) *paper.CitedWork {
	names, _ := m.authors()
	w := &paper.CitedWork{
		DOI:      paper.NormalizeDOI(m.DOI),
		Title:    m.title(),
		Authors:  names,
		Year:     m.year(),
		Abstract: jats.FragmentText(m.Abstract),
		Fetched:  fetched.UTC(),
	}
	if len(m.ContainerTitle) > 0 {
		w.Container = strings.TrimSpace(m.ContainerTitle[0])
	}
	// A record is data from outside: bound what it can add to a paper.
	w.Title, w.Container, w.Abstract = clip(w.Title, maxTitleRunes), clip(w.Container, maxTitleRunes), clip(w.Abstract, maxAbstractRunes)
	if len(w.Authors) > maxAuthors {
		w.Authors = w.Authors[:maxAuthors]
	}
	w.Status, w.NoticeDOI, w.StatusDate = m.status()
	return w
}

// candidate converts a search hit.
func (m *message) candidate() enrich.Candidate {
	_, fams := m.authors()
	c := enrich.Candidate{DOI: paper.NormalizeDOI(m.DOI), Title: m.title(), Families: fams, Year: m.year(), Score: m.Score}
	if len(m.ContainerTitle) > 0 {
		c.Container = strings.TrimSpace(m.ContainerTitle[0])
	}
	return c
}

// decodeWork reads a /works/{doi} response.
func decodeWork(body []byte, fetched time.Time) (*paper.CitedWork, error) {
	var env struct {
		Status      string  `json:"status"`
		MessageType string  `json:"message-type"`
		Message     message `json:"message"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("decode work: %w", err)
	}
	if env.MessageType != "" && env.MessageType != "work" {
		return nil, fmt.Errorf("decode work: message-type %q is not a work", env.MessageType)
	}
	w := env.Message.work(fetched)
	if w.DOI == "" {
		return nil, fmt.Errorf("decode work: record has no DOI")
	}
	return w, nil
}

// decodeList reads a /works?query… response.
func decodeList(body []byte) ([]enrich.Candidate, error) {
	var env struct {
		MessageType string `json:"message-type"`
		Message     struct {
			Items []message `json:"items"`
		} `json:"message"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("decode work list: %w", err)
	}
	if env.MessageType != "" && env.MessageType != "work-list" {
		return nil, fmt.Errorf("decode work list: message-type %q is not a work list", env.MessageType)
	}
	out := make([]enrich.Candidate, 0, len(env.Message.Items))
	for i := range env.Message.Items {
		if c := env.Message.Items[i].candidate(); c.DOI != "" {
			out = append(out, c)
		}
	}
	return out, nil
}

// Bounds on what one record contributes: generous for real works (the
// longest abstracts run to a few thousand characters).
const (
	maxTitleRunes    = 1000
	maxAbstractRunes = 10000
	maxAuthors       = 100
)

// clip cuts s to at most n runes, at a space when one is near.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := n
	for cut > n*9/10 && r[cut] != ' ' {
		cut--
	}
	return strings.TrimSpace(string(r[:cut])) + "…"
}
