package sitecore

// SPEAK requests of the Experience Editor's ribbon: form POSTs to
// /-/speak/request/v1/expeditor/<RequestName> whose data field carries the
// command context as JSON. The emulator performs the writing step of a save
// (ExperienceEditor.Save.CallServerSavePipeline) and the Insert, Rename,
// Move and Delete.ExecuteRequest requests. It replies to every other request
// name with success and changes nothing. Requests are read with the SPEAK parser
// of caddymodule/sitecore.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"

	sheerui "github.com/cmshooks/caddy-cms-webhooks/caddymodule/sitecore"
)

// SpeakRequestPath is the path prefix of the Experience Editor's SPEAK
// requests. The request name follows it, and matching ignores letter case.
const SpeakRequestPath = sheerui.DefaultSpeakRequestPath

// Names of the SPEAK requests that the emulator performs. Matching ignores
// letter case.
//
// NOTE: the other writing requests of Sitecore 8.2, such as
// ExperienceEditor.AddVersion.Execute, ExperienceEditor.LockItem and
// ExperienceEditor.LayoutDetails.SetValue, succeed without changing
// anything, like the read-only requests. That ChangeDisplayName takes the
// new name in value, as Rename does, is a guess.
const (
	speakSave        = "ExperienceEditor.Save.CallServerSavePipeline"
	speakInsert      = "ExperienceEditor.Insert"
	speakRename      = "ExperienceEditor.Rename"
	speakDisplayName = "ExperienceEditor.ChangeDisplayName"
	speakMove        = "ExperienceEditor.Move"
	speakDelete      = "ExperienceEditor.Delete.ExecuteRequest"
)

// speakResponse is the JSON body of a SPEAK reply. The client reads error
// and errorMessage, and in responseValue the members value, abortMessage
// and confirmMessage. The emulator never sends abortMessage or
// confirmMessage, which the client then reads as absent.
type speakResponse struct {
	Error         bool        `json:"error"`
	ErrorMessage  string      `json:"errorMessage"`
	ResponseValue *speakValue `json:"responseValue,omitempty"`
}

type speakValue struct {
	Value any `json:"value"`
}

// speakInsertValue is the value of a successful ExperienceEditor.Insert.
type speakInsertValue struct {
	ItemID string `json:"itemId"`
}

// speakRequestName returns the request name of a SPEAK request path, and
// false for other paths. A trailing slash is ignored.
func speakRequestName(r *http.Request) (string, bool) {
	return sheerui.SpeakRequestName(SpeakRequestPath, strings.TrimSuffix(r.URL.Path, "/"))
}

// serveSpeak serves the SPEAK request with the given name. Like the Sheer UI
// pages, it takes the token as the .AspNet.Cookies cookie or as a bearer
// token. The caller holds e.mu.
func (e *Emulator) serveSpeak(w http.ResponseWriter, r *http.Request, body []byte, name string) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed: SPEAK requests are POST requests", http.StatusMethodNotAllowed)
		return
	}
	user, ok := e.user(r, true)
	if !ok {
		http.Error(w, "unauthorized: the .AspNet.Cookies cookie is missing or its token is not in Options.Tokens", http.StatusUnauthorized)
		return
	}
	req, err := sheerui.ParseSpeakRequest(name, body)
	if err != nil {
		http.Error(w, "invalid SPEAK request: "+err.Error(), http.StatusBadRequest)
		return
	}

	var value any
	switch {
	case strings.EqualFold(name, speakSave):
		value, err = e.speakSave(req, user)
	case strings.EqualFold(name, speakInsert):
		value, err = e.speakInsert(req, user)
	case strings.EqualFold(name, speakRename):
		value, err = e.speakRename(req, user)
	case strings.EqualFold(name, speakDisplayName):
		value, err = e.speakDisplayName(req, user)
	case strings.EqualFold(name, speakMove):
		value, err = e.speakMove(req)
	case strings.EqualFold(name, speakDelete):
		value, err = e.speakDelete(req)
	default:
		// Read-only steps such as ExperienceEditor.Save.CheckItemLock.
		value = nil
	}
	if err != nil {
		// The client shows errorMessage as HTML.
		writeSpeak(w, speakResponse{Error: true, ErrorMessage: html.EscapeString(err.Error())})
		return
	}
	writeSpeak(w, speakResponse{ResponseValue: &speakValue{Value: value}})
}

// speakFieldWrite is one changed field value of a save.
type speakFieldWrite struct {
	item    *item
	lang    string
	version *itemVersion
	field   *fieldDef
	value   string
}

// speakSave writes the posted field values that differ from the stored ones
// and stamps __Updated on each item version it changed. It checks every key
// before it writes, so a request with an unknown item, field, language or
// version changes nothing.
//
// NOTE: the emulator neither checks the revision in a key nor reads flds_
// keys, whose values are session keys; it skips them. It also ignores
// scLayout.
func (e *Emulator) speakSave(req *sheerui.SpeakRequest, user string) (any, error) {
	if err := checkDatabase(req.Get("database")); err != nil {
		return nil, err
	}
	values, err := req.FieldValues()
	if err != nil {
		return nil, err
	}

	var writes []speakFieldWrite
	for _, fv := range values {
		if fv.Key.Session {
			continue
		}
		write, err := e.resolveFieldWrite(fv)
		if err != nil {
			return nil, err
		}
		if write.item.value(write.field, write.lang, write.version) != write.value {
			writes = append(writes, write)
		}
	}

	for _, write := range writes {
		write.item.setValue(write.field, write.lang, write.version, write.value)
	}

	// Stamping after all writes overrides a posted __Updated value.
	stamped := map[*itemVersion]bool{}
	for _, write := range writes {
		if !stamped[write.version] {
			stamped[write.version] = true
			e.store.stamp(write.item, write.lang, write.version, user)
		}
	}
	return true, nil
}

