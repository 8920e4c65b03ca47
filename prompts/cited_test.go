package prompts

import "testing"

func TestRetractionNotice(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lang string
		fs   []Flagged
		want string
	}{
		{"en_US", nil, ""},
		{"en_US", []Flagged{{N: 62, Status: "retracted", Date: "2021-03-15"}}, "Note: [62] was retracted (2021-03-15), so what it reports should not be relied on."},
		{"en_US", []Flagged{{N: 62, Status: "retracted"}, {N: 70, Status: "withdrawn", Date: "2019"}}, "Note: [62] was retracted; [70] was withdrawn (2019), so what it reports should not be relied on."},
		{"zh_CN", []Flagged{{N: 62, Status: "retracted", Date: "2021-03-15"}}, "注意：[62] 已被撤稿（2021-03-15），其结论不宜采信。"},
	}
	for _, tt := range tests {
		got, err := RetractionNotice(tt.lang, tt.fs)
		if err != nil || got != tt.want {
			t.Errorf("RetractionNotice(%s, %v) = %q, %v; want %q", tt.lang, tt.fs, got, err, tt.want)
		}
	}
}

func TestCitedWorkQuotes(t *testing.T) {
	t.Parallel()
	got, err := CitedWorkQuotes("en_US", []CitedQuote{{N: 49, Quote: "Radiation increases uptake."}})
	if want := "The cited work [49] itself reports, in its abstract (from the cited work, not from this paper): “Radiation increases uptake.”"; err != nil || got != want {
		t.Errorf("en: %q, %v", got, err)
	}
	got, err = CitedWorkQuotes("zh_CN", []CitedQuote{{N: 49, Quote: "Radiation increases uptake."}})
	if want := "被引文献 [49] 的摘要（出自该被引文献，而非本文）指出：“Radiation increases uptake.”"; err != nil || got != want {
		t.Errorf("zh: %q, %v", got, err)
	}
	if got, _ := CitedWorkQuotes("en_US", nil); got != "" {
		t.Errorf("none: %q", got)
	}
}
