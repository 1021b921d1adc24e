package sitecore

// Sheer UI is the framework of Sitecore's classic editors: the Content
// Editor, the Workbox and the legacy Experience Editor ribbon. Each button,
// menu entry, shortcut or dialog answer is a form POST to the page that
// hosts the editor (a postback), and the server returns a list of client
// commands. This file reads both without acting on them.
//
// The facts about the client come from Sitecore.js of Sitecore 8.2
// (sitecore/shell/Controls/Sitecore.js, scRequest.build, buildFields,
// postResult and handle), and those about the Workbox from its
// WorkboxForm.SendSelected.

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrNotPostback is returned for a form that has neither __PARAMETERS nor
// __PIPELINE, so no Sheer UI page posted it for a command or a dialog
// result.
var ErrNotPostback = errors.New("not a Sheer UI postback: the form has neither __PARAMETERS nor __PIPELINE")

// ErrNotCommandResponse is returned for a response body that the Sheer UI
// client does not run as commands: it runs a body only when its text begins
// exactly with {"commands":. Error pages and the module's own 409 replies
// are such bodies.
var ErrNotCommandResponse = errors.New(`not a Sheer UI command response: the body does not begin with {"commands":`)

// maxMessageDepth is the deepest nesting of messages in parameter values
// that ParseMessage reads. Sitecore's own messages nest two levels, as in
// item:save(postaction=pipeline:resume(pipelineId=...)).
const maxMessageDepth = 16

// escapedFields are the fields scRequest.build encodes with JavaScript's
// escape(). The client encodes every other field, page controls and the
// __RESULT and __PIPELINE of a continuation, with encodeURIComponent().
var escapedFields = map[string]bool{
	"__PARAMETERS":    true,
	"__EVENTTARGET":   true,
	"__EVENTARGUMENT": true,
	"__SOURCE":        true,
	"__EVENTTYPE":     true,
	"__CONTEXTMENU":   true,
	"__URL":           true,
	"__DIALOGWIDTH":   true,
	"__DIALOGHEIGHT":  true,
}

// dialogCommands are the client commands that ask the user and post the
// dialog result back as a continuation.
var dialogCommands = map[string]bool{
	"ShowModalDialog": true,
	"Input":           true,
	"Confirm":         true,
	"CheckModified":   true,
}

// FormField is one name=value pair of a form body, decoded.
type FormField struct {
	Name  string
	Value string
}

// Form is a decoded form body with its fields in the order sent. Lookups
// follow ASP.NET's Request.Form, which Sitecore reads: a name matches
// without regard to case, and a name sent several times yields its values
// joined by commas.
type Form []FormField

// Get returns the value of the named field, the values of a repeated name
// joined by commas, or "" when the form has no such field.
func (f Form) Get(name string) string {
	value, _ := f.lookup(name)
	return value
}

// Has reports whether the form has the named field, even with an empty
// value.
func (f Form) Has(name string) bool {
	_, ok := f.lookup(name)
	return ok
}

func (f Form) lookup(name string) (string, bool) {
	var values []string
	for _, field := range f {
		if strings.EqualFold(field.Name, name) {
			values = append(values, field.Value)
		}
	}
	return strings.Join(values, ","), values != nil
}

// formEncoding names the browser function that encoded a form value.
type formEncoding int

const (
	// componentEncoding is encodeURIComponent(): %XX escapes are the
	// bytes of UTF-8.
	componentEncoding formEncoding = iota

	// escapeEncoding is escape(): %XX is a character up to U+00FF
	// (Latin-1) and %uXXXX a UTF-16 code unit.
	escapeEncoding
)

// parseForm splits a form body on '&' and decodes each name and value,
// the values of the escaped names as escape() output. A part without '='
// becomes a field with an empty name, as ASP.NET keeps it without a name.
func parseForm(body []byte, escaped map[string]bool) Form {
	var form Form
	for _, part := range strings.Split(string(body), "&") {
		if part == "" {
			continue
		}
		name, value, found := strings.Cut(part, "=")
		if !found {
			name, value = "", part
		}
		encoding := componentEncoding
		if escaped[name] {
			encoding = escapeEncoding
		}
		form = append(form, FormField{
			Name:  decodeFormValue(name, componentEncoding),
			Value: decodeFormValue(value, encoding),
		})
	}
	return form
}

