package wordpress

import (
	"bytes"
	"maps"
	"mime"
	"mime/multipart"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// params reproduces how the WordPress REST API reads a request's parameters
// (WP_REST_Request::get_parameter_order in WordPress 6.1): the JSON body when
// the Content-Type is JSON, then the form body for methods that take a body,
// then the query string. The first source that sets a key wins.
type params struct {
	json     members
	jsonKeys []string
	form     map[string]phpValue
	get      map[string]phpValue
}

// members are the members of a JSON object by name. A JSON body is split
// once, because every lookup would otherwise scan the whole body again.
// PHP's json_decode keeps the last of duplicate keys, and so does members.
type members map[string]gjson.Result

// membersOf returns the members of a JSON object, or nil for another value.
func membersOf(v gjson.Result) members {
	if !v.IsObject() {
		return nil
	}
	m := members{}
	v.ForEach(func(k, v gjson.Result) bool {
		m[k.String()] = v
		return true
	})
	return m
}

// setJSON makes a JSON object the first source of parameters.
func (p *params) setJSON(v gjson.Result) {
	p.json = membersOf(v)
	p.jsonKeys = orderOf(v)
}

// orderOf lists the member names in the order of the JSON text; a name given
// twice is listed once, where it first appears.
func orderOf(v gjson.Result) []string {
	var names []string
	seen := map[string]bool{}
	v.ForEach(func(k, _ gjson.Result) bool {
		if n := k.String(); !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
		return true
	})
	return names
}

// phpValue is one request variable as PHP parses it: a scalar string, or an
// array when the key had brackets ("status[]=x"), with its elements.
type phpValue struct {
	s        string
	array    bool
	elements []phpElement
}

// phpElement is one value of an array variable and its bracket path:
// "requests[0][body][status]=publish" has the path 0, body, status. An
// empty segment ("[]") appends, as PHP does.
type phpElement struct {
	path  []string
	value string
}

// value is a parameter as the classifier reads it.
type value struct {
	s string

	// scalar is false for arrays and objects, which WordPress rejects
	// where it expects a status, a parent or a slug.
	scalar bool
}

// lookup returns the parameter key from the first source that sets it. A
// JSON null is an empty string: WordPress sanitizes it into one before it
// reads the parameter (a null status stores the post as a draft).
func (p *params) lookup(key string) (value, bool) {
	if v, ok := p.json[key]; ok {
		return value{s: scalarString(v), scalar: !v.IsObject() && !v.IsArray()}, true
	}
	for _, m := range []map[string]phpValue{p.form, p.get} {
		if v, ok := m[key]; ok {
			return value{s: v.s, scalar: !v.array}, true
		}
	}
	return value{}, false
}

// keys returns every parameter name that the request sets.
func (p *params) keys() []string {
	seen := map[string]bool{}
	var out []string
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for _, k := range p.jsonKeys {
		add(k)
	}
	for _, m := range []map[string]phpValue{p.form, p.get} {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			add(k)
		}
	}
	return out
}

func scalarString(v gjson.Result) string {
	switch v.Type {
	case gjson.Null:
		return ""
	case gjson.String:
		return v.Str
	case gjson.True:
		return "true"
	case gjson.False:
		return "false"
	default:
		return v.Raw
	}
}

// jsonMediaType matches what wp_is_json_media_type() accepts: application/json,
// application/<something>+json and application/json+oembed, in any case.
// Its character class holds the range from & to ^, as WordPress's does, so
// a subtype may contain '=' and digits.
var jsonMediaType = regexp.MustCompile(`(?i)(^|\s|,)application/([\w!#$&-\^.+]+\+)?json(\+oembed)?($|\s|;|,)`)

// isJSON reports whether WordPress reads the body of a request with this
// Content-Type as JSON.
func isJSON(contentType string) bool {
	return jsonMediaType.MatchString(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
}

// implicitForm reports whether WordPress reads a body of this Content-Type
// as a form when the method is not POST: a missing type, a type without a
// slash, or the urlencoded type (WP_REST_Request::get_content_type and
// parse_body_params).
func implicitForm(contentType string) bool {
	v := strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	return v == "" || !strings.Contains(v, "/") || v == "application/x-www-form-urlencoded"
}

// formKind tells which form encoding PHP parses into $_POST.
func formKind(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		// PHP compares a prefix of the header, so a parameter that Go
		// cannot parse does not stop PHP from reading the form.
		mt = strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	}
	switch mt {
	case "application/x-www-form-urlencoded":
		return "urlencoded"
	case "multipart/form-data":
		return "multipart"
	}
	return ""
}

