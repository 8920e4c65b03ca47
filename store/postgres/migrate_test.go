package postgres

import (
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/chatpaper/chatpaper/store"
	"github.com/chatpaper/chatpaper/store/postgres/pgtest"
)

// TestSessionTurnsMigrated: sessions written before turns had their own
// rows keep their turns, in order, after the migration, and take new
// appends after them.
func TestSessionTurnsMigrated(t *testing.T) {
	ctx := t.Context()
	url := pgtest.Schema(t)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version integer NOT NULL PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
		migrations[0].sql,
		`INSERT INTO schema_migrations (version, name) VALUES (1, 'v1')`,
		`INSERT INTO papers (id, json, title, content_hash, created_at, updated_at) VALUES ('p', '{"id":"p","title":"T","abstract":"A.","references":[]}', 'T', 'h', now(), now())`,
		`INSERT INTO sessions (id, paper_id, json, updated_at) VALUES ('s1', 'p', '{"id":"s1","paper_id":"p","turns":[{"question":"one","answer":"1","lang":"en_US"},{"question":"two","answer":"2","lang":"en_US","cited":[3]}],"updated":"2026-01-02T03:04:05Z"}', now())`,
		`INSERT INTO sessions (id, paper_id, json, updated_at) VALUES ('s2', 'p', '{"id":"s2","paper_id":"p","turns":null,"updated":"2026-01-02T03:04:05Z"}', now())`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	conn.Close(ctx)

	s, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.AppendTurn(ctx, "s1", "p", store.Turn{Question: "three"}, 0); err != nil {
		t.Fatal(err)
	}
	got, err := s.Session(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	var qs []string
	for _, tu := range got.Turns {
		qs = append(qs, tu.Question)
	}
	if want := []string{"one", "two", "three"}; !reflect.DeepEqual(qs, want) || got.Turns[1].Cited[0] != 3 {
		t.Errorf("migrated session turns %v (%+v), want %v", qs, got.Turns, want)
	}
	if got, err := s.Session(ctx, "s2"); err != nil || len(got.Turns) != 0 {
		t.Errorf("session without turns: %+v, %v", got, err)
	}
}
