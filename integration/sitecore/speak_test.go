package sitecore_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cmshooks/caddy-cms-webhooks/integration/sitecore"
)

// Expected SPEAK reply bodies, compared byte for byte.
const (
	speakTrueReply = `{"error":false,"errorMessage":"","responseValue":{"value":true}}`
	speakNullReply = `{"error":false,"errorMessage":"","responseValue":{"value":null}}`
)

// speakInsertReply matches the reply to ExperienceEditor.Insert and
// captures the new item's ID.
var speakInsertReply = regexp.MustCompile(`^\{"error":false,"errorMessage":"","responseValue":\{"value":\{"itemId":"(\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\})"\}\}\}$`)

// startSpeak starts an emulator whose clock the returned function sets.
func startSpeak(t *testing.T) (*sitecore.Emulator, *httptest.Server, func(time.Time)) {
	t.Helper()
	var clock atomic.Int64
	clock.Store(fixedNow.UnixNano())
	e := sitecore.NewEmulator(sitecore.Options{
		Tokens: map[string]string{editorToken: editorUser},
		Now:    func() time.Time { return time.Unix(0, clock.Load()).UTC() },
	})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return e, srv, func(now time.Time) { clock.Store(now.UnixNano()) }
}

// speakContext returns the default command context of the Experience
// Editor for an item, to which a request adds its own members.
func speakContext(itemID string, extra map[string]any) map[string]any {
	data := map[string]any{
		"language":    "en",
		"version":     "1",
		"isHome":      false,
		"itemId":      braced(itemID),
		"database":    "master",
		"deviceId":    "{FE5D7FDF-89C0-4D99-9AA3-B5FBD009C9F3}",
		"isLocked":    false,
		"webEditMode": "edit",
		"argument":    "",
	}
	for k, v := range extra {
		data[k] = v
	}
	return data
}

// speak posts a SPEAK request with the session cookie of token ("" sends
// none) and returns the status and the body.
func speak(t *testing.T, srv *httptest.Server, path, token string, data map[string]any) (int, string) {
	t.Helper()
	encoded, err := json.Marshal(data)
	if err != nil {
		t.Fatalf("encoding data: %v", err)
	}
	form := url.Values{"__RequestVerificationToken": {"k3J9xQ2w"}, "data": {string(encoded)}}
	return postback(t, srv, path, token, form.Encode())
}

func speakPath(name string) string {
	return "/-/speak/request/v1/expeditor/" + name
}

func braced(id string) string {
	return "{" + strings.ToUpper(id) + "}"
}

// fieldKey builds an scFieldValues key for version 1 in en.
func fieldKey(itemID, fieldID, revision string) string {
	short := func(id string) string { return strings.ToUpper(strings.ReplaceAll(id, "-", "")) }
	return "fld_" + short(itemID) + "_" + short(fieldID) + "_en_1_" + revision + "_999"
}

// versionField returns a field of version 1 in en.
func versionField(t *testing.T, e *sitecore.Emulator, id, name string) string {
	t.Helper()
	it, ok := e.Item(id)
	if !ok {
		t.Fatalf("item %s not found", id)
	}
	value, ok := sitecore.Field(it.Versions["en"][0].Fields, name)
	if !ok {
		t.Fatalf("item %s has no versioned field %q", id, name)
	}
	return value
}

