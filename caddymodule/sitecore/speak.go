package sitecore

// The Experience Editor's ribbon sends each command step as a SPEAK
// request: a form POST to /-/speak/request/v1/expeditor/<RequestName> with
// the fields __RequestVerificationToken and data, the command context as
// JSON. This file reads such requests without acting on them. The request
// shape comes from ExperienceEditor.js (postServerRequest) of Sitecore 8.2,
// the field keys from the Experience Editor's CallServerSavePipeline.

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// DefaultSpeakRequestPath is the path prefix of the Experience Editor's
// SPEAK requests, which the request name follows.
const DefaultSpeakRequestPath = "/-/speak/request/v1/expeditor/"

// IgnoreRevision is the revision that an Experience Editor field key
// carries when the client does not know the field's revision.
const IgnoreRevision = "#!#Ignore revision#!#"

// SpeakRequestName returns the request name that follows prefix in a
// request path, such as "ExperienceEditor.Save.CallServerSavePipeline". The
// prefix matches without regard to case, as IIS routes paths, and the name
// is one non-empty path segment.
func SpeakRequestName(prefix, path string) (string, bool) {
	name, ok := cutPrefixFold(path, prefix)
	if !ok || name == "" || strings.Contains(name, "/") {
		return "", false
	}
	return name, true
}

// SpeakRequest is an Experience Editor SPEAK request: one step of a ribbon
// command, named by its path, with the command context as data.
type SpeakRequest struct {
	// Name is the request name, such as
	// "ExperienceEditor.Save.CallServerSavePipeline".
	Name string

	// Data is the decoded data object: language, version, itemId,
	// database and the like, plus scFieldValues and scLayout for a save.
	// Numbers are json.Number, so that IDs and versions keep their text.
	Data map[string]any
}

// ParseSpeakRequest reads the form-encoded body of the SPEAK request with
// the name. The data field must hold one JSON object. The client has
// already passed it through unescape() before encoding the form, so the
// decoded field is the JSON the server reads.
func ParseSpeakRequest(name string, body []byte) (*SpeakRequest, error) {
	form := parseForm(body, nil)
	if !form.Has("data") {
		return nil, fmt.Errorf("SPEAK request %q: data field is missing", name)
	}

	decoder := json.NewDecoder(strings.NewReader(form.Get("data")))
	decoder.UseNumber()
	var data map[string]any
	if err := decoder.Decode(&data); err != nil {
		return nil, fmt.Errorf("SPEAK request %q: data is not a JSON object: %v", name, err)
	}
	if data == nil {
		return nil, fmt.Errorf("SPEAK request %q: data is null, not a JSON object", name)
	}
	if _, err := decoder.Token(); err != io.EOF {
		return nil, fmt.Errorf("SPEAK request %q: data has text after its JSON object", name)
	}
	return &SpeakRequest{Name: name, Data: data}, nil
}

// Lookup returns the data member with the key. An exact match wins, and
// otherwise the key matches without regard to case.
//
// NOTE: that the server binds data to its command context with
// Newtonsoft.Json, which matches member names without regard to case, is
// assumed, not confirmed.
func (r *SpeakRequest) Lookup(key string) (any, bool) {
	if v, ok := r.Data[key]; ok {
		return v, true
	}
	for k, v := range r.Data {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// Get returns the data member with the key as text: a string as it is, a
// number or boolean in its JSON form, and "" for a missing member, null,
// an object or an array.
func (r *SpeakRequest) Get(key string) string {
	v, _ := r.Lookup(key)
	return scalarText(v)
}

func scalarText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// FieldValue is one field value that an Experience Editor save posts in
// scFieldValues.
type FieldValue struct {
	Key FieldKey

	// Value is the value as posted, HTML-encoded ("&amp;" for "&"). For a
	// flds_ key it is a session key, not content.
	Value string
}

// FieldKey is a key of scFieldValues, such as
// fld_7DB3B5872DDE440DBFF64192C57C6D2D_7F66C9E84B134F20980BEC7F29A2893A_en_3_233a8fdc-5164-48b6-a982-7c23ccb0563a_999.
type FieldKey struct {
	// Session is true for a flds_ key, whose value the server reads from
	// the session.
	Session bool

	// ItemID and FieldID are 32 hex digits, as posted.
	ItemID  string
	FieldID string

	Language string
	Version  string

	// Revision is the field's revision, or IgnoreRevision.
	Revision string

	// Index is the last part, <n>, as posted.
	Index string
}

// ParseFieldKey reads a key of scFieldValues:
// fld_<item>_<field>_<language>_<version>_<revision>_<n>, or flds_ with
// the same parts. Like the server, it ignores a suffix that starts with
// "$" and splits the rest on "_".
func ParseFieldKey(key string) (FieldKey, error) {
	text, _, _ := strings.Cut(key, "$")
	parts := strings.Split(text, "_")
	if len(parts) != 7 {
		return FieldKey{}, fmt.Errorf("field key %q: has %d parts separated by \"_\", want 7", key, len(parts))
	}

	var fk FieldKey
	switch parts[0] {
	case "fld":
	case "flds":
		fk.Session = true
	default:
		return FieldKey{}, fmt.Errorf("field key %q: must start with fld_ or flds_", key)
	}
	for _, id := range parts[1:3] {
		if len(id) != 32 || !isHex(id) {
			return FieldKey{}, fmt.Errorf("field key %q: %q is not a 32-digit hex ID", key, id)
		}
	}
	fk.ItemID, fk.FieldID = parts[1], parts[2]
	fk.Language, fk.Version, fk.Revision, fk.Index = parts[3], parts[4], parts[5], parts[6]
	return fk, nil
}

// FieldValues reads scFieldValues, sorted by key. A request without it
// has none. It returns an error when scFieldValues is not an object or a
// key is not a field key, since the fields it names are then unknown.
func (r *SpeakRequest) FieldValues() ([]FieldValue, error) {
	raw, ok := r.Lookup("scFieldValues")
	if !ok || raw == nil {
		return nil, nil
	}
	object, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("SPEAK request %q: scFieldValues is not an object", r.Name)
	}

	keys := make([]string, 0, len(object))
	for key := range object {
		keys = append(keys, key)
	}
	sort.Strings(keys)

	values := make([]FieldValue, 0, len(keys))
	for _, key := range keys {
		fk, err := ParseFieldKey(key)
		if err != nil {
			return nil, fmt.Errorf("SPEAK request %q: %w", r.Name, err)
		}
		values = append(values, FieldValue{Key: fk, Value: scalarText(object[key])})
	}
	return values, nil
}
