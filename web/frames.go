package web

// Frame types of the websocket and event names of ask?stream=1.
const (
	FrameSession   = "session"
	FrameStatus    = "status"
	FrameDelta     = "delta"
	FrameCitations = "citations"
	FrameDone      = "done"
	FrameError     = "error"
)
