package crossref

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chatpaper/chatpaper/paper"
)

func TestStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, message        string
		status, notice, date string
	}{
		{"none", `{"DOI":"10.1000/a","title":["A"]}`, "", "", ""},
		{"expression of concern", `{"DOI":"10.1000/a","title":["A"],"updated-by":[{"DOI":"10.1000/eoc","type":"expression_of_concern","updated":{"date-parts":[[2022,5]]},"source":"retraction-watch"}]}`,
			paper.StatusConcern, "10.1000/eoc", "2022-05"},
		{"withdrawal", `{"DOI":"10.1000/a","title":["A"],"updated-by":[{"DOI":"10.1000/W","type":"withdrawal","updated":{"date-parts":[[2019]]}}]}`,
			paper.StatusWithdrawn, "10.1000/w", "2019"},
		{"retraction outranks a later correction", `{"DOI":"10.1000/a","title":["A"],"updated-by":[
			{"DOI":"10.1000/c","type":"correction","updated":{"date-parts":[[2023,1,2]]}},
			{"DOI":"10.1000/r","type":"retraction","updated":{"date-parts":[[2020,6,7]]}}]}`,
			paper.StatusRetracted, "10.1000/r", "2020-06-07"},
		{"latest of two corrections", `{"DOI":"10.1000/a","title":["A"],"updated-by":[
			{"DOI":"10.1000/c1","type":"erratum","updated":{"date-parts":[[2018,1,1]]}},
			{"DOI":"10.1000/c2","type":"corrigendum","updated":{"date-parts":[[2019,2,2]]}}]}`,
			paper.StatusCorrected, "10.1000/c2", "2019-02-02"},
		{"new version says nothing", `{"DOI":"10.1000/a","title":["A"],"updated-by":[{"DOI":"10.1000/v2","type":"new_version"}]}`, "", "", ""},
		{"relations say nothing of standing", `{"DOI":"10.1000/a","title":["A"],"relation":{"has-preprint":[{"id-type":"doi","id":"10.1000/P","asserted-by":"subject"}]}}`,
			"", "", ""},
		{"title prefix", `{"DOI":"10.1000/a","title":["RETRACTED: A study"]}`, paper.StatusRetracted, "", ""},
		{"the notice itself is not flagged", `{"DOI":"10.1000/r","title":["Retraction notice"],"update-to":[{"DOI":"10.1000/a","type":"retraction"}]}`, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := decodeWork([]byte(`{"status":"ok","message-type":"work","message":`+tt.message+`}`), time.Unix(0, 0))
			if err != nil {
				t.Fatal(err)
			}
			if w.Status != tt.status || w.NoticeDOI != tt.notice || w.StatusDate != tt.date {
				t.Errorf("status = %q %q %q, want %q %q %q", w.Status, w.NoticeDOI, w.StatusDate, tt.status, tt.notice, tt.date)
			}
		})
	}
}

func TestDecodeBoundsARecord(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("word ", 5000)
	w, err := decodeWork([]byte(`{"message":{"DOI":"10.1000/a","title":["`+long+`"],"abstract":"<jats:p>`+long+long+long+`</jats:p>"}}`), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if n := utf8.RuneCountInString(w.Title); n > maxTitleRunes+1 {
		t.Errorf("title of %d runes", n)
	}
	if n := utf8.RuneCountInString(w.Abstract); n > maxAbstractRunes+1 || !strings.HasSuffix(w.Abstract, "…") {
		t.Errorf("abstract of %d runes", n)
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	for _, body := range []string{``, `{`, `{"message-type":"work-list","message":{}}`, `{"message":{"title":["no DOI"]}}`, `{"message":{"DOI":5}}`} {
		if _, err := decodeWork([]byte(body), time.Time{}); err == nil {
			t.Errorf("decodeWork(%q) succeeded", body)
		}
	}
	if _, err := decodeList([]byte(`{"message-type":"work","message":{}}`)); err == nil {
		t.Error("decodeList of a single work succeeded")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"status":"ok","message-type":"work","message":{"DOI":"10.1000/a","title":["<i>A</i>"],"abstract":"<jats:p>x</jats:p>","updated-by":[{"DOI":"10.1000/r","type":"retraction","updated":{"date-parts":[[2020,1,1]]}}]}}`))
	f.Add([]byte(`{"message-type":"work-list","message":{"items":[{"DOI":"10.1000/a","score":3.5,"author":[{"family":"X"}],"issued":{"date-parts":[["2020"]]}}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if w, err := decodeWork(b, time.Time{}); err == nil {
			if w.DOI == "" || paper.StatusRank(w.Status) == 0 && w.Status != "" {
				t.Errorf("decodeWork gave %+v", w)
			}
		}
		if cs, err := decodeList(b); err == nil {
			for _, c := range cs {
				if c.DOI == "" {
					t.Errorf("candidate without DOI: %+v", c)
				}
			}
		}
	})
}
