package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/store"
)

func TestBuild(t *testing.T) {
	t.Parallel()
	at := func(min int) time.Time { return time.Date(2026, 3, 1, 10, min, 0, 0, time.UTC) }
	recs := []store.QuestionRecord{
		{ID: "1", PaperID: "p1", Question: "What dose was used?", Lang: "en_US", Mode: "extractive", Answerable: true, Asked: at(1), Rating: store.RatingUp},
		{ID: "0", PaperID: "p1", Question: "What dose was used?", Lang: "en_US", Mode: "extractive", Answerable: true, Asked: at(0)},
		{ID: "2", PaperID: "p1", Question: "what  dose was used", Lang: "en_US", Mode: "llm", Answerable: true, Asked: at(2)},
		{ID: "3", PaperID: "p1", Question: "What DOSE was used？", Lang: "zh_CN", Mode: "extractive", Answerable: true, Asked: at(3), Rating: store.RatingDown, Note: "it was 2 Gy"},
		{ID: "4", PaperID: "p1", Question: "Who funded it?", Lang: "en_US", Mode: "extractive", Answerable: false, Asked: at(4)},
		{ID: "5", PaperID: "p1", Question: "Who funded it?", Lang: "en_US", Mode: "extractive", Answerable: false, Asked: at(5), Rating: store.RatingDown},
		{ID: "6", PaperID: "gone", Question: "Is it open access?", Lang: "en_US", Mode: "extractive", Answerable: false, Asked: at(6), Rating: store.RatingDown, Note: "=HYPERLINK(\"x\")"},
		{ID: "7", PaperID: "gone", Question: "Is it open access?", Lang: "en_US", Mode: "extractive", Answerable: false, Asked: at(7), Rating: store.RatingDown},
		{ID: "8", PaperID: "gone", Question: "Is it open access?", Lang: "en_US", Mode: "extractive", Answerable: false, Asked: at(8), Rating: store.RatingDown},
	}
	titles := map[string]string{"p1": "Paper one"}
	now := at(30)

	rep := Build(append([]store.QuestionRecord(nil), recs...), titles, SortAsked, now)
	if rep.Totals != (Counts{Asked: 9, Refused: 5, Up: 1, Down: 5}) {
		t.Errorf("totals = %+v", rep.Totals)
	}
	if len(rep.Papers) != 2 || rep.Papers[0].PaperID != "p1" || rep.Papers[0].Asked != 6 || rep.Papers[0].Title != "Paper one" || rep.Papers[0].Langs["zh_CN"] != 1 {
		t.Errorf("papers = %+v", rep.Papers)
	}
	if len(rep.Questions) != 3 {
		t.Fatalf("questions = %+v, want 3 groups", rep.Questions)
	}
	dose := rep.Questions[0]
	if dose.Question != "What DOSE was used？" || dose.Asked != 4 || dose.Up != 1 || dose.Down != 1 ||
		strings.Join(dose.Langs, ",") != "en_US,zh_CN" || strings.Join(dose.Modes, ",") != "extractive,llm" ||
		len(dose.Notes) != 1 || !dose.LastAsked.Equal(at(3)) {
		t.Errorf("most asked = %+v", dose)
	}
	for _, tt := range []struct {
		sort, first string
	}{
		{SortAsked, "What DOSE was used？"},
		{SortRefused, "Is it open access?"},
		{SortDown, "Is it open access?"},
	} {
		got := Build(append([]store.QuestionRecord(nil), recs...), titles, tt.sort, now)
		if got.Questions[0].Question != tt.first || got.Sort != tt.sort {
			t.Errorf("sort %s: first %q, want %q", tt.sort, got.Questions[0].Question, tt.first)
		}
	}
	if got := Build(nil, nil, "bogus", now); got.Sort != SortAsked || got.Questions == nil || got.Papers == nil {
		t.Errorf("empty report = %+v", got)
	}

	var b bytes.Buffer
	if err := rep.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || strings.Join(rows[0], ",") != strings.Join(CSVHeader, ",") {
		t.Fatalf("csv rows = %q", rows)
	}
	for _, row := range rows[1:] {
		if row[0] == "gone" && row[10] != `'=HYPERLINK("x")` {
			t.Errorf("formula note not defused: %q", row[10])
		}
	}
}
