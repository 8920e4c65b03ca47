package dict

import (
	"slices"
	"testing"
)

func TestTranslate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want map[string]string // Chinese word → one gloss it must have
	}{
		{"哪些文献研究了树突状细胞来源的外泌体用于癌症治疗？", map[string]string{"树突状细胞": "dendritic cell", "外泌体": "exosome", "癌症": "cancer"}},
		{"放射治疗有哪些机遇和挑战？", map[string]string{"放射治疗": "radiotherapy", "机遇": "opportunity", "挑战": "challenge"}},
		{"埃菲尔铁塔有多高？", map[string]string{"埃菲尔铁塔": "eiffel tower"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := map[string][]string{}
			for _, w := range Translate(tt.in) {
				got[w.Zh] = w.En
			}
			for zh, en := range tt.want {
				if !slices.Contains(got[zh], en) {
					t.Errorf("%s: glosses %q, want one to be %q (segments %v)", zh, got[zh], en, got)
				}
			}
			if gs, ok := got["哪些"]; ok && len(gs) > 0 {
				t.Errorf("function word 哪些 got glosses %q", gs)
			}
		})
	}
}

func TestTranslateSkipsNonHan(t *testing.T) {
	t.Parallel()
	ws := Translate("miR-1246 与 DNA 损伤")
	var zh []string
	for _, w := range ws {
		zh = append(zh, w.Zh)
	}
	if want := []string{"与", "损伤"}; !slices.Equal(zh, want) {
		t.Errorf("segments %q, want %q", zh, want)
	}
}

func TestSegmentKeepsKnownWordsWhole(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"对外泌体", []string{"对", "外泌体"}},
		{"研究了对外泌体的摄取", []string{"研究", "了", "对", "外泌体", "的", "摄取"}},
		{"癌症治疗", []string{"癌症", "治疗"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got []string
			for _, w := range Translate(tt.in) {
				got = append(got, w.Zh)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Translate(%q) segments %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSensesHoldEveryGloss(t *testing.T) {
	for _, w := range Translate("裂解") {
		if w.Zh == "裂解" && !(len(w.Senses) >= 2 && slices.Equal(w.En, w.Senses)) {
			t.Errorf("裂解: En %q Senses %q, want every gloss in both", w.En, w.Senses)
		}
	}
}