func TestSpeakSaveWritesChangedFields(t *testing.T) {
	e, srv, setNow := startSpeak(t)
	setNow(fixedNow.Add(time.Hour))
	data := speakContext(sitecore.HarbourFestivalID, map[string]any{
		"scValidatorsKey": "VK_SC_PAGEEDITOR",
		"scLayout":        "&lt;r /&gt;",
		"scFieldValues": map[string]any{
			// Unchanged: the stored values.
			fieldKey(sitecore.HarbourFestivalID, sitecore.HeadlineFieldID, "233a8fdc-5164-48b6-a982-7c23ccb0563a"): "Harbour festival returns",
			fieldKey(sitecore.HomeID, sitecore.TitleFieldID, "#!#Ignore revision#!#"):                              "Sitecore Experience Platform",
			// Changed, HTML-encoded.
			fieldKey(sitecore.HarbourFestivalID, sitecore.BodyFieldID, "233a8fdc-5164-48b6-a982-7c23ccb0563a"): "&lt;p&gt;Opening hours &amp; prices&lt;/p&gt;",
			// A session key, whose value is not content.
			"flds_" + strings.TrimPrefix(fieldKey(sitecore.HarbourFestivalID, sitecore.HeadlineFieldID, "x"), "fld_"): "session-key-1",
		},
	})
	status, reply := speak(t, srv, speakPath("ExperienceEditor.Save.CallServerSavePipeline"), editorToken, data)
	mustReply(t, status, reply, speakTrueReply)

	if got, want := versionField(t, e, sitecore.HarbourFestivalID, "Body"), "<p>Opening hours & prices</p>"; got != want {
		t.Errorf("Body = %q, want %q", got, want)
	}
	if got, want := versionField(t, e, sitecore.HarbourFestivalID, "Headline"), "Harbour festival returns"; got != want {
		t.Errorf("Headline = %q, want %q", got, want)
	}
	if got, want := versionField(t, e, sitecore.HarbourFestivalID, "__Updated"), "20250314T101500Z"; got != want {
		t.Errorf("article __Updated = %q, want %q", got, want)
	}
	if got, want := versionField(t, e, sitecore.HarbourFestivalID, "__Updated by"), editorUser; got != want {
		t.Errorf("article __Updated by = %q, want %q", got, want)
	}

	// Home had only unchanged values, so the save left it alone.
	if got, want := versionField(t, e, sitecore.HomeID, "__Updated"), "20250314T091500Z"; got != want {
		t.Errorf("Home __Updated = %q, want %q", got, want)
	}
	if got, want := versionField(t, e, sitecore.HomeID, "__Updated by"), `sitecore\admin`; got != want {
		t.Errorf("Home __Updated by = %q, want %q", got, want)
	}
}

func TestSpeakSaveUnknownItemChangesNothing(t *testing.T) {
	e, srv, _ := startSpeak(t)
	const missing = "deadbeef-0000-4000-8000-000000000001"
	data := speakContext(sitecore.HarbourFestivalID, map[string]any{
		"scFieldValues": map[string]any{
			fieldKey(sitecore.HarbourFestivalID, sitecore.BodyFieldID, "#!#Ignore revision#!#"): "New body",
			fieldKey(missing, sitecore.TitleFieldID, "#!#Ignore revision#!#"):                   "Lost",
		},
	})
	status, reply := speak(t, srv, speakPath("ExperienceEditor.Save.CallServerSavePipeline"), editorToken, data)
	mustReply(t, status, reply, `{"error":true,"errorMessage":"item {DEADBEEF-0000-4000-8000-000000000001}: not found"}`)

	if got, want := versionField(t, e, sitecore.HarbourFestivalID, "Body"), "<p>Boats, music and food on the quay.</p>"; got != want {
		t.Errorf("Body = %q, want %q", got, want)
	}
	if got := versionField(t, e, sitecore.HarbourFestivalID, "__Updated by"); got != `sitecore\admin` {
		t.Errorf("__Updated by = %q, want sitecore\\admin", got)
	}
}

func TestSpeakInsertCreatesItem(t *testing.T) {
	e, srv, _ := startSpeak(t)
	data := speakContext(sitecore.NewsID, map[string]any{
		"templateItemId": braced(sitecore.NewsArticleTemplateID),
		"name":           "regatta",
	})
	status, reply := speak(t, srv, speakPath("ExperienceEditor.Insert"), editorToken, data)
	if status != http.StatusOK {
		t.Fatalf("status = %d (body %s), want 200", status, reply)
	}
	m := speakInsertReply.FindStringSubmatch(reply)
	if m == nil {
		t.Fatalf("body = %s, want the new item's ID in responseValue.value.itemId", reply)
	}

	it, ok := e.Item("/sitecore/content/Home/News/regatta")
	if !ok {
		t.Fatal("item /sitecore/content/Home/News/regatta not found after insert")
	}
	if got := braced(it.ID); got != m[1] {
		t.Errorf("reply itemId = %s, want %s", m[1], got)
	}
	if it.TemplateID != sitecore.NewsArticleTemplateID {
		t.Errorf("TemplateID = %s, want %s", it.TemplateID, sitecore.NewsArticleTemplateID)
	}
	mustState(t, e, it.ID, "en", 1, sitecore.DraftStateID)
}

