package trustlens

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
)

// A small strict JSON scanner for Decode: it validates the whole message
// (RFC 8259) and returns the top-level members of the object as spans of
// one string copy of the message, so that a typical event costs one string
// allocation instead of a map and a reflection pass per field.
// encoding/json is only used for the rare escaped strings and for lists.

// jsonField is one member of the top-level object.
type jsonField struct {
	key        string // decoded name (a substring of the message when unescaped)
	start, end int    // the value's bytes in jsonFields.src
	kind       byte   // '{', '[', '"', 'n' (null), 't', 'f', '0' (number)
	esc        bool   // a string value with backslash escapes
	known      bool   // looked up by Decode (so not an unknown field)
}

// jsonFields is a parsed top-level object.
type jsonFields struct {
	src  string
	list []jsonField
}

// fieldsPool recycles the member lists of Decode.
var fieldsPool = sync.Pool{New: func() any { return &jsonFields{list: make([]jsonField, 0, 24)} }}

// maxJSONDepth bounds nesting (well within the goroutine stack).
const maxJSONDepth = 1000

type jsonScanner struct {
	data  string
	pos   int
	depth int
}

type jsonSyntaxError struct{ msg string }

func (e *jsonSyntaxError) Error() string { return e.msg }

func (s *jsonScanner) fail(what string) error {
	if s.pos >= len(s.data) {
		return &jsonSyntaxError{"unexpected end of input"}
	}
	return &jsonSyntaxError{fmt.Sprintf("%s %q at byte %d", what, s.data[s.pos], s.pos)}
}

// parseJSONObject scans src. It returns the members of the top-level
// object; notObject is the kind of a valid top-level value that is not an
// object (for the error message).
func parseJSONObject(src string, f *jsonFields) (notObject byte, err error) {
	s := jsonScanner{data: src}
	f.src = src
	f.list = f.list[:0]
	s.skipWS()
	if s.pos < len(s.data) && s.data[s.pos] == '{' {
		err = s.object(f)
	} else {
		notObject, _, err = s.value()
	}
	if err != nil {
		return 0, err
	}
	s.skipWS()
	if s.pos != len(s.data) {
		return 0, s.fail("unexpected")
	}
	return notObject, nil
}

func (s *jsonScanner) skipWS() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *jsonScanner) value() (kind byte, esc bool, err error) {
	s.skipWS()
	if s.pos >= len(s.data) {
		return 0, false, s.fail("")
	}
	switch c := s.data[s.pos]; {
	case c == '{':
		return '{', false, s.object(nil)
	case c == '[':
		return '[', false, s.array()
	case c == '"':
		esc, err := s.str()
		return '"', esc, err
	case c == 't':
		return 't', false, s.literal("true")
	case c == 'f':
		return 'f', false, s.literal("false")
	case c == 'n':
		return 'n', false, s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return '0', false, s.number()
	}
	return 0, false, s.fail("unexpected")
}

func (s *jsonScanner) enter() error {
	s.depth++
	if s.depth > maxJSONDepth {
		return &jsonSyntaxError{fmt.Sprintf("nested more than %d levels deep", maxJSONDepth)}
	}
	return nil
}

// object scans an object at s.pos; the members are collected when f is
// not nil (the top level only).
func (s *jsonScanner) object(f *jsonFields) error {
	if err := s.enter(); err != nil {
		return err
	}
	s.pos++ // '{'
	s.skipWS()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		s.depth--
		return nil
	}
	for {
		s.skipWS()
		if s.pos >= len(s.data) || s.data[s.pos] != '"' {
			return s.fail("expected a member name, got")
		}
		ks := s.pos
		kesc, err := s.str()
		if err != nil {
			return err
		}
		ke := s.pos
		s.skipWS()
		if s.pos >= len(s.data) || s.data[s.pos] != ':' {
			return s.fail("expected ':', got")
		}
		s.pos++
		s.skipWS()
		vs := s.pos
		kind, vesc, err := s.value()
		if err != nil {
			return err
		}
		if f != nil {
			key := s.data[ks+1 : ke-1]
			if kesc {
				if key, err = unescapeKey(s.data[ks:ke]); err != nil {
					return &jsonSyntaxError{fmt.Sprintf("member name at byte %d: %v", ks, err)}
				}
			}
			f.list = append(f.list, jsonField{key: key, start: vs, end: s.pos, kind: kind, esc: vesc})
		}
		s.skipWS()
		if s.pos >= len(s.data) {
			return s.fail("")
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case '}':
			s.pos++
			s.depth--
			return nil
		default:
			return s.fail("expected ',' or '}', got")
		}
	}
}

