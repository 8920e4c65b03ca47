package web

import (
	"encoding/json"
	"testing"
)

func TestDecodeFrame(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    inFrame
		wantErr bool
	}{
		{`{"type":"ask","id":"q1","question":"What is ExoCarta?","lang":"en_US","extra":1}`, inFrame{Type: "ask", ID: "q1", Question: "What is ExoCarta?", Lang: "en_US"}, false},
		{`{"type":"cancel","id":"q1"}`, inFrame{Type: "cancel", ID: "q1"}, false},
		{`null`, inFrame{}, false},
		{`[]`, inFrame{}, true},
		{`{"type":1}`, inFrame{}, true},
		{`{"type":"ask"`, inFrame{}, true},
		{``, inFrame{}, true},
	}
	for _, tt := range tests {
		got, err := decodeFrame([]byte(tt.in))
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("decodeFrame(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func FuzzDecodeFrame(f *testing.F) {
	for _, s := range []string{
		`{"type":"ask","id":"q1","question":"What is ExoCarta?","lang":"en_US","session_id":"s"}`,
		`{"type":"cancel","id":"q1"}`, `{"type":"ask","id":"\u0000","question":"埃菲尔铁塔有多高？"}`,
		`null`, `[]`, `{"type":`, `"x"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := decodeFrame(data)
		if err != nil {
			if fr != (inFrame{}) {
				t.Fatalf("error %v with a non-empty frame %+v", err, fr)
			}
			return
		}
		// What was decoded survives a round trip, so a frame the server
		// echoes (the id) is the frame the client sent.
		enc, err := json.Marshal(fr)
		if err != nil {
			t.Fatal(err)
		}
		again, err := decodeFrame(enc)
		if err != nil || again != fr {
			t.Fatalf("round trip changed %+v to %+v (%v)", fr, again, err)
		}
	})
}