// parseForm reads a form body into PHP request variables. It returns nil for
// a body that is not a form.
func parseForm(contentType string, body []byte) map[string]phpValue {
	switch formKind(contentType) {
	case "urlencoded":
		return parsePHPQuery(string(body))
	case "multipart":
		_, ps, err := mime.ParseMediaType(contentType)
		if err != nil || ps["boundary"] == "" {
			return nil
		}
		out := map[string]phpValue{}
		mr := multipart.NewReader(bytes.NewReader(body), ps["boundary"])
		for {
			part, err := mr.NextPart()
			if err != nil {
				break
			}
			if part.FileName() != "" {
				continue
			}
			var buf bytes.Buffer
			_, _ = buf.ReadFrom(part)
			setPHPVar(out, part.FormName(), buf.String())
		}
		return out
	}
	return nil
}

// parsePHPQuery parses a query string as PHP fills $_GET: '+' is a space,
// the last of duplicate keys wins, and key names are changed as phpVarName
// describes.
func parsePHPQuery(raw string) map[string]phpValue {
	out := map[string]phpValue{}
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			continue
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			continue
		}
		setPHPVar(out, key, val)
	}
	return out
}

func setPHPVar(m map[string]phpValue, key, val string) {
	name, path := phpVarName(key)
	if name == "" {
		return
	}
	if path == nil {
		m[name] = phpValue{s: val}
		return
	}
	v := m[name]
	if !v.array {
		v = phpValue{array: true}
	}
	v.elements = append(v.elements, phpElement{path: path, value: val})
	m[name] = v
}

// phpVarName returns the variable name PHP makes of a request key, and the
// bracket path when the key names an array element ("status[]" or
// "requests[0][path]"). Leading spaces are dropped and spaces and dots in
// the name become underscores. A '[' without its ']' becomes an underscore
// and ends the renaming. Text after the last closed bracket is ignored.
func phpVarName(key string) (string, []string) {
	key = strings.TrimLeft(key, " ")
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch c {
		case ' ', '.':
			b.WriteByte('_')
		case '[':
			if strings.IndexByte(key[i:], ']') < 0 {
				b.WriteByte('_')
				b.WriteString(key[i+1:])
				return b.String(), nil
			}
			return b.String(), bracketPath(key[i:])
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// bracketPath reads the segments of "[a][b]...": each segment runs to the
// next ']', and the path ends at the first character after a ']' that is
// not '['.
func bracketPath(s string) []string {
	path := []string{}
	for len(s) > 0 && s[0] == '[' {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			break
		}
		path = append(path, s[1:end])
		s = s[end+1:]
	}
	return path
}

// batchEntry is one request of a batch.
type batchEntry struct {
	method string
	path   string
	body   params
}

// batchEntries returns the entries of the requests parameter, from the
// first source that sets it.
func (p *params) batchEntries() []batchEntry {
	if v, ok := p.json["requests"]; ok {
		if !v.IsArray() {
			return nil
		}
		var out []batchEntry
		for _, e := range v.Array() {
			be := batchEntry{method: e.Get("method").String(), path: e.Get("path").String()}
			be.body.setJSON(e.Get("body"))
			out = append(out, be)
		}
		return out
	}
	for _, m := range []map[string]phpValue{p.form, p.get} {
		if v, ok := m["requests"]; ok {
			return entriesFromElements(v.elements)
		}
	}
	return nil
}

// entriesFromElements groups the elements of a bracketed requests array by
// index: requests[0][method], requests[0][path] and
// requests[0][body][status] make one entry. An empty index appends a new
// entry, as PHP does.
func entriesFromElements(elements []phpElement) []batchEntry {
	byIndex := map[string]*batchEntry{}
	var order []string
	next := 0
	for _, el := range elements {
		if len(el.path) < 2 {
			continue
		}
		index := el.path[0]
		if index == "" {
			index = strconv.Itoa(next)
		}
		if n, err := strconv.Atoi(index); err == nil && n >= next {
			next = n + 1
		}
		e := byIndex[index]
		if e == nil {
			e = &batchEntry{}
			e.body.form = map[string]phpValue{}
			byIndex[index] = e
			order = append(order, index)
		}
		switch {
		case len(el.path) == 2 && el.path[1] == "method":
			e.method = el.value
		case len(el.path) == 2 && el.path[1] == "path":
			e.path = el.value
		case len(el.path) == 3 && el.path[1] == "body":
			e.body.form[el.path[2]] = phpValue{s: el.value}
		case len(el.path) > 3 && el.path[1] == "body":
			e.body.form[el.path[2]] = phpValue{array: true}
		}
	}
	out := make([]batchEntry, 0, len(order))
	for _, index := range order {
		out = append(out, *byIndex[index])
	}
	return out
}
