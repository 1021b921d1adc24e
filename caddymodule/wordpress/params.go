package wordpress

import (
	"bytes"
	"maps"
	"mime"
	"mime/multipart"
	"net/url"
	"regexp"
	"slices"
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
// array when the key had brackets ("status[]=x").
type phpValue struct {
	s     string
	array bool
}

// value is a parameter as the classifier reads it.
type value struct {
	s string

	// scalar is false for arrays and objects, which WordPress rejects
	// where it expects a status, a parent or a slug.
	scalar bool
}

// lookup returns the parameter key from the first source that sets it. A
// JSON null counts as unset, as PHP's isset() does.
func (p *params) lookup(key string) (value, bool) {
	if v, ok := p.json[key]; ok && v.Type != gjson.Null {
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
		if p.json[k].Type != gjson.Null {
			add(k)
		}
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
var jsonMediaType = regexp.MustCompile(`(?i)(^|\s|,)application/([\w!#$&\-^.+]+\+)?json(\+oembed)?($|\s|;|,)`)

// isJSON reports whether WordPress reads the body of a request with this
// Content-Type as JSON.
func isJSON(contentType string) bool {
	return jsonMediaType.MatchString(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
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
	name, array := phpVarName(key)
	if name == "" {
		return
	}
	m[name] = phpValue{s: val, array: array}
}

// phpVarName returns the variable name PHP makes of a request key: leading
// spaces are dropped, spaces and dots become underscores, and a key with a
// closed bracket names an array ("status[]"). A '[' without its ']' becomes
// an underscore and ends the renaming.
func phpVarName(key string) (string, bool) {
	key = strings.TrimLeft(key, " ")
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch c {
		case ' ', '.':
			b.WriteByte('_')
		case '[':
			if strings.IndexByte(key[i:], ']') > 0 {
				return b.String(), true
			}
			b.WriteByte('_')
			b.WriteString(key[i+1:])
			return b.String(), false
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), false
}

// lookupJSON returns a structured parameter from the JSON body.
func (p *params) lookupJSON(key string) (gjson.Result, bool) {
	v, ok := p.json[key]
	return v, ok && v.Type != gjson.Null
}
