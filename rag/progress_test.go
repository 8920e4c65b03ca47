package rag

import (
	"context"
	"testing"
)

func TestReportStage(t *testing.T) {
	ReportStage(context.Background(), StageSearching) // no Progress: nothing happens
	var got []string
	ctx := WithProgress(context.Background(), func(s string) { got = append(got, s) })
	ReportStage(ctx, StageSearching)
	ReportStage(ctx, StageWriting)
	if len(got) != 2 || got[0] != StageSearching || got[1] != StageWriting {
		t.Errorf("stages = %v", got)
	}
}
