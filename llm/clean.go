package llm

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Special tokens a tokenizer or chat template leaks into content when a
// server does not strip them: sentencepiece's <s> and </s>, <unk>,
// <pad>, Gemma's turn markers, and the <|…|> (Qwen, Llama 3, GPT) and
// <｜…｜> (DeepSeek) families. specialToken matches one at the start of
// the text; partialToken matches a text that may still become one.
var (
	specialToken = regexp.MustCompile(`^<(?:/?(?:s|unk|pad|bos|eos|mask|start_of_turn|end_of_turn)>|\|[A-Za-z0-9_▁.\-]{1,48}\|>|｜[A-Za-z0-9_▁.\-]{1,48}｜>)`)
	partialToken = regexp.MustCompile(`^<(?:/?[a-z_]{0,16}|\|[A-Za-z0-9_▁.\-]{0,48}\|?|｜[A-Za-z0-9_▁.\-]{0,48}｜?)$`)
)

// maxHeld bounds what a cleaner holds back while it decides whether a
// "<" starts a special token: the longest partialToken match.
const maxHeld = 64 * utf8.UTFMax

// cleaner removes from a streamed reply what no reader should see: C0
// control characters other than tab and newline, DEL, and special
// tokens written out literally. A token may arrive split across deltas,
// so text that may still become one is held back until it is decided;
// the result does not depend on how the stream was cut. What write and
// flush return, concatenated, is the cleaned reply.
type cleaner struct {
	held string
}

// write returns the part of the text so far that can be shown now.
func (c *cleaner) write(s string) string {
	p := c.held + s
	c.held = ""
	var b strings.Builder
	for i := 0; i < len(p); {
		if !utf8.FullRuneInString(p[i:]) {
			// A character split across deltas.
			c.held = p[i:]
			break
		}
		r, n := utf8.DecodeRuneInString(p[i:])
		switch {
		case r < 0x20 && r != '\t' && r != '\n', r == 0x7f:
			i += n
			continue
		case r == '<':
			rest := p[i:]
			if m := specialToken.FindStringIndex(rest); m != nil {
				i += m[1]
				continue
			}
			if len(rest) <= maxHeld && partialToken.MatchString(completeRunes(rest)) {
				c.held = rest
				return b.String()
			}
		}
		b.WriteString(p[i : i+n])
		i += n
	}
	return b.String()
}

// flush returns what is still held at the end of the reply: it did not
// become a token, so it is text. Control characters are single bytes
// that never occur inside a multi-byte character, so they are dropped
// byte by byte, leaving any broken character as it came.
func (c *cleaner) flush() string {
	h := c.held
	c.held = ""
	var b strings.Builder
	for i := 0; i < len(h); i++ {
		if x := h[i]; x < 0x20 && x != '\t' && x != '\n' || x == 0x7f {
			continue
		}
		b.WriteByte(h[i])
	}
	return b.String()
}

// completeRunes returns s without a character cut off at its end.
func completeRunes(s string) string {
	j := len(s)
	for j > 0 && j > len(s)-utf8.UTFMax && !utf8.RuneStart(s[j-1]) {
		j--
	}
	if j > 0 && !utf8.FullRuneInString(s[j-1:]) {
		return s[:j-1]
	}
	return s
}
