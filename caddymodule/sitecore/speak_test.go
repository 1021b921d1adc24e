package sitecore_test

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/cmshooks/caddy-cms-webhooks/caddymodule/sitecore"
)

// speakBody encodes data as jQuery posts it: a form with the token and
// data, spaces written as '+'. QueryEscape also escapes the few characters
// that encodeURIComponent() keeps, which decodes to the same text.
func speakBody(data string) string {
	return "__RequestVerificationToken=q3ZpTmW8xR0c&data=" + url.QueryEscape(data)
}

// TestSpeakSaveRequestExample reads example C of the specification: the
// request name from the path, the context and one field of the page item.
func TestSpeakSaveRequestExample(t *testing.T) {
	ex := readRecorded(t, "experience-editor-save")
	name, ok := sitecore.SpeakRequestName(sitecore.DefaultSpeakRequestPath, ex.target)
	if !ok || name != "ExperienceEditor.Save.CallServerSavePipeline" {
		t.Fatalf("SpeakRequestName(%q) = %q, %v", ex.target, name, ok)
	}

	r, err := sitecore.ParseSpeakRequest(name, []byte(ex.body))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"language":        "en",
		"version":         "3",
		"database":        "master",
		"webEditMode":     "edit",
		"itemId":          pageItem,
		"deviceId":        "{C7EF365B-0115-4BC7-9E8E-0A87EDA2B939}",
		"scValidatorsKey": "VK_SC_PAGEEDITOR",
	} {
		if got := r.Get(key); got != want {
			t.Errorf("Get(%q) = %q, want %q", key, got, want)
		}
	}
	if layout := r.Get("scLayout"); !strings.HasPrefix(layout, "&lt;r xmlns:xsd=&quot;") {
		t.Errorf("scLayout = %q, want the HTML-encoded layout", layout)
	}
	if r.Get("__RequestVerificationToken") != "" {
		t.Error("the token is read as data")
	}

	values, err := r.FieldValues()
	if err != nil {
		t.Fatal(err)
	}
	want := []sitecore.FieldValue{{
		Key: sitecore.FieldKey{
			ItemID:   "7DB3B5872DDE440DBFF64192C57C6D2D",
			FieldID:  "7F66C9E84B134F20980BEC7F29A2893A",
			Language: "en",
			Version:  "3",
			Revision: "233a8fdc-5164-48b6-a982-7c23ccb0563a",
			Index:    "999",
		},
		Value: "Opening hours &amp; prices",
	}}
	if !reflect.DeepEqual(values, want) {
		t.Errorf("FieldValues() = %+v\nwant %+v", values, want)
	}
}

// TestSpeakRequestNameFromPath matches the prefix without regard to case
// and takes one non-empty segment after it.
func TestSpeakRequestNameFromPath(t *testing.T) {
	tests := []struct {
		path string
		want string
		ok   bool
	}{
		{"/-/speak/request/v1/expeditor/ExperienceEditor.Insert", "ExperienceEditor.Insert", true},
		{"/-/SPEAK/Request/V1/ExpEditor/ExperienceEditor.Rename", "ExperienceEditor.Rename", true},
		{"/-/speak/request/v1/expeditor/", "", false},
		{"/-/speak/request/v1/expeditor", "", false},
		{"/-/speak/request/v1/expeditor/a/b", "", false},
		{"/-/speak/request/v1/other/ExperienceEditor.Insert", "", false},
		{"/sitecore/shell/Applications/WebEdit/WebEditRibbon.aspx", "", false},
	}
	for _, tt := range tests {
		got, ok := sitecore.SpeakRequestName(sitecore.DefaultSpeakRequestPath, tt.path)
		if got != tt.want || ok != tt.ok {
			t.Errorf("SpeakRequestName(%q) = %q, %v, want %q, %v", tt.path, got, ok, tt.want, tt.ok)
		}
	}
	if got, ok := sitecore.SpeakRequestName("/custom/ee/", "/custom/ee/Acme.Publish"); !ok || got != "Acme.Publish" {
		t.Errorf("configured prefix: got %q, %v", got, ok)
	}
}

