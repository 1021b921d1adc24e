package sitecore

// The grammar of Sheer UI messages, such as
// item:workflow(id={...},commandid={...},ui=1), as the classic editors post
// them in __PARAMETERS.

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxMessageDepth is the deepest nesting of messages in parameter values
// that ParseMessage reads. Sitecore's own messages nest two levels, as in
// item:save(postaction=pipeline:resume(pipelineId=...)).
const maxMessageDepth = 16

// Message is a Sheer UI message, the text that a ribbon button, menu entry
// or shortcut posts in __PARAMETERS. Names with a colon are commands,
// mostly mapped to classes in Commands.config, and take key=value
// parameters, as in item:workflow(id={...},language=en,version=3). Other
// names call a method of the form with quoted arguments, as in
// LoadItem("{...}").
type Message struct {
	// Name is the text before the parenthesis, such as "item:workflow".
	Name string

	// Params are the key=value parameters in the order written.
	Params []MessageParam

	// Args are the quoted arguments of a form method call, without their
	// quotes. A message has Params or Args, never both.
	Args []string
}

// MessageParam is one key=value parameter of a message.
type MessageParam struct {
	Key string

	// Value is the text after "=" as written, spaces and nested messages
	// included. It may be empty, as in "ui=".
	Value string

	// Message is Value read as a message when it contains a parenthesis,
	// as in postaction=pipeline:resume(pipelineId=...), and nil otherwise.
	Message *Message
}

// MessageSyntaxError reports message text that ParseMessage cannot read.
type MessageSyntaxError struct {
	// Text is the whole message text.
	Text string

	// Name is the name of the outermost message when the text starts with
	// a valid one, so that a caller can still tell a workflow command,
	// which it blocks when malformed, from a message it lets pass.
	Name string

	// Offset is the byte offset in Text where reading failed.
	Offset int

	Reason string
}

func (e *MessageSyntaxError) Error() string {
	text := e.Text
	if len(text) > 200 {
		text = text[:200] + "..."
	}
	return fmt.Sprintf("message %q: invalid at byte %d: %s", text, e.Offset, e.Reason)
}

// ParseMessage reads a Sheer UI message:
//
//	message = name [ "(" [ args ] ")" ]
//	args    = pair *( "," pair ) / quoted *( "," quoted )
//	pair    = key "=" value
//	quoted  = DQUOTE text DQUOTE
//
// Parameters are split at the commas outside parentheses, and a value that
// contains a parenthesis is read as a nested message. Keys, names and the
// text around quoted arguments may have spaces around them; values are kept
// as written.
//
// How Sitecore reads a comma, "=" or ")" inside a value is not known. So
// ParseMessage rejects text that readers could split differently: a comma
// inside braces, an odd number of double quotes in a value, or a key given
// twice, since keys match without regard to case. It also rejects messages
// nested deeper than 16 levels. The error is a *MessageSyntaxError.
func ParseMessage(text string) (*Message, error) {
	p := &messageParser{text: text}
	return p.parse(0, len(text), 0)
}

type messageParser struct {
	text string
	name string
}

func (p *messageParser) fail(offset int, format string, args ...any) error {
	return &MessageSyntaxError{Text: p.text, Name: p.name, Offset: offset, Reason: fmt.Sprintf(format, args...)}
}