// decodeFormValue decodes one name or value of a form body. Both encodings
// read '+' as a space and %uXXXX as a UTF-16 code unit, as
// HttpUtility.UrlDecode of the .NET Framework does. A high and a low surrogate in a row become
// one character. An escape without enough hex digits after it, or with an
// upper-case U, stays as written, as in ASP.NET and in JavaScript's
// unescape(). An unpaired surrogate and each run of bytes that is not UTF-8
// become U+FFFD.
func decodeFormValue(s string, encoding formEncoding) string {
	if !strings.ContainsAny(s, "%+") && utf8.ValidString(s) {
		return s
	}
	var d textDecoder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			d.writeByte(' ')
		case c == '%' && i+5 < len(s) && s[i+1] == 'u' && isHex(s[i+2:i+6]):
			d.writeRune(rune(unhex(s[i+2 : i+6])))
			i += 5
		case c == '%' && i+2 < len(s) && isHex(s[i+1:i+3]):
			b := byte(unhex(s[i+1 : i+3]))
			if encoding == escapeEncoding {
				d.writeRune(rune(b))
			} else {
				d.writeByte(b)
			}
			i += 2
		default:
			d.writeByte(c)
		}
	}
	return d.String()
}

// textDecoder builds a string from bytes that are read as UTF-8 and from
// code units, pairing UTF-16 surrogates.
type textDecoder struct {
	out strings.Builder

	// raw holds bytes not yet read as UTF-8, and high a high surrogate
	// waiting for its low half (0 when none). At most one of them is
	// pending at a time, so the output keeps the input's order.
	raw  []byte
	high rune
}

func (d *textDecoder) writeByte(c byte) {
	d.flushHigh()
	d.raw = append(d.raw, c)
}

func (d *textDecoder) writeRune(r rune) {
	d.flushRaw()
	switch {
	case r >= 0xD800 && r < 0xDC00:
		d.flushHigh()
		d.high = r
	case r >= 0xDC00 && r < 0xE000:
		if d.high == 0 {
			d.out.WriteRune(utf8.RuneError)
			return
		}
		d.out.WriteRune(utf16.DecodeRune(d.high, r))
		d.high = 0
	default:
		d.flushHigh()
		d.out.WriteRune(r)
	}
}

func (d *textDecoder) flushRaw() {
	if len(d.raw) > 0 {
		d.out.WriteString(strings.ToValidUTF8(string(d.raw), string(utf8.RuneError)))
		d.raw = d.raw[:0]
	}
}

func (d *textDecoder) flushHigh() {
	if d.high != 0 {
		d.out.WriteRune(utf8.RuneError)
		d.high = 0
	}
}

func (d *textDecoder) String() string {
	d.flushRaw()
	d.flushHigh()
	return d.out.String()
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// unhex returns the value of hex digits that isHex accepted.
func unhex(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a':
			c -= 'a' - 10
		case c >= 'A':
			c -= 'A' - 10
		default:
			c -= '0'
		}
		n = n<<4 | int(c)
	}
	return n
}

// Postback is a Sheer UI postback, the form that a Content Editor, Workbox
// or legacy Experience Editor ribbon page posts. A button, menu entry or
// shortcut posts __PARAMETERS. A continuation posts the result of a dialog
// in __RESULT and __PIPELINE.
type Postback struct {
	// Form holds every field in the order posted, decoded as the client
	// encoded it: escape() for __PARAMETERS and the event fields,
	// encodeURIComponent() for the rest.
	Form Form

	// Parameters is the message text of __PARAMETERS, such as
	// item:workflow(id={...},...). It is empty in a continuation.
	Parameters string

	// Pipeline is __PIPELINE, the ID of the client pipeline that a
	// continuation resumes, as an earlier response's SetPipeline set it.
	Pipeline string

	// Result is __RESULT, the dialog result of a continuation: "yes",
	// "no", "cancel", "null", "undefined" or a dialog's value, such as a
	// workflow comment.
	Result string

	// Modified is true when __MODIFIED is "1": the form holds unsaved
	// edits.
	Modified bool

	// CurrentItem is __CurrentItem, the Content Editor's context item as
	// an item URI (see ParseItemURI), or "" on pages without it.
	CurrentItem string
}