// TestSpeakWritingRequestKeys reads the keys of the writing requests, in
// any case, with numbers and booleans as the client may send them.
func TestSpeakWritingRequestKeys(t *testing.T) {
	data := `{"language":"da","version":2,"isHome":false,"ITEMID":"{0DB0CE8C-77A3-4969-903F-138C626483D1}",` +
		`"templateItemId":"{76036F5E-CBCE-46D1-AF0A-4143F9B557AA}","name":"Café menu","targetItemId":null,"argument":{"x":1}}`
	r, err := sitecore.ParseSpeakRequest("ExperienceEditor.Insert", []byte(speakBody(data)))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"itemId":         "{0DB0CE8C-77A3-4969-903F-138C626483D1}",
		"templateItemId": "{76036F5E-CBCE-46D1-AF0A-4143F9B557AA}",
		"name":           "Café menu",
		"version":        "2",
		"isHome":         "false",
		"targetItemId":   "",
		"argument":       "",
		"missing":        "",
	} {
		if got := r.Get(key); got != want {
			t.Errorf("Get(%q) = %q, want %q", key, got, want)
		}
	}
	if v, ok := r.Lookup("version"); !ok || v != json.Number("2") {
		t.Errorf("Lookup(version) = %#v, %v, want json.Number 2", v, ok)
	}
	if _, ok := r.Lookup("targetItemId"); !ok {
		t.Error("Lookup(targetItemId) = false for a null member")
	}
	if values, err := r.FieldValues(); err != nil || values != nil {
		t.Errorf("FieldValues() = %+v, %v, want none", values, err)
	}
}

// TestSpeakExactKeyBeatsOtherCase prefers the member spelled as asked.
func TestSpeakExactKeyBeatsOtherCase(t *testing.T) {
	r, err := sitecore.ParseSpeakRequest("ExperienceEditor.Rename", []byte(speakBody(`{"Value":"old","value":"new"}`)))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Get("value"); got != "new" {
		t.Errorf(`Get("value") = %q, want the exact spelling's "new"`, got)
	}
	if got := r.Get("Value"); got != "old" {
		t.Errorf(`Get("Value") = %q, want "old"`, got)
	}
}

// TestSpeakNonASCIIData decodes UTF-8 from the form, JSON escapes and
// surrogate pairs in the data.
func TestSpeakNonASCIIData(t *testing.T) {
	data := `{"itemId":"{A}","value":"Öffnungszeiten – 营业时间 \ud83d\udd52","name":"caf\u00e9 + bar"}`
	r, err := sitecore.ParseSpeakRequest("ExperienceEditor.Rename", []byte(speakBody(data)))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Get("value"); got != "Öffnungszeiten – 营业时间 🕒" {
		t.Errorf("value = %q", got)
	}
	if got := r.Get("name"); got != "café + bar" {
		t.Errorf("name = %q", got)
	}
}

