package rag

import (
	"reflect"
	"testing"

	"github.com/chatpaper/chatpaper/paper"
)

func TestMentionedRefs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		q    string
		want []int
	}{
		{"What did [49] find?", []int{49}},
		{"Compare [3, 5] and reference 12.", []int{3, 5, 12}},
		{"what does ref. 7 say", []int{7}},
		{"第12篇参考文献讲了什么？", []int{12}},
		{"文献[49]发现了什么", []int{49}},
		{"How do exosomes mediate bystander effects?", nil},
		{"What happened in 2015?", nil},
	}
	for _, tt := range tests {
		if got := MentionedRefs(tt.q); !reflect.DeepEqual(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
			t.Errorf("MentionedRefs(%q) = %v, want %v", tt.q, got, tt.want)
		}
	}
}

func TestNotice(t *testing.T) {
	t.Parallel()
	cs := []Citation{{N: 9}, {N: 44, Status: paper.StatusCorrected}, {N: 62, Status: paper.StatusRetracted, StatusDate: "2021-03-15"}}
	if got, want := Notice(paper.LangEN, cs), "Note: [62] was retracted (2021-03-15), so what it reports should not be relied on."; got != want {
		t.Errorf("Notice = %q, want %q", got, want)
	}
	if got := Notice(paper.LangZH, cs[:2]); got != "" {
		t.Errorf("Notice without retracted citations = %q", got)
	}
}