// parse reads the message in text[start:end].
func (p *messageParser) parse(start, end, depth int) (*Message, error) {
	if depth > maxMessageDepth {
		return nil, p.fail(start, "messages nest deeper than %d levels", maxMessageDepth)
	}
	s := p.text[start:end]
	open := strings.IndexByte(s, '(')
	nameEnd := open
	if open < 0 {
		nameEnd = len(s)
	}
	name := strings.TrimSpace(s[:nameEnd])
	if name == "" {
		return nil, p.fail(start, "message name is missing")
	}
	if i := strings.IndexFunc(name, isInvalidNameRune); i >= 0 {
		r, _ := utf8.DecodeRuneInString(name[i:])
		return nil, p.fail(start+strings.Index(s, name)+i, "invalid character %q in message name %q", r, name)
	}
	if depth == 0 {
		p.name = name
	}

	m := &Message{Name: name}
	if open < 0 {
		return m, nil
	}
	argsStart := start + open + 1
	first := strings.TrimLeftFunc(p.text[argsStart:end], unicode.IsSpace)
	var err error
	if strings.HasPrefix(first, `"`) {
		m.Args, err = p.parseQuoted(argsStart, end)
	} else {
		m.Params, err = p.parsePairs(argsStart, end, depth)
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

func isInvalidNameRune(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`()=,"{}`, r)
}

// parsePairs reads the key=value parameters that start at text[start],
// after the opening parenthesis, up to the matching closing parenthesis,
// which must end text[:end] but for spaces.
func (p *messageParser) parsePairs(start, end, depth int) ([]MessageParam, error) {
	var bounds [][2]int
	parens, braces := 1, 0
	pairStart, closing := start, -1
scan:
	for i := start; i < end; i++ {
		switch p.text[i] {
		case '(':
			parens++
		case ')':
			parens--
			if parens == 0 {
				closing = i
				break scan
			}
		case '{':
			if parens == 1 {
				braces++
			}
		case '}':
			if parens == 1 && braces > 0 {
				braces--
			}
		case ',':
			if parens > 1 {
				continue
			}
			if braces > 0 {
				return nil, p.fail(i, "comma inside braces: whether it separates parameters is unknown")
			}
			bounds = append(bounds, [2]int{pairStart, i})
			pairStart = i + 1
		}
	}
	if err := p.checkClosing(closing, end); err != nil {
		return nil, err
	}
	bounds = append(bounds, [2]int{pairStart, closing})
	if len(bounds) == 1 && strings.TrimSpace(p.text[pairStart:closing]) == "" {
		return nil, nil
	}

	params := make([]MessageParam, 0, len(bounds))
	keys := make(map[string]bool, len(bounds))
	for _, b := range bounds {
		param, err := p.parsePair(b[0], b[1], depth)
		if err != nil {
			return nil, err
		}
		folded := strings.ToLower(param.Key)
		if keys[folded] {
			return nil, p.fail(b[0], "parameter %q is given twice", param.Key)
		}
		keys[folded] = true
		params = append(params, param)
	}
	return params, nil
}

// parsePair reads one key=value parameter in text[start:end].
func (p *messageParser) parsePair(start, end, depth int) (MessageParam, error) {
	s := p.text[start:end]
	if strings.TrimSpace(s) == "" {
		return MessageParam{}, p.fail(start, "parameter is empty")
	}
	eq := strings.IndexByte(s, '=')
	if eq < 0 {
		return MessageParam{}, p.fail(start, "parameter %q has no \"=\"", s)
	}
	key := strings.TrimSpace(s[:eq])
	if key == "" {
		return MessageParam{}, p.fail(start, "parameter %q has no key", s)
	}
	if strings.IndexFunc(key, isInvalidNameRune) >= 0 {
		return MessageParam{}, p.fail(start, "invalid character in parameter key %q", key)
	}

	param := MessageParam{Key: key, Value: s[eq+1:]}
	if quotesOutsideParens(param.Value)%2 != 0 {
		return MessageParam{}, p.fail(start+eq+1, "value of %q has an unmatched double quote", key)
	}
	if strings.ContainsRune(param.Value, '(') {
		nested, err := p.parse(start+eq+1, end, depth+1)
		if err != nil {
			return MessageParam{}, err
		}
		param.Message = nested
	}
	return param, nil
}

func quotesOutsideParens(s string) int {
	n, parens := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			parens++
		case ')':
			parens--
		case '"':
			if parens == 0 {
				n++
			}
		}
	}
	return n
}

// parseQuoted reads the quoted arguments that start at text[start], after
// the opening parenthesis. The client writes each argument between double
// quotes without escaping anything, so an argument ends at the next quote.
func (p *messageParser) parseQuoted(start, end int) ([]string, error) {
	var args []string
	i := skipSpaces(p.text, start, end)
	for {
		if i >= end || p.text[i] != '"' {
			return nil, p.fail(i, "expected a quoted argument")
		}
		n := strings.IndexByte(p.text[i+1:end], '"')
		if n < 0 {
			return nil, p.fail(i, "quoted argument has no closing quote")
		}
		args = append(args, p.text[i+1:i+1+n])
		i = skipSpaces(p.text, i+n+2, end)

		if i >= end {
			return nil, p.fail(end, "closing parenthesis is missing")
		}
		switch p.text[i] {
		case ',':
			i = skipSpaces(p.text, i+1, end)
		case ')':
			if err := p.checkClosing(i, end); err != nil {
				return nil, err
			}
			return args, nil
		default:
			return nil, p.fail(i, "expected \",\" or \")\" after a quoted argument")
		}
	}
}

// checkClosing checks that the closing parenthesis was found and that
// only spaces follow it.
func (p *messageParser) checkClosing(closing, end int) error {
	if closing < 0 {
		return p.fail(end, "closing parenthesis is missing")
	}
	if strings.TrimSpace(p.text[closing+1:end]) != "" {
		return p.fail(closing+1, "unexpected text after the closing parenthesis")
	}
	return nil
}

func skipSpaces(s string, i, end int) int {
	for i < end && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
		i++
	}
	return i
}

// Lookup returns the parameter with the key, matched without regard to
// case.
func (m *Message) Lookup(key string) (MessageParam, bool) {
	for _, param := range m.Params {
		if strings.EqualFold(param.Key, key) {
			return param, true
		}
	}
	return MessageParam{}, false
}

// Get returns the value of the parameter with the key, matched without
// regard to case, or "" when the message has no such parameter.
func (m *Message) Get(key string) string {
	param, _ := m.Lookup(key)
	return param.Value
}

// PipelineID returns the value of a pipelineId parameter of the message or
// of a message nested in its values, the message's own first and then
// depth first.
func (m *Message) PipelineID() (string, bool) {
	if param, ok := m.Lookup("pipelineId"); ok {
		return param.Value, true
	}
	for _, param := range m.Params {
		if param.Message == nil {
			continue
		}
		if id, ok := param.Message.PipelineID(); ok {
			return id, true
		}
	}
	return "", false
}

// String writes the message in its wire syntax, without spaces around
// names and keys. ParseMessage reads it back to an equal Message.
func (m *Message) String() string {
	var b strings.Builder
	b.WriteString(m.Name)
	switch {
	case len(m.Params) > 0:
		b.WriteByte('(')
		for i, param := range m.Params {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(param.Key)
			b.WriteByte('=')
			b.WriteString(param.Value)
		}
		b.WriteByte(')')
	case len(m.Args) > 0:
		b.WriteByte('(')
		for i, arg := range m.Args {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('"')
			b.WriteString(arg)
			b.WriteByte('"')
		}
		b.WriteByte(')')
	}
	return b.String()
}