// TestParseSpeakRejectsMalformedData returns an error when data is
// missing, is not one JSON object, or is cut short.
func TestParseSpeakRejectsMalformedData(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"empty body", ""},
		{"no data field", "__RequestVerificationToken=abc"},
		{"empty data", "data="},
		{"data is an array", speakBody(`[{"itemId":"{A}"}]`)},
		{"data is a string", speakBody(`"x"`)},
		{"data is null", speakBody(`null`)},
		{"truncated JSON", speakBody(`{"itemId":"{A}","language":"e`)},
		{"text after the object", speakBody(`{"itemId":"{A}"} x`)},
		{"two objects", speakBody(`{"a":1}{"b":2}`)},
		{"repeated data joins", speakBody(`{"a":1}`) + "&data=" + url.QueryEscape(`{"b":2}`)},
		{"json body instead of form", `{"data":{"itemId":"{A}"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r, err := sitecore.ParseSpeakRequest("ExperienceEditor.Insert", []byte(tt.body)); err == nil {
				t.Errorf("ParseSpeakRequest(%q) = %+v, want an error", tt.body, r)
			}
		})
	}
}

// TestParseFieldKeyParts reads the parts of scFieldValues keys.
func TestParseFieldKeyParts(t *testing.T) {
	const item, field = "7DB3B5872DDE440DBFF64192C57C6D2D", "7F66C9E84B134F20980BEC7F29A2893A"
	tests := []struct {
		key  string
		want sitecore.FieldKey
	}{
		{
			key:  "fld_" + item + "_" + field + "_en_3_233a8fdc-5164-48b6-a982-7c23ccb0563a_999",
			want: sitecore.FieldKey{ItemID: item, FieldID: field, Language: "en", Version: "3", Revision: "233a8fdc-5164-48b6-a982-7c23ccb0563a", Index: "999"},
		},
		{
			key:  "fld_" + item + "_" + field + "_de-DE_1_" + sitecore.IgnoreRevision + "_0",
			want: sitecore.FieldKey{ItemID: item, FieldID: field, Language: "de-DE", Version: "1", Revision: sitecore.IgnoreRevision, Index: "0"},
		},
		{
			key:  "flds_" + item + "_" + field + "_en_3_rev_12",
			want: sitecore.FieldKey{Session: true, ItemID: item, FieldID: field, Language: "en", Version: "3", Revision: "rev", Index: "12"},
		},
		{
			key:  "fld_" + item + "_" + field + "_en_3_rev_7$edit_frame_1",
			want: sitecore.FieldKey{ItemID: item, FieldID: field, Language: "en", Version: "3", Revision: "rev", Index: "7"},
		},
	}
	for _, tt := range tests {
		got, err := sitecore.ParseFieldKey(tt.key)
		if err != nil {
			t.Errorf("ParseFieldKey(%q): %v", tt.key, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseFieldKey(%q) = %+v, want %+v", tt.key, got, tt.want)
		}
	}

	for _, key := range []string{
		"",
		"fld_" + item + "_" + field + "_en_3_rev",
		"fld_" + item + "_" + field + "_en_3_rev_1_2",
		"field_" + item + "_" + field + "_en_3_rev_1",
		"fld_" + item[:31] + "_" + field + "_en_3_rev_1",
		"fld_" + item + "_" + strings.Replace(field, "7", "x", 1) + "_en_3_rev_1",
		"fld_{" + item[:30] + "}_" + field + "_en_3_rev_1",
	} {
		if _, err := sitecore.ParseFieldKey(key); err == nil {
			t.Errorf("ParseFieldKey(%q) succeeded, want an error", key)
		}
	}
}

// TestFieldValuesRejectUnknownKeys fails when scFieldValues holds a key
// that names no field, and sorts the keys it reads.
func TestFieldValuesRejectUnknownKeys(t *testing.T) {
	const field = "_7F66C9E84B134F20980BEC7F29A2893A_en_1_r_0"
	data := `{"scFieldValues":{"fld_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB` + field + `":"b","fld_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA` + field + `":2}}`
	r, err := sitecore.ParseSpeakRequest("ExperienceEditor.Save.CallServerSavePipeline", []byte(speakBody(data)))
	if err != nil {
		t.Fatal(err)
	}
	values, err := r.FieldValues()
	if err != nil {
		t.Fatal(err)
	}
	if len(values) != 2 || values[0].Key.ItemID[0] != 'A' || values[0].Value != "2" || values[1].Value != "b" {
		t.Errorf("FieldValues() = %+v, want A's 2 before B's b", values)
	}

	for _, data := range []string{
		`{"scFieldValues":{"scLayout":"x"}}`,
		`{"scFieldValues":"fld_x"}`,
		`{"scFieldValues":[]}`,
	} {
		r, err := sitecore.ParseSpeakRequest("ExperienceEditor.Save.CallServerSavePipeline", []byte(speakBody(data)))
		if err != nil {
			t.Fatal(err)
		}
		if values, err := r.FieldValues(); err == nil {
			t.Errorf("FieldValues() of %s = %+v, want an error", data, values)
		}
	}
}

// FuzzParseSpeakRequest checks that reading any body and its field values
// never panics.
func FuzzParseSpeakRequest(f *testing.F) {
	f.Add([]byte(speakBody(`{"itemId":"{A}","scFieldValues":{"fld_7DB3B5872DDE440DBFF64192C57C6D2D_7F66C9E84B134F20980BEC7F29A2893A_en_3_r_1":"x"}}`)))
	f.Add([]byte("data=%7B%22a%22%3A%5B1%2C%7B%7D%5D%7D"))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := sitecore.ParseSpeakRequest("ExperienceEditor.Save.CallServerSavePipeline", body)
		if err != nil {
			return
		}
		_ = r.Get("itemId")
		_, _ = r.FieldValues()
	})
}
