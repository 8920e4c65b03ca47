package crossref

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/chatpaper/chatpaper/paper/jats"
)

// Work is the part of a Crossref work record ChatPaper reads, both when a
// record is ingested as a paper (Parse) and when a cited work is looked up
// to enrich a reference (package crossref at the top level). It is the
// "message" of an api.crossref.org /works/{doi} answer, or one item of a
// /works?query answer.
type Work struct {
	DOI            string   `json:"DOI"`
	Type           string   `json:"type"`
	Title          []string `json:"title"`
	Subtitle       []string `json:"subtitle"`
	ContainerTitle []string `json:"container-title"`
	Abstract       string   `json:"abstract"`
	Issued         *Date    `json:"issued"`
	PublishedPrint *Date    `json:"published-print"`
	PublishedOnl   *Date    `json:"published-online"`
	Author         []Author `json:"author"`
	// UpdatedBy lists the notices (retractions, corrections, …) that
	// update this work; Crossref includes the Retraction Watch data here.
	// "update-to" is set on a notice itself (the works it updates) and
	// "relation" (preprints, versions, reviews…) does not carry a work's
	// standing, so neither is read.
	UpdatedBy []Update `json:"updated-by"`
	// Score is the search relevance Crossref gives a /works?query item.
	Score     float64     `json:"score"`
	Reference []reference `json:"reference"`
}

// Author is one contributor: a person (Given, Family) or an organisation
// (Name).
type Author struct {
	Given  string `json:"given"`
	Family string `json:"family"`
	Name   string `json:"name"`
}

// Update is one notice updating a work.
type Update struct {
	DOI     string `json:"DOI"`
	Type    string `json:"type"`
	Label   string `json:"label"`
	Source  string `json:"source"`
	Updated *Date  `json:"updated"`
}

// Date is Crossref's {"date-parts": [[year, month, day]]}, where month
// and day may be missing and any part may be a number, a string ("05")
// or null.
type Date struct {
	DateParts [][]flexString `json:"date-parts"`
}

// Parts returns year, month and day. A part that is missing or not a
// plausible number is 0, and so is every part after it: a month means
// nothing without its year.
func (d *Date) Parts() (y, m, day int) {
	if d == nil || len(d.DateParts) == 0 {
		return 0, 0, 0
	}
	p := d.DateParts[0]
	get := func(i, max int) int {
		if i >= len(p) {
			return 0
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(p[i])))
		if err != nil || n <= 0 || n > max {
			return 0
		}
		return n
	}
	if y = get(0, 3000); y == 0 {
		return 0, 0, 0
	}
	if m = get(1, 12); m == 0 {
		return y, 0, 0
	}
	return y, m, get(2, 31)
}

// String renders the date as YYYY-MM-DD, YYYY-MM or YYYY, or "" when it
// has no year.
func (d *Date) String() string {
	y, m, day := d.Parts()
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

// Year is the year of issue, else of print, else of online publication;
// 0 when none is given.
func (w *Work) Year() int {
	for _, d := range []*Date{w.Issued, w.PublishedPrint, w.PublishedOnl} {
		if y, _, _ := d.Parts(); y != 0 {
			return y
		}
	}
	return 0
}

// FullTitle is the title as plain text, with the subtitle after a colon.
func (w *Work) FullTitle() string {
	if len(w.Title) == 0 {
		return ""
	}
	t := jats.FragmentText(w.Title[0])
	if len(w.Subtitle) > 0 && strings.TrimSpace(w.Subtitle[0]) != "" {
		t += ": " + jats.FragmentText(w.Subtitle[0])
	}
	return t
}

// Container is the journal or book the work appeared in, or "".
func (w *Work) Container() string {
	if len(w.ContainerTitle) == 0 {
		return ""
	}
	return strings.TrimSpace(w.ContainerTitle[0])
}

// Authors returns each contributor's display name ("Given Family", or an
// organisation's name) and, in the same order, the family names a
// bibliographic match compares (an organisation's name stands for its
// family name). Contributors with no name are skipped.
func (w *Work) Authors() (names, families []string) {
	for _, a := range w.Author {
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