func TestSpeakRenameMoveDelete(t *testing.T) {
	e, srv, _ := startSpeak(t)

	status, reply := speak(t, srv, speakPath("ExperienceEditor.Rename"), editorToken,
		speakContext(sitecore.HarbourFestivalID, map[string]any{"value": "harbour-festival-2025"}))
	mustReply(t, status, reply, speakTrueReply)
	if it, _ := e.Item(sitecore.HarbourFestivalID); it.Name != "harbour-festival-2025" {
		t.Errorf("name after rename = %q, want harbour-festival-2025", it.Name)
	}

	status, reply = speak(t, srv, speakPath("ExperienceEditor.Move"), editorToken,
		speakContext(sitecore.HarbourFestivalID, map[string]any{"targetItemId": braced(sitecore.HomeID)}))
	mustReply(t, status, reply, speakTrueReply)
	if it, _ := e.Item(sitecore.HarbourFestivalID); it.Path != "/sitecore/content/Home/harbour-festival-2025" {
		t.Errorf("path after move = %q, want /sitecore/content/Home/harbour-festival-2025", it.Path)
	}

	status, reply = speak(t, srv, speakPath("ExperienceEditor.Delete.ExecuteRequest"), editorToken,
		speakContext(sitecore.HarbourFestivalID, nil))
	mustReply(t, status, reply, speakTrueReply)
	if _, ok := e.Item(sitecore.HarbourFestivalID); ok {
		t.Error("item still exists after delete")
	}
}

func TestSpeakRenameInvalidNameEscaped(t *testing.T) {
	e, srv, _ := startSpeak(t)
	status, reply := speak(t, srv, speakPath("ExperienceEditor.Rename"), editorToken,
		speakContext(sitecore.HarbourFestivalID, map[string]any{"value": "a<b"}))
	if status != http.StatusOK {
		t.Fatalf("status = %d (body %s), want 200", status, reply)
	}
	if !strings.HasPrefix(reply, `{"error":true,"errorMessage":"invalid item name &#34;a&lt;b&#34;`) {
		t.Errorf("body = %s, want an error with the HTML-escaped name", reply)
	}
	if it, _ := e.Item(sitecore.HarbourFestivalID); it.Name != "harbour-festival" {
		t.Errorf("name = %q, want harbour-festival", it.Name)
	}
}

func TestSpeakReadOnlyRequestChangesNothing(t *testing.T) {
	e, srv, _ := startSpeak(t)
	data := speakContext(sitecore.HarbourFestivalID, map[string]any{
		"scFieldValues": map[string]any{
			fieldKey(sitecore.HarbourFestivalID, sitecore.BodyFieldID, "#!#Ignore revision#!#"): "New body",
		},
	})
	for _, name := range []string{"ExperienceEditor.Save.CheckItemLock", "ExperienceEditor.Workflow.GetWorkFlowCommands"} {
		status, reply := speak(t, srv, speakPath(name), editorToken, data)
		mustReply(t, status, reply, speakNullReply)
	}
	if got, want := versionField(t, e, sitecore.HarbourFestivalID, "Body"), "<p>Boats, music and food on the quay.</p>"; got != want {
		t.Errorf("Body = %q, want %q", got, want)
	}
}

func TestSpeakPathIgnoresCase(t *testing.T) {
	e, srv, _ := startSpeak(t)
	status, reply := speak(t, srv, "/-/SPEAK/Request/V1/ExpEditor/experienceeditor.delete.executerequest", editorToken,
		speakContext(sitecore.HarbourFestivalID, nil))
	mustReply(t, status, reply, speakTrueReply)
	if _, ok := e.Item(sitecore.HarbourFestivalID); ok {
		t.Error("item still exists after delete")
	}
}

func TestSpeakRequiresSessionCookie(t *testing.T) {
	e, srv, _ := startSpeak(t)
	for _, token := range []string{"", "unknown-token"} {
		status, reply := speak(t, srv, speakPath("ExperienceEditor.Delete.ExecuteRequest"), token, speakContext(sitecore.HarbourFestivalID, nil))
		if status != http.StatusUnauthorized {
			t.Errorf("token %q: reply = %d %s, want 401", token, status, reply)
		}
	}
	if _, ok := e.Item(sitecore.HarbourFestivalID); !ok {
		t.Error("item deleted by an unauthenticated request")
	}
}

func TestSpeakRejectsMissingData(t *testing.T) {
	_, srv, _ := startSpeak(t)
	status, reply := postback(t, srv, speakPath("ExperienceEditor.Insert"), editorToken, "__RequestVerificationToken=k3J9xQ2w")
	if status != http.StatusBadRequest {
		t.Errorf("reply = %d %s, want 400", status, reply)
	}
}