// ParsePostback decodes a Sheer UI postback body. It returns
// ErrNotPostback for a form without __PARAMETERS and __PIPELINE. The
// message in Parameters is read by Message, so that a caller still gets
// the form when the message is malformed.
func ParsePostback(body []byte) (*Postback, error) {
	form := parseForm(body, escapedFields)
	if !form.Has("__PARAMETERS") && !form.Has("__PIPELINE") {
		return nil, ErrNotPostback
	}
	return &Postback{
		Form:        form,
		Parameters:  form.Get("__PARAMETERS"),
		Pipeline:    form.Get("__PIPELINE"),
		Result:      form.Get("__RESULT"),
		Modified:    form.Get("__MODIFIED") == "1",
		CurrentItem: form.Get("__CurrentItem"),
	}, nil
}

// IsContinuation reports whether the postback carries the result of a
// dialog of a client pipeline, which it does when it has __PIPELINE.
func (p *Postback) IsContinuation() bool {
	return p.Form.Has("__PIPELINE")
}

// Message parses Parameters. It returns nil and no error when the
// postback has no message, as a continuation has none.
func (p *Postback) Message() (*Message, error) {
	if p.Parameters == "" {
		return nil, nil
	}
	return ParseMessage(p.Parameters)
}

// PipelineID returns the client pipeline that the postback resumes:
// __PIPELINE, or else a pipelineId parameter in the message, which
// item:save(postaction=pipeline:resume(pipelineId=...)) carries after a
// "yes" to the question whether to save first.
func (p *Postback) PipelineID() (string, bool) {
	if p.Form.Has("__PIPELINE") {
		return p.Pipeline, true
	}
	m, err := p.Message()
	if err != nil || m == nil {
		return "", false
	}
	return m.PipelineID()
}

// SelectedItem is an item version ticked in the Workbox, read from the
// hidden_<uid> field that belongs to a posted check_<uid> checkbox.
type SelectedItem struct {
	// ID is the item ID as posted, such as
	// "{3D457AFD-A5DC-4522-94DC-830E20D89FA4}".
	ID       string
	Language string
	Version  string
}

// SelectedItems returns the items that workflow:sendselected acts on, in
// the order of their checkboxes. Like the Workbox, it takes each field
// name that starts with "check_", case-sensitive, and reads the hidden_
// field with the same suffix. It keeps values of exactly three
// comma-separated parts: item ID, language and version. Because ASP.NET
// lists each form name once, in its first spelling, a name repeated in
// another case counts once, and a repeated hidden_ field joins into more
// than three parts and is skipped, as the server skips it.
func (p *Postback) SelectedItems() []SelectedItem {
	values := map[string][]string{}
	var names []string
	for _, field := range p.Form {
		folded := strings.ToLower(field.Name)
		if _, seen := values[folded]; !seen {
			names = append(names, field.Name)
		}
		values[folded] = append(values[folded], field.Value)
	}

	var items []SelectedItem
	for _, name := range names {
		suffix, ok := strings.CutPrefix(name, "check_")
		if !ok {
			continue
		}
		// NOTE: the Workbox fails with a NullReferenceException when the
		// hidden_ field is missing, so nothing runs. Skipping the checkbox
		// lists no item for a request that changes no item.
		hidden, ok := values[strings.ToLower("hidden_"+suffix)]
		if !ok {
			continue
		}
		parts := strings.Split(strings.Join(hidden, ","), ",")
		if len(parts) != 3 {
			continue
		}
		items = append(items, SelectedItem{ID: parts[0], Language: parts[1], Version: parts[2]})
	}
	return items
}

// ItemURI is a Sitecore item URI such as
// sitecore://master/{7DB3B587-2DDE-440D-BFF6-4192C57C6D2D}?lang=en&ver=3,
// the form of the Content Editor's __CurrentItem field.
type ItemURI struct {
	Database string

	// ID is the item ID as written, braces included.
	ID string

	// Language and Version are the lang and ver query values, "" when
	// absent.
	Language string
	Version  string
}