// unescapeKey decodes a quoted member name with escapes (a function of its
// own so that the common unescaped path does not allocate).
func unescapeKey(quoted string) (string, error) {
	var key string
	err := json.Unmarshal([]byte(quoted), &key)
	return key, err
}

func (s *jsonScanner) array() error {
	if err := s.enter(); err != nil {
		return err
	}
	s.pos++ // '['
	s.skipWS()
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		s.depth--
		return nil
	}
	for {
		if _, _, err := s.value(); err != nil {
			return err
		}
		s.skipWS()
		if s.pos >= len(s.data) {
			return s.fail("")
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case ']':
			s.pos++
			s.depth--
			return nil
		default:
			return s.fail("expected ',' or ']', got")
		}
	}
}

// plainChar marks the bytes that a string holds as they are: not '"',
// '\\' or a control character.
var plainChar = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str scans a string at s.pos (on the opening quote).
func (s *jsonScanner) str() (esc bool, err error) {
	s.pos++
	for s.pos < len(s.data) {
		// the plain run first, without the switch
		p, data := s.pos, s.data
		for p < len(data) && plainChar[data[p]] {
			p++
		}
		s.pos = p
		if p >= len(data) {
			break
		}
		c := data[p]
		switch {
		case c == '"':
			s.pos++
			return esc, nil
		case c == '\\':
			esc = true
			s.pos++
			if s.pos >= len(s.data) {
				return esc, s.fail("")
			}
			switch s.data[s.pos] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos++
			case 'u':
				s.pos++
				for i := 0; i < 4; i++ {
					if s.pos >= len(s.data) || !isHex(s.data[s.pos]) {
						return esc, s.fail("bad \\u escape:")
					}
					s.pos++
				}
			default:
				return esc, s.fail("bad escape")
			}
		case c < 0x20:
			return esc, s.fail("control character in string:")
		default:
			s.pos++
		}
	}
	return esc, s.fail("")
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (s *jsonScanner) digits() error {
	if s.pos >= len(s.data) || !isDigit(s.data[s.pos]) {
		return s.fail("expected a digit, got")
	}
	for s.pos < len(s.data) && isDigit(s.data[s.pos]) {
		s.pos++
	}
	return nil
}

func (s *jsonScanner) number() error {
	if s.data[s.pos] == '-' {
		s.pos++
	}
	if s.pos < len(s.data) && s.data[s.pos] == '0' {
		s.pos++
	} else if err := s.digits(); err != nil {
		return err
	}
	if s.pos < len(s.data) && s.data[s.pos] == '.' {
		s.pos++
		if err := s.digits(); err != nil {
			return err
		}
	}
	if s.pos < len(s.data) && (s.data[s.pos] == 'e' || s.data[s.pos] == 'E') {
		s.pos++
		if s.pos < len(s.data) && (s.data[s.pos] == '+' || s.data[s.pos] == '-') {
			s.pos++
		}
		if err := s.digits(); err != nil {
			return err
		}
	}
	return nil
}

func (s *jsonScanner) literal(lit string) error {
	if len(s.data)-s.pos < len(lit) || s.data[s.pos:s.pos+len(lit)] != lit {
		return s.fail("unexpected")
	}
	s.pos += len(lit)
	return nil
}

// get finds member name (the last one wins, as in encoding/json); a null
// value counts as absent. Every member of that name is marked known.
func (f *jsonFields) get(name string) (jsonField, bool) {
	found := -1
	for i := len(f.list) - 1; i >= 0; i-- {
		if f.list[i].key == name {
			f.list[i].known = true
			if found < 0 {
				found = i
			}
		}
	}
	if found < 0 || f.list[found].kind == 'n' {
		return jsonField{}, false
	}
	return f.list[found], true
}

// raw is the text of a value.
func (f *jsonFields) raw(v jsonField) string { return f.src[v.start:v.end] }

// stringValue decodes a string value.
func (f *jsonFields) stringValue(v jsonField) (string, error) {
	if v.kind != '"' {
		return "", fmt.Errorf("not a string")
	}
	if !v.esc {
		return f.src[v.start+1 : v.end-1], nil
	}
	var out string
	err := json.Unmarshal([]byte(f.raw(v)), &out)
	return out, err
}

// numberValue decodes a number value.
func (f *jsonFields) numberValue(v jsonField) (float64, error) {
	if v.kind != '0' {
		return 0, fmt.Errorf("not a number")
	}
	return strconv.ParseFloat(f.raw(v), 64)
}