// resolveFieldWrite finds the item version and field that a field key names
// and HTML-decodes the posted value.
func (e *Emulator) resolveFieldWrite(fv sheerui.FieldValue) (speakFieldWrite, error) {
	it, err := e.store.resolveItem(fv.Key.ItemID)
	if err != nil {
		return speakFieldWrite{}, err
	}

	lang, err := e.store.language(fv.Key.Language)
	if err != nil {
		return speakFieldWrite{}, err
	}
	number, err := strconv.Atoi(fv.Key.Version)
	if err != nil || number < 1 {
		return speakFieldWrite{}, fmt.Errorf("invalid version %q in field key of item %s: expected a version number of 1 or more", fv.Key.Version, braced(it.id))
	}
	v := it.version(lang, number)
	if v == nil {
		return speakFieldWrite{}, versionNotFound(it, lang, number)
	}

	fieldID, err := parseID(fv.Key.FieldID)
	if err != nil {
		return speakFieldWrite{}, err
	}
	var field *fieldDef
	for _, f := range it.template.allFields() {
		if f.id == fieldID {
			field = f
			break
		}
	}
	if field == nil {
		return speakFieldWrite{}, fmt.Errorf("field %s not found: template %q of item %s has no such field", braced(fieldID), it.template.name, braced(it.id))
	}
	return speakFieldWrite{item: it, lang: lang, version: v, field: field, value: html.UnescapeString(fv.Value)}, nil
}

// speakInsert creates the item name from template templateItemId below the
// parent itemId, with version 1 in the request's language, and returns its
// ID in braced upper case.
func (e *Emulator) speakInsert(req *sheerui.SpeakRequest, user string) (any, error) {
	if err := checkDatabase(req.Get("database")); err != nil {
		return nil, err
	}
	parent, err := e.store.resolveItem(req.Get("itemId"))
	if err != nil {
		return nil, err
	}
	templateID, err := parseID(req.Get("templateItemId"))
	if err != nil {
		return nil, err
	}
	tpl := e.store.templates[templateID]
	if tpl == nil {
		return nil, fmt.Errorf("template %s: %w", braced(templateID), errNotFound)
	}
	lang, err := e.store.language(req.Get("language"))
	if err != nil {
		return nil, err
	}
	it, _, err := e.store.createItem(parent, req.Get("name"), tpl, lang, nil, user)
	if err != nil {
		return nil, err
	}
	return speakInsertValue{ItemID: braced(it.id)}, nil
}

// speakContext resolves the item itemId and the language of a SPEAK
// request.
func (e *Emulator) speakContext(req *sheerui.SpeakRequest) (*item, string, error) {
	if err := checkDatabase(req.Get("database")); err != nil {
		return nil, "", err
	}
	it, err := e.store.resolveItem(req.Get("itemId"))
	if err != nil {
		return nil, "", err
	}
	lang, err := e.store.language(req.Get("language"))
	return it, lang, err
}

// speakRename renames the item itemId to value and stamps its latest
// version in the request's language.
func (e *Emulator) speakRename(req *sheerui.SpeakRequest, user string) (any, error) {
	it, lang, err := e.speakContext(req)
	if err != nil {
		return nil, err
	}
	return true, e.store.renameItem(it, req.Get("value"), lang, user)
}

// speakDisplayName sets the __Display name of the item itemId in its
// language to value.
func (e *Emulator) speakDisplayName(req *sheerui.SpeakRequest, user string) (any, error) {
	it, lang, err := e.speakContext(req)
	if err != nil {
		return nil, err
	}
	return true, e.store.writeValues(it, lang, it.version(lang, 0), map[string]string{fieldDisplayName.name: req.Get("value")}, user)
}

// speakMove moves the item itemId to the end of the children of
// targetItemId.
func (e *Emulator) speakMove(req *sheerui.SpeakRequest) (any, error) {
	if err := checkDatabase(req.Get("database")); err != nil {
		return nil, err
	}
	it, err := e.store.resolveItem(req.Get("itemId"))
	if err != nil {
		return nil, err
	}
	target, err := e.store.resolveItem(req.Get("targetItemId"))
	if err != nil {
		return nil, err
	}
	return true, e.store.moveItem(it, target, -1)
}

// speakDelete deletes the item itemId with its descendants.
func (e *Emulator) speakDelete(req *sheerui.SpeakRequest) (any, error) {
	if err := checkDatabase(req.Get("database")); err != nil {
		return nil, err
	}
	it, err := e.store.resolveItem(req.Get("itemId"))
	if err != nil {
		return nil, err
	}
	return true, e.store.deleteItem(it)
}

// writeSpeak writes a 200 SPEAK reply as JSON without a trailing newline.
func writeSpeak(w http.ResponseWriter, resp speakResponse) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(resp); err != nil {
		http.Error(w, "encoding response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}
