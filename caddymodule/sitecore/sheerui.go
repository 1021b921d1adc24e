package sitecore

// Sheer UI is the framework of Sitecore's classic editors: the Content
// Editor, the Workbox and the legacy Experience Editor ribbon. Each button,
// menu entry, shortcut or dialog answer is a form POST to the page that
// hosts the editor (a postback), and the server returns a list of client
// commands. This file and sheerui_message.go read postbacks, and
// sheerui_response.go the responses, without acting on them.
//
// The facts about the client come from Sitecore.js of Sitecore 8.2
// (sitecore/shell/Controls/Sitecore.js, scRequest.build, buildFields,
// postResult and handle), and those about the Workbox from its
// WorkboxForm.SendSelected.

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrNotPostback is returned for a form that has neither __PARAMETERS nor
// __PIPELINE, so no Sheer UI page posted it for a command or a dialog
// result.
var ErrNotPostback = errors.New("not a Sheer UI postback: the form has neither __PARAMETERS nor __PIPELINE")

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
// dialog of a client pipeline, which it does when __PIPELINE is not empty.
func (p *Postback) IsContinuation() bool {
	return p.Pipeline != ""
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
	if p.IsContinuation() {
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
