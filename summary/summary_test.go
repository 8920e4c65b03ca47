package summary_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/internal/apptest"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/store/sqlite"
)

func TestSummary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	eng := apptest.NewEngine(t, st, nil)
	demo := paper.Demo()
	if err := eng.Ingest(ctx, demo); err != nil {
		t.Fatal(err)
	}
	en, err := eng.Summary(ctx, demo.ID, "en_US")
	if err != nil {
		t.Fatal(err)
	}
	if en.Heading != "Summary" || !strings.HasPrefix(en.Summary, "Radiotherapy is one of") || en.Source != "extractive" {
		t.Errorf("en summary = %+v", en)
	}
	if got, want := en.KeyPoints[len(en.KeyPoints)-1], "The paper cites 103 references."; got != want {
		t.Errorf("last key point = %q, want %q", got, want)
	}
	zh, err := eng.Summary(ctx, demo.ID, "zh_CN")
	if err != nil {
		t.Fatal(err)
	}
	if zh.Heading != "文章概述" || zh.Source != "extractive" || !strings.Contains(zh.Summary, "Radiotherapy") {
		t.Errorf("zh summary without a Chinese abstract = %+v", zh)
	}

	withZh := *demo
	withZh.ID = "zh-paper"
	withZh.AbstractZh = "放射治疗是治疗多种实体瘤最有效的方法之一。外泌体在肿瘤微环境中发挥多种作用。本文综述了放疗条件下外泌体介导的细胞间相互作用。"
	if err := eng.Ingest(ctx, &withZh); err != nil {
		t.Fatal(err)
	}
	zh2, err := eng.Summary(ctx, "zh-paper", "zh_CN")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(zh2.Summary, "放射治疗") {
		t.Errorf("zh summary with a Chinese abstract = %q", zh2.Summary)
	}
}
