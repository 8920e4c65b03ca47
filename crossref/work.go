package crossref

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/chatpaper/chatpaper/enrich"
	"github.com/chatpaper/chatpaper/paper"
	pcrossref "github.com/chatpaper/chatpaper/paper/crossref"
	"github.com/chatpaper/chatpaper/paper/jats"
)

// message is a Crossref work record: the one reader of Crossref's JSON
// that ingest uses too.
type message struct{ pcrossref.Work }

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
		d := u.Updated.String()
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

// work converts the record into the domain form.
func (m *message) work(fetched time.Time) *paper.CitedWork {
	names, _ := m.Authors()
	w := &paper.CitedWork{
		DOI:       paper.NormalizeDOI(m.DOI),
		Title:     m.FullTitle(),
		Authors:   names,
		Year:      m.Year(),
		Container: m.Container(),
		Abstract:  jats.FragmentText(m.Abstract),
		Fetched:   fetched.UTC(),
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
	_, fams := m.Authors()
	return enrich.Candidate{DOI: paper.NormalizeDOI(m.DOI), Title: m.FullTitle(), Families: fams, Year: m.Year(), Container: m.Container(), Score: m.Score}
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