// ParseItemURI reads an item URI. The scheme matches without regard to
// case, and the database and the item ID are required.
func ParseItemURI(s string) (ItemURI, error) {
	rest, ok := cutPrefixFold(s, "sitecore://")
	if !ok {
		return ItemURI{}, fmt.Errorf("item URI %q: scheme must be sitecore://", s)
	}
	location, query, _ := strings.Cut(rest, "?")
	database, id, _ := strings.Cut(location, "/")
	if database == "" || id == "" {
		return ItemURI{}, fmt.Errorf("item URI %q: database or item ID is missing", s)
	}

	uri := ItemURI{Database: database, ID: id}
	for _, pair := range strings.Split(query, "&") {
		key, value, _ := strings.Cut(pair, "=")
		value = decodeFormValue(value, componentEncoding)
		switch strings.ToLower(key) {
		case "lang":
			uri.Language = value
		case "ver":
			uri.Version = value
		}
	}
	return uri, nil
}

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

// Command is one client command of a Sheer UI response, such as
// {"command":"SetPipeline","value":"c9b7c6d6931841af9fb2cc23ce9ebb43"}.
type Command struct {
	// Name is the command member: "SetPipeline", "ShowModalDialog",
	// "Alert", "Eval" and so on.
	Name string

	// Value is the value member: the pipeline ID of SetPipeline, the
	// dialog URL of ShowModalDialog, the text of Alert. A value that is
	// not a string is kept in its JSON form, and a missing or null value
	// is "".
	Value string

	// Members holds the other members by name, such as url, response or
	// features, converted like Value.
	Members map[string]string
}

// Response is the command list of a Sheer UI response.
type Response struct {
	Commands []Command

	// Scanned is true when the body was not valid JSON, so its commands
	// were read by a lenient scan (see ParseResponse).
	Scanned bool
}

// ParseResponse reads the client commands of a Sheer UI response body,
// which must already be decompressed. It returns ErrNotCommandResponse for
// a body that the client does not run as commands.
//
// The client evaluates the body as JavaScript rather than JSON. So when the
// body is not valid JSON, ParseResponse scans it as a JavaScript object
// literal instead. The scan accepts single-quoted strings, unquoted member
// names and JavaScript escapes such as \', and reads the members whose
// values are strings, names or numbers. A truncated body yields the
// commands whose objects are complete. ParseResponse returns an error when
// the scan finds no command.
func ParseResponse(body []byte) (*Response, error) {
	if !strings.HasPrefix(string(body), `{"commands":`) {
		return nil, ErrNotCommandResponse
	}

	var list struct {
		Commands []map[string]json.RawMessage `json:"commands"`
	}
	jsonErr := json.Unmarshal(body, &list)
	if jsonErr == nil {
		response := &Response{}
		for _, object := range list.Commands {
			members := map[string]string{}
			for name, raw := range object {
				members[name] = jsonText(raw)
			}
			if command, ok := commandOf(members); ok {
				response.Commands = append(response.Commands, command)
			}
		}
		return response, nil
	}

	commands := scanCommands(string(body))
	if len(commands) == 0 {
		return nil, fmt.Errorf("reading Sheer UI response: no command found, and the body is not JSON: %v", jsonErr)
	}
	return &Response{Commands: commands, Scanned: true}, nil
}

// jsonText returns a JSON string's text, "" for null, and the JSON form of
// any other value.
func jsonText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if string(raw) == "null" {
		return ""
	}
	return string(raw)
}

// commandOf builds a command from an object's members. An object without
// a command member is not a command.
func commandOf(members map[string]string) (Command, bool) {
	name, ok := members["command"]
	if !ok || name == "" {
		return Command{}, false
	}
	command := Command{Name: name, Value: members["value"], Members: map[string]string{}}
	for key, value := range members {
		if key != "command" && key != "value" {
			command.Members[key] = value
		}
	}
	return command, true
}

// Pipeline returns the value of the last SetPipeline command: the ID that
// the continuation of a dialog posts as __PIPELINE.
func (r *Response) Pipeline() (string, bool) {
	id, found := "", false
	for _, command := range r.Commands {
		if command.Name == "SetPipeline" {
			id, found = command.Value, true
		}
	}
	return id, found
}

