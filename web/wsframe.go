package web

import (
	"encoding/json"
)

// decodeFrame reads one client frame. The frame must be a JSON object
// (or null, which reads as a frame without a type); unknown fields are
// ignored so clients may add their own. It is the one place websocket
// input is decoded, and FuzzDecodeFrame holds it to never panicking.
func decodeFrame(data []byte) (inFrame, error) {
	var f inFrame
	// The error is json's own: ws.go shows it to the client as is.
	if err := json.Unmarshal(data, &f); err != nil {
		return inFrame{}, err
	}
	return f, nil
}
