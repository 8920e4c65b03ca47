package crossref

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestDateParts(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		json string
		y, m int
		d    int
		s    string
	}{
		{`{"date-parts":[[2020,5,17]]}`, 2020, 5, 17, "2020-05-17"},
		{`{"date-parts":[["2020","05"]]}`, 2020, 5, 0, "2020-05"},
		{`{"date-parts":[[2020]]}`, 2020, 0, 0, "2020"},
		{`{"date-parts":[[2020,13,1]]}`, 2020, 0, 0, "2020"},    // a bad month says nothing of the day
		{`{"date-parts":[[2020,2,32]]}`, 2020, 2, 0, "2020-02"}, // nor a bad day of the month
		{`{"date-parts":[[3001,1,1]]}`, 0, 0, 0, ""},
		{`{"date-parts":[[null]]}`, 0, 0, 0, ""},
		{`{"date-parts":[[-5]]}`, 0, 0, 0, ""},
		{`{"date-parts":[]}`, 0, 0, 0, ""},
	} {
		var d Date
		if err := json.Unmarshal([]byte(tt.json), &d); err != nil {
			t.Fatalf("%s: %v", tt.json, err)
		}
		y, m, day := d.Parts()
		if y != tt.y || m != tt.m || day != tt.d || d.String() != tt.s {
			t.Errorf("%s: got %d %d %d %q, want %d %d %d %q", tt.json, y, m, day, d.String(), tt.y, tt.m, tt.d, tt.s)
		}
	}
	var none *Date
	if y, _, _ := none.Parts(); y != 0 || none.String() != "" {
		t.Errorf("nil date: year %d, %q", y, none.String())
	}
}

func TestWorkFields(t *testing.T) {
	t.Parallel()
	var w Work
	err := json.Unmarshal([]byte(`{"title":["<i>Deep</i> nets"],"subtitle":["a review"],"container-title":[" Nature "],
		"published-online":{"date-parts":[[2019]]},"published-print":{"date-parts":[[2020]]},
		"author":[{"given":" Ada ","family":"Lovelace"},{"name":"The Consortium"},{"given":"","family":""}]}`), &w)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.FullTitle(); got != "Deep nets: a review" {
		t.Errorf("title %q", got)
	}
	if got := w.Container(); got != "Nature" {
		t.Errorf("container %q", got)
	}
	if got := w.Year(); got != 2020 { // print before online when nothing was issued
		t.Errorf("year %d", got)
	}
	names, fams := w.Authors()
	if want := []string{"Ada Lovelace", "The Consortium"}; !slices.Equal(names, want) {
		t.Errorf("names %q, want %q", names, want)
	}
	if want := []string{"Lovelace", "The Consortium"}; !slices.Equal(fams, want) {
		t.Errorf("families %q, want %q", fams, want)
	}
}
