package storetest

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/store"
)

// testQuestions checks the questions log: records round-trip with
// sub-second times and Chinese text, filters and ordering hold, feedback
// replaces earlier feedback, unknown ids are ErrNotFound, records outlive
// their paper, and pruning deletes by age only.
func testQuestions(t *testing.T, s store.Store) {
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	recs := []store.QuestionRecord{
		{ID: "q1", PaperID: "p1", Question: "What dose was used?", Lang: "en_US", Mode: "extractive", Answerable: true, Asked: base},
		{ID: "q2", PaperID: "p1", Question: "用了多大剂量？", Lang: "zh_CN", Mode: "llm", Answerable: false, Asked: base.Add(1500 * time.Millisecond)},
		{ID: "q3", PaperID: "p2", Question: "Who funded it?", Lang: "en_US", Mode: "extractive", Answerable: false, Asked: base.Add(48 * time.Hour)},
	}
	put(t, s, SamplePaper("p1"), "e", nil)
	for i := range recs {
		r := recs[i]
		if err := s.RecordQuestion(ctx, &r); err != nil {
			t.Fatalf("RecordQuestion %s: %v", r.ID, err)
		}
	}
	if err := s.RecordQuestion(ctx, &store.QuestionRecord{PaperID: "p1", Question: "x"}); err == nil {
		t.Error("RecordQuestion without an id succeeded")
	}

	all, err := s.Questions(ctx, store.QuestionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.QuestionRecord{recs[2], recs[1], recs[0]}
	if !reflect.DeepEqual(all, want) {
		t.Fatalf("Questions() = %+v\nwant newest first %+v", all, want)
	}
	p1, err := s.Questions(ctx, store.QuestionFilter{PaperID: "p1"})
	if err != nil || len(p1) != 2 || p1[0].ID != "q2" {
		t.Errorf("Questions(p1) = %+v, %v; want q2, q1", p1, err)
	}
	since, err := s.Questions(ctx, store.QuestionFilter{Since: base.Add(time.Second)})
	if err != nil || len(since) != 2 {
		t.Errorf("Questions(since +1s) = %+v, %v; want q3, q2", since, err)
	}
	one, err := s.Questions(ctx, store.QuestionFilter{Limit: 1})
	if err != nil || len(one) != 1 || one[0].ID != "q3" {
		t.Errorf("Questions(limit 1) = %+v, %v; want q3", one, err)
	}

	if err := s.RateQuestion(ctx, "p1", "q1", store.RatingUp, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.RateQuestion(ctx, "p1", "q1", store.RatingDown, "wrong dose, it was 2 Gy"); err != nil {
		t.Fatal(err)
	}
	wantNotFound(t, "RateQuestion(unknown id)", s.RateQuestion(ctx, "p1", "nope", store.RatingUp, ""))
	wantNotFound(t, "RateQuestion(id of another paper)", s.RateQuestion(ctx, "p2", "q1", store.RatingUp, ""))
	got, err := s.Questions(ctx, store.QuestionFilter{PaperID: "p1"})
	if err != nil {
		t.Fatal(err)
	}
	if q1 := got[1]; q1.Rating != store.RatingDown || q1.Note != "wrong dose, it was 2 Gy" {
		t.Errorf("after rating q1 = %+v, want the later thumbs-down with its note", q1)
	}

	// The report keeps a deleted paper's questions.
	if err := s.DeletePaper(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Questions(ctx, store.QuestionFilter{PaperID: "p1"}); err != nil || len(got) != 2 {
		t.Errorf("after deleting the paper: %d records, %v; want 2", len(got), err)
	}

	n, err := s.PruneQuestions(ctx, base.Add(time.Hour))
	if err != nil || n != 2 {
		t.Errorf("PruneQuestions = %d, %v; want 2", n, err)
	}
	left, err := s.Questions(ctx, store.QuestionFilter{})
	if err != nil || len(left) != 1 || left[0].ID != "q3" {
		t.Errorf("after pruning: %+v, %v; want only q3", left, err)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Questions(cctx, store.QuestionFilter{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Questions(cancelled ctx) = %v, want context.Canceled", err)
	}
}

// testQuestionsConcurrent records many questions at once, as readers
// ask them: every record is committed when its call returns, and a
// duplicate id fails only its own call.
func testQuestionsConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	if err := s.RecordQuestion(ctx, &store.QuestionRecord{ID: "dup", PaperID: "p1", Question: "first", Asked: base}); err != nil {
		t.Fatal(err)
	}
	const n = 64
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := "c" + strconv.Itoa(i)
			if i == n/2 {
				id = "dup"
			}
			errs[i] = s.RecordQuestion(ctx, &store.QuestionRecord{ID: id, PaperID: "p1", Question: "q " + id,
				Lang: "en_US", Mode: "extractive", Asked: base.Add(time.Duration(i+1) * time.Millisecond)})
			if errs[i] == nil {
				// Committed: feedback on it must find it.
				errs[i] = s.RateQuestion(ctx, "p1", id, store.RatingUp, "")
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if i == n/2 && err == nil {
			t.Errorf("a second record with id dup succeeded")
		}
		if i != n/2 && err != nil {
			t.Errorf("record %d: %v", i, err)
		}
	}
	all, err := s.Questions(ctx, store.QuestionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != n {
		t.Fatalf("%d records, want %d", len(all), n)
	}
	for _, r := range all {
		if r.ID == "dup" && r.Question != "first" {
			t.Errorf("the duplicate replaced the first record: %+v", r)
		}
	}
}