// Dialogs returns the commands that ask the user and post the dialog
// result in a continuation: ShowModalDialog, Input, Confirm and
// CheckModified.
func (r *Response) Dialogs() []Command {
	var dialogs []Command
	for _, command := range r.Commands {
		if dialogCommands[command.Name] {
			dialogs = append(dialogs, command)
		}
	}
	return dialogs
}

// Alerts returns the texts of the Alert commands, the way Sitecore reports
// a refused command in a 200 response.
func (r *Response) Alerts() []string {
	var texts []string
	for _, command := range r.Commands {
		if command.Name == "Alert" {
			texts = append(texts, command.Value)
		}
	}
	return texts
}

// scanCommands reads the array elements with a command member from a
// JavaScript object literal, as the client reads the elements of the
// commands array. It tracks, for each open object, whether a member name,
// a colon or a value comes next, and keeps the members whose values are
// strings, names or numbers. Commands are listed in the order their
// objects close.
func scanCommands(body string) []Command {
	const (
		wantName = iota
		wantColon
		wantValue
		wantComma
	)
	type object struct {
		members map[string]string
		name    string
		state   int
	}

	var commands []Command
	var stack []*object // nil for an array
	top := func() *object {
		if len(stack) == 0 {
			return nil
		}
		return stack[len(stack)-1]
	}
	token := func(text string) {
		o := top()
		switch {
		case o == nil:
		case o.state == wantName:
			o.name, o.state = text, wantColon
		case o.state == wantValue:
			o.members[o.name], o.state = text, wantComma
		}
	}

	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == '"' || c == '\'':
			text, next := readJSString(body, i)
			token(text)
			i = next
		case c == '{' || c == '[':
			if o := top(); o != nil && o.state == wantValue {
				o.state = wantComma
			}
			if c == '{' {
				stack = append(stack, &object{members: map[string]string{}})
			} else {
				stack = append(stack, nil)
			}
			i++
		case c == '}' || c == ']':
			if o := top(); o != nil && len(stack) > 1 && stack[len(stack)-2] == nil {
				if command, ok := commandOf(o.members); ok {
					commands = append(commands, command)
				}
			}
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			i++
		case c == ':':
			if o := top(); o != nil && o.state == wantColon {
				o.state = wantValue
			}
			i++
		case c == ',':
			if o := top(); o != nil {
				o.state = wantName
			}
			i++
		case isWordByte(c):
			j := i
			for j < len(body) && isWordByte(body[j]) {
				j++
			}
			token(body[i:j])
			i = j
		default:
			i++
		}
	}
	return commands
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == '$' || c == '.' || c == '-' || c == '+'
}

// readJSString reads the JavaScript string literal whose quote is at
// s[start] and returns its text and the index after its closing quote, or
// len(s) when it has none.
func readJSString(s string, start int) (string, int) {
	quote := s[start]
	var d textDecoder
	i := start + 1
	for i < len(s) {
		c := s[i]
		if c == quote {
			return d.String(), i + 1
		}
		if c != '\\' || i+1 >= len(s) {
			d.writeByte(c)
			i++
			continue
		}
		i += 2
		switch e := s[i-1]; e {
		case 'n':
			d.writeByte('\n')
		case 'r':
			d.writeByte('\r')
		case 't':
			d.writeByte('\t')
		case 'b':
			d.writeByte('\b')
		case 'f':
			d.writeByte('\f')
		case 'v':
			d.writeByte('\v')
		case '0':
			d.writeByte(0)
		case '\n':
			// A backslash before a line break continues the line.
		case 'x':
			if i+2 <= len(s) && isHex(s[i:i+2]) {
				d.writeRune(rune(unhex(s[i : i+2])))
				i += 2
			} else {
				d.writeByte('x')
			}
		case 'u':
			if i+4 <= len(s) && isHex(s[i:i+4]) {
				d.writeRune(rune(unhex(s[i : i+4])))
				i += 4
			} else {
				d.writeByte('u')
			}
		default:
			d.writeByte(e)
		}
	}
	return d.String(), len(s)
}
