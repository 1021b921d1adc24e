package sitecore_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cmshooks/caddy-cms-webhooks/integration/sitecore"
)

const (
	editorToken = "editor-token"
	editorUser  = `sitecore\editor`
)

// fixedNow is the emulator clock in these tests; Sitecore stores it as
// 20250314T091500Z.
var fixedNow = time.Date(2025, 3, 14, 9, 15, 0, 0, time.UTC)

func startEmulator(t *testing.T) (*sitecore.Emulator, *httptest.Server) {
	t.Helper()
	e := sitecore.NewEmulator(sitecore.Options{
		Tokens: map[string]string{editorToken: editorUser},
		Now:    func() time.Time { return fixedNow },
	})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return e, srv
}

// send makes one HTTP request with the editor's bearer token unless header
// sets Authorization itself; an empty Authorization value sends none.
func send(t *testing.T, method, url, body string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatalf("building %s %s: %v", method, url, err)
	}
	req.Header.Set("Authorization", "Bearer "+editorToken)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading response of %s %s: %v", method, url, err)
	}
	return resp, data
}

// graphQL posts one request to a GraphQL endpoint, checks for 200 and
// returns the decoded body.
func graphQL(t *testing.T, url string, request map[string]any) map[string]any {
	t.Helper()
	payload, err := json.Marshal(request)
	if err != nil {
		t.Fatal(err)
	}
	resp, body := send(t, http.MethodPost, url, string(payload), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: status %d, want 200; body %s", url, resp.StatusCode, body)
	}
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	return out
}

// dig walks decoded JSON by object keys and list indexes.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch key := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[key]
		case int:
			list, _ := v.([]any)
			if key >= len(list) {
				return nil
			}
			v = list[key]
		}
	}
	return v
}

func noErrors(t *testing.T, out map[string]any) {
	t.Helper()
	if errs := out["errors"]; errs != nil {
		t.Fatalf("unexpected errors: %v", errs)
	}
}

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

func authoringURL(srv *httptest.Server) string { return srv.URL + sitecore.AuthoringPath }

// --- SSC ItemService REST ---

func TestItemServiceGetIDSpellings(t *testing.T) {
	_, srv := startEmulator(t)
	spellings := map[string]string{
		"braced upper": "{89169DFE-E040-4376-9D86-BA2D17F0612B}",
		"dashed lower": sitecore.HarbourFestivalID,
		"32 hex":       "89169dfee04043769d86ba2d17f0612b",
	}
	for name, id := range spellings {
		t.Run(name, func(t *testing.T) {
			resp, body := send(t, http.MethodGet, srv.URL+"/sitecore/api/ssc/item/"+id+"?database=master&language=en", "", nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200; body %s", resp.StatusCode, body)
			}
			var model map[string]any
			if err := json.Unmarshal(body, &model); err != nil {
				t.Fatal(err)
			}
			if model["ItemID"] != sitecore.HarbourFestivalID {
				t.Errorf("ItemID = %v, want %s", model["ItemID"], sitecore.HarbourFestivalID)
			}
			if model["ItemPath"] != "/sitecore/content/Home/News/harbour-festival" {
				t.Errorf("ItemPath = %v", model["ItemPath"])
			}
		})
	}
}

func TestItemServiceItemModelShape(t *testing.T) {
	_, srv := startEmulator(t)
	resp, body := send(t, http.MethodGet, srv.URL+"/sitecore/api/ssc/item/?path=/sitecore/content/Home/News/harbour-festival", "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d; body %s", resp.StatusCode, body)
	}

	// The properties come first, in the documented order, then the fields.
	order := []string{"ItemID", "ItemName", "ItemPath", "ParentID", "TemplateID", "TemplateName", "CloneSource",
		"ItemLanguage", "ItemVersion", "DisplayName", "HasChildren", "ItemIcon", "ItemMedialUrl", "ItemUrl", "Headline", "Body", "Tags"}
	last := -1
	for _, key := range order {
		at := bytes.Index(body, []byte(`"`+key+`":`))
		if at <= last {
			t.Errorf("key %s at %d, want after %d in %s", key, at, last, body)
		}
		last = at
	}

	var model map[string]any
	if err := json.Unmarshal(body, &model); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"ParentID":     sitecore.NewsID,
		"TemplateID":   sitecore.NewsArticleTemplateID,
		"TemplateName": "News Article",
		"CloneSource":  nil,
		"ItemLanguage": "en",
		"ItemVersion":  "1",
		"HasChildren":  "False",
		"Headline":     "Harbour festival returns",
	}
	for key, value := range want {
		if model[key] != value {
			t.Errorf("%s = %#v, want %#v", key, model[key], value)
		}
	}
	if _, ok := model["__Workflow state"]; ok {
		t.Error("standard field __Workflow state present without includeStandardTemplateFields")
	}
}

func TestItemServiceIncludesStandardFields(t *testing.T) {
	_, srv := startEmulator(t)
	_, body := send(t, http.MethodGet, srv.URL+"/sitecore/api/ssc/item/"+sitecore.HarbourFestivalID+"?includeStandardTemplateFields=true", "", nil)
	var model map[string]any
	if err := json.Unmarshal(body, &model); err != nil {
		t.Fatal(err)
	}
	if got := model["__Workflow state"]; got != "{190B1C84-F1BE-47ED-AA41-F42193D9C8FC}" {
		t.Errorf("__Workflow state = %v, want the braced Draft state ID", got)
	}
	if got := model["__Workflow"]; got != "{A5BC37E7-ED96-4C1E-8590-A26E64DB55EA}" {
		t.Errorf("__Workflow = %v, want the braced Sample Workflow ID", got)
	}
}

func TestItemServiceCreateReturnsLocation(t *testing.T) {
	e, srv := startEmulator(t)
	body := `{"ItemName":"winter-menu","TemplateID":"5cdb13e9-295a-4473-8f44-3fd03d3d4740","Headline":"Winter menu","Tags":"{6C985C39-1F70-41D7-AB8D-0AA30784B49C}"}`
	resp, respBody := send(t, http.MethodPost, srv.URL+"/sitecore/api/ssc/item/sitecore%2Fcontent%2FHome%2FNews?database=master&language=en", body, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d, want 201; body %s", resp.StatusCode, respBody)
	}

	location := resp.Header.Get("Location")
	pattern := regexp.MustCompile(`^` + regexp.QuoteMeta(srv.URL) + `/sitecore/api/ssc/item/([0-9a-f-]{36})\?database=master&language=en$`)
	match := pattern.FindStringSubmatch(location)
	if match == nil {
		t.Fatalf("Location = %q, want %s", location, pattern)
	}

	it, ok := e.Item(match[1])
	if !ok {
		t.Fatalf("item %s from Location does not exist", match[1])
	}
	if it.Path != "/sitecore/content/Home/News/winter-menu" {
		t.Errorf("Path = %q", it.Path)
	}
	if got, _ := sitecore.Field(it.Versions["en"][0].Fields, "Headline"); got != "Winter menu" {
		t.Errorf("Headline = %q, want Winter menu", got)
	}
	if got, _ := sitecore.Field(it.SharedFields, "Tags"); got != "{6C985C39-1F70-41D7-AB8D-0AA30784B49C}" {
		t.Errorf("Tags = %q", got)
	}
	if got := it.Versions["en"][0].WorkflowStateID; got != sitecore.DraftStateID {
		t.Errorf("workflow state = %q, want Draft %s", got, sitecore.DraftStateID)
	}
	if got, _ := sitecore.Field(it.Versions["en"][0].Fields, "__Created by"); got != editorUser {
		t.Errorf("__Created by = %q, want %q", got, editorUser)
	}
}

func TestItemServiceUpdateWritesVersion(t *testing.T) {
	e, srv := startEmulator(t)
	resp, body := send(t, http.MethodPatch, srv.URL+"/sitecore/api/ssc/item/"+sitecore.HarbourFestivalID+"?database=master&language=en&version=1",
		`{"Headline":"Harbour festival returns in June"}`, nil)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("status %d, want 204; body %s", resp.StatusCode, body)
	}

	it, _ := e.Item(sitecore.HarbourFestivalID)
	fields := it.Versions["en"][0].Fields
	if got, _ := sitecore.Field(fields, "Headline"); got != "Harbour festival returns in June" {
		t.Errorf("Headline = %q", got)
	}
	if got, _ := sitecore.Field(fields, "__Updated by"); got != editorUser {
		t.Errorf("__Updated by = %q, want %q", got, editorUser)
	}
	if got, _ := sitecore.Field(fields, "__Updated"); got != "20250314T091500Z" {
		t.Errorf("__Updated = %q, want 20250314T091500Z", got)
	}
}

func TestItemServiceDeleteThenNotFound(t *testing.T) {
	e, srv := startEmulator(t)
	url := srv.URL + "/sitecore/api/ssc/item/" + sitecore.HarbourFestivalID + "?database=master"
	if resp, body := send(t, http.MethodDelete, url, "", nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE status %d, want 204; body %s", resp.StatusCode, body)
	}
	if _, ok := e.Item(sitecore.HarbourFestivalID); ok {
		t.Error("item still exists after DELETE")
	}
	if resp, _ := send(t, http.MethodGet, url, "", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET after DELETE: status %d, want 404", resp.StatusCode)
	}
}

func TestItemServiceRejectsBadInput(t *testing.T) {
	_, srv := startEmulator(t)
	base := srv.URL + "/sitecore/api/ssc/item/"
	cases := []struct {
		name, method, url, body string
		want                    int
	}{
		{"unknown item", http.MethodGet, base + "{00000000-0000-0000-0000-00000000ABCD}", "", http.StatusNotFound},
		{"unknown path", http.MethodGet, base + "?path=/sitecore/content/nowhere", "", http.StatusNotFound},
		{"unknown version", http.MethodGet, base + sitecore.HarbourFestivalID + "?version=7", "", http.StatusNotFound},
		{"route segment not an ID", http.MethodGet, base + "harbour-festival", "", http.StatusBadRequest},
		{"version not a number", http.MethodGet, base + sitecore.HarbourFestivalID + "?version=latest", "", http.StatusBadRequest},
		{"unknown language", http.MethodGet, base + sitecore.HarbourFestivalID + "?language=xx-XX", "", http.StatusBadRequest},
		{"other database", http.MethodGet, base + sitecore.HarbourFestivalID + "?database=web", "", http.StatusBadRequest},
		{"create with invalid JSON", http.MethodPost, base + "sitecore%2Fcontent%2FHome", `{"ItemName":`, http.StatusBadRequest},
		{"create without TemplateID", http.MethodPost, base + "sitecore%2Fcontent%2FHome", `{"ItemName":"x"}`, http.StatusBadRequest},
		{"create with unknown field", http.MethodPost, base + "sitecore%2Fcontent%2FHome", `{"ItemName":"x","TemplateID":"` + sitecore.NewsArticleTemplateID + `","Subtitle":"y"}`, http.StatusBadRequest},
		{"create with invalid name", http.MethodPost, base + "sitecore%2Fcontent%2FHome", `{"ItemName":"a/b","TemplateID":"` + sitecore.NewsArticleTemplateID + `"}`, http.StatusBadRequest},
		{"create below unknown parent", http.MethodPost, base + "sitecore%2Fcontent%2FNowhere", `{"ItemName":"x","TemplateID":"` + sitecore.NewsArticleTemplateID + `"}`, http.StatusNotFound},
		{"update with number value", http.MethodPatch, base + sitecore.HarbourFestivalID, `{"Headline":5}`, http.StatusBadRequest},
		{"update of ItemName", http.MethodPatch, base + sitecore.HarbourFestivalID, `{"ItemName":"renamed"}`, http.StatusBadRequest},
		{"update of unknown item", http.MethodPatch, base + "00000000000000000000000000000abc", `{"Headline":"x"}`, http.StatusNotFound},
		{"delete of unknown item", http.MethodDelete, base + "00000000000000000000000000000abc", "", http.StatusNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := send(t, tc.method, tc.url, tc.body, nil)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tc.want, body)
			}
			var msg map[string]string
			if err := json.Unmarshal(body, &msg); err != nil || msg["Message"] == "" {
				t.Errorf("body %s, want a JSON object with a Message", body)
			}
		})
	}
}

func TestItemServiceAuthentication(t *testing.T) {
	_, srv := startEmulator(t)
	url := srv.URL + "/sitecore/api/ssc/item/" + sitecore.HomeID
	cases := []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"no credentials", map[string]string{"Authorization": ""}, http.StatusForbidden},
		{"unknown token", map[string]string{"Authorization": "Bearer someone-else"}, http.StatusForbidden},
		{"basic scheme", map[string]string{"Authorization": "Basic " + editorToken}, http.StatusForbidden},
		{"auth cookie", map[string]string{"Authorization": "", "Cookie": ".AspNet.Cookies=" + editorToken}, http.StatusOK},
		{"bearer token", nil, http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if resp, body := send(t, http.MethodGet, url, "", tc.header); resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d; body %s", resp.StatusCode, tc.want, body)
			}
		})
	}
}

func TestItemServicePathIgnoresCase(t *testing.T) {
	_, srv := startEmulator(t)
	resp, body := send(t, http.MethodGet, srv.URL+"/Sitecore/API/SSC/Item/"+sitecore.HomeID, "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s", resp.StatusCode, body)
	}
	resp, body = send(t, http.MethodGet, srv.URL+"/sitecore/api/ssc/item/"+sitecore.HomeID+"/children", "", nil)
	var children []map[string]any
	if err := json.Unmarshal(body, &children); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("children: status %d, body %s", resp.StatusCode, body)
	}
	if len(children) != 1 || children[0]["ItemName"] != "News" {
		t.Errorf("children of Home = %v, want the News folder", children)
	}
}

// --- Authoring and Management GraphQL ---

const createWinterMenu = `mutation {
  createItem(input: {
    name: "winter-menu"
    templateId: "{5CDB13E9-295A-4473-8F44-3FD03D3D4740}"
    parent: "{0DB0CE8C-77A3-4969-903F-138C626483D1}"
    language: "en"
    fields: [{ name: "Headline", value: "Winter menu" }]
  }) { item { itemId name path } }
}`

func TestAuthoringCreateItemSelectsFields(t *testing.T) {
	e, srv := startEmulator(t)
	out := graphQL(t, authoringURL(srv), map[string]any{"query": createWinterMenu})
	noErrors(t, out)

	item, _ := dig(out, "data", "createItem", "item").(map[string]any)
	if len(item) != 3 {
		t.Errorf("item has keys %v, want only itemId, name and path", item)
	}
	id, _ := item["itemId"].(string)
	if !hex32.MatchString(id) {
		t.Errorf("itemId = %q, want 32 lower-case hex digits", id)
	}
	if item["name"] != "winter-menu" || item["path"] != "/sitecore/content/Home/News/winter-menu" {
		t.Errorf("name, path = %v, %v", item["name"], item["path"])
	}

	stored, ok := e.Item(id)
	if !ok {
		t.Fatalf("created item %s not stored", id)
	}
	if got, _ := sitecore.Field(stored.Versions["en"][0].Fields, "Headline"); got != "Winter menu" {
		t.Errorf("Headline = %q", got)
	}
	if state, _ := e.WorkflowState(id, "en", 1); state.ID != sitecore.DraftStateID {
		t.Errorf("state = %+v, want Draft", state)
	}
}

func TestAuthoringAliasedMutationsRunInOrder(t *testing.T) {
	e, srv := startEmulator(t)
	query := `mutation {
  second: createItem(input: {name: "b-item", templateId: "` + sitecore.NewsArticleTemplateID + `", parent: "` + sitecore.NewsID + `"}) { item { name } }
  first: renameItem(input: {path: "/sitecore/content/Home/News/b-item", newName: "renamed"}) { item { itemName: name path } }
}`
	payload, _ := json.Marshal(map[string]any{"query": query})
	resp, body := send(t, http.MethodPost, authoringURL(srv), string(payload), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d; body %s", resp.StatusCode, body)
	}
	if bytes.Index(body, []byte(`"second"`)) > bytes.Index(body, []byte(`"first"`)) {
		t.Errorf("response keys not in document order: %s", body)
	}

	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	noErrors(t, out)
	if got := dig(out, "data", "second", "item", "name"); got != "b-item" {
		t.Errorf("second.item.name = %v", got)
	}
	if got := dig(out, "data", "first", "item", "itemName"); got != "renamed" {
		t.Errorf("first.item.itemName = %v, want the rename to see the item created before it", got)
	}
	if _, ok := e.Item("/sitecore/content/Home/News/renamed"); !ok {
		t.Error("renamed item not found by its new path")
	}
}

func TestAuthoringOperationNameSelection(t *testing.T) {
	e, srv := startEmulator(t)
	document := `
query Read { item(where: {itemId: "` + sitecore.HarbourFestivalID + `"}) { name } }
mutation Advance { executeWorkflowCommand(input: {commandId: "` + sitecore.SubmitCommandID + `", item: {itemId: "` + sitecore.HarbourFestivalID + `"}}) { successful } }`

	out := graphQL(t, authoringURL(srv), map[string]any{"query": document, "operationName": "Read"})
	noErrors(t, out)
	if got := dig(out, "data", "item", "name"); got != "harbour-festival" {
		t.Errorf("Read: item.name = %v", got)
	}
	if state, _ := e.WorkflowState(sitecore.HarbourFestivalID, "en", 0); state.ID != sitecore.DraftStateID {
		t.Errorf("Read changed the state to %s", state.DisplayName)
	}

	out = graphQL(t, authoringURL(srv), map[string]any{"query": document, "operationName": "Advance"})
	noErrors(t, out)
	if got := dig(out, "data", "executeWorkflowCommand", "successful"); got != true {
		t.Errorf("Advance: successful = %v", got)
	}

	for _, name := range []string{"", "Missing"} {
		out = graphQL(t, authoringURL(srv), map[string]any{"query": document, "operationName": name})
		if out["errors"] == nil || out["data"] != nil {
			t.Errorf("operationName %q: got %v, want errors and no data", name, out)
		}
	}
}

func TestAuthoringVariablesAndFragments(t *testing.T) {
	_, srv := startEmulator(t)
	query := `
mutation Update($input: UpdateItemInput!, $format: GuidFormat) {
  updateItem(input: $input) { item { ...Identity ... on Item { headline: field(name: "Headline") { value } } } }
}
fragment Identity on Item { itemId(format: $format) version language { name } }`
	variables := map[string]any{
		"format": "D",
		"input": map[string]any{
			"itemId":   "89169DFEE04043769D86BA2D17F0612B",
			"language": "en",
			"version":  1,
			"fields":   []map[string]any{{"name": "Headline", "value": "Harbour festival moves to June"}},
		},
	}
	out := graphQL(t, authoringURL(srv), map[string]any{"query": query, "variables": variables})
	noErrors(t, out)

	item := dig(out, "data", "updateItem", "item")
	want := map[string]any{
		"itemId":   sitecore.HarbourFestivalID,
		"version":  float64(1),
		"language": map[string]any{"name": "en"},
		"headline": map[string]any{"value": "Harbour festival moves to June"},
	}
	for key, value := range want {
		got, _ := json.Marshal(dig(item, key))
		expected, _ := json.Marshal(value)
		if !bytes.Equal(got, expected) {
			t.Errorf("%s = %s, want %s", key, got, expected)
		}
	}
}

func TestAuthoringBatchedRequestsAnswerArray(t *testing.T) {
	_, srv := startEmulator(t)
	batch := `[
  {"query": "mutation { createItem(input: {name: \"first\", templateId: \"` + sitecore.NewsArticleTemplateID + `\", parent: \"` + sitecore.NewsID + `\"}) { item { name } } }"},
  {"query": "query Find($path: String) { item(where: {path: $path}) { name } }", "operationName": "Find", "variables": {"path": "/sitecore/content/Home/News/first"}}
]`
	resp, body := send(t, http.MethodPost, authoringURL(srv), batch, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d; body %s", resp.StatusCode, body)
	}
	var answers []map[string]any
	if err := json.Unmarshal(body, &answers); err != nil {
		t.Fatalf("body %s is not a JSON array: %v", body, err)
	}
	if len(answers) != 2 {
		t.Fatalf("got %d answers, want 2", len(answers))
	}
	if got := dig(answers[0], "data", "createItem", "item", "name"); got != "first" {
		t.Errorf("answer 0: %v", answers[0])
	}
	if got := dig(answers[1], "data", "item", "name"); got != "first" {
		t.Errorf("answer 1: %v, want the item created by request 0", answers[1])
	}
}

func TestAuthoringErrorInsideOKResponse(t *testing.T) {
	e, srv := startEmulator(t)
	query := `mutation {
  gone: deleteItem(input: {itemId: "{00000000-0000-0000-0000-00000000ABCD}"}) { successful }
  kept: deleteItem(input: {path: "/sitecore/content/Home/News/harbour-festival", permanently: true}) { successful }
}`
	out := graphQL(t, authoringURL(srv), map[string]any{"query": query})

	data, ok := out["data"].(map[string]any)
	if !ok {
		t.Fatalf("data = %v, want an object", out["data"])
	}
	if v, present := data["gone"]; !present || v != nil {
		t.Errorf("data.gone = %v (present %v), want null", v, present)
	}
	if got := dig(data, "kept", "successful"); got != true {
		t.Errorf("data.kept.successful = %v, want true", got)
	}
	errs, _ := out["errors"].([]any)
	if len(errs) != 1 {
		t.Fatalf("errors = %v, want one", out["errors"])
	}
	if path := dig(errs[0], "path"); len(path.([]any)) != 1 || dig(path, 0) != "gone" {
		t.Errorf("errors[0].path = %v, want [gone]", path)
	}
	if msg, _ := dig(errs[0], "message").(string); msg == "" {
		t.Error("errors[0].message is empty")
	}
	if _, ok := e.Item(sitecore.HarbourFestivalID); ok {
		t.Error("harbour-festival still exists")
	}
}

func TestAuthoringRejectsInvalidDocument(t *testing.T) {
	e, srv := startEmulator(t)
	cases := map[string]string{
		"unknown field":    `mutation { createItem(input: {name: "x", templateId: "` + sitecore.NewsArticleTemplateID + `", parent: "` + sitecore.NewsID + `"}) { item { itemId colour } } }`,
		"syntax error":     `mutation { createItem(input: {name: "x" }`,
		"missing argument": `mutation { renameItem(input: {itemId: "` + sitecore.HarbourFestivalID + `"}) { item { name } } }`,
	}
	for name, query := range cases {
		t.Run(name, func(t *testing.T) {
			out := graphQL(t, authoringURL(srv), map[string]any{"query": query})
			if _, present := out["data"]; present {
				t.Errorf("data present for a document that failed validation: %v", out)
			}
			if msg := dig(out, "errors", 0, "message"); msg == nil {
				t.Errorf("no error message: %v", out)
			}
		})
	}
	if _, ok := e.Item("/sitecore/content/Home/News/x"); ok {
		t.Error("a rejected document created an item")
	}
}

func TestAuthoringUpdateSharedAndVersioned(t *testing.T) {
	e, srv := startEmulator(t)
	query := `mutation {
  updateItem(input: {path: "/sitecore/content/Home/News/harbour-festival", language: "en", fields: [
    {name: "Body", value: "<p>New body</p>"}, {name: "tags", value: ""}, {name: "Headline", reset: true}
  ]}) { item { version } }
}`
	noErrors(t, graphQL(t, authoringURL(srv), map[string]any{"query": query}))

	it, _ := e.Item(sitecore.HarbourFestivalID)
	fields := it.Versions["en"][0].Fields
	if got, _ := sitecore.Field(fields, "Body"); got != "<p>New body</p>" {
		t.Errorf("Body = %q", got)
	}
	if got, _ := sitecore.Field(fields, "Headline"); got != "" {
		t.Errorf("Headline = %q, want the reset to clear it", got)
	}
	if got, _ := sitecore.Field(it.SharedFields, "Tags"); got != "" {
		t.Errorf("Tags = %q, want empty", got)
	}
}

func TestAuthoringMoveAndCopyItem(t *testing.T) {
	e, srv := startEmulator(t)
	query := `mutation {
  moveItem(input: {itemId: "` + sitecore.HarbourFestivalID + `", targetParentPath: "/sitecore/content/Home", sortOrder: 50}) { item { path parent { itemId } } }
  copyItem(input: {path: "/sitecore/content/Home/News", targetParentId: "` + sitecore.HomeID + `", copyItemName: "News archive", deepCopy: true}) { item { itemId path hasChildren } }
}`
	out := graphQL(t, authoringURL(srv), map[string]any{"query": query})
	noErrors(t, out)

	if got := dig(out, "data", "moveItem", "item", "path"); got != "/sitecore/content/Home/harbour-festival" {
		t.Errorf("moved path = %v", got)
	}
	if got := dig(out, "data", "moveItem", "item", "parent", "itemId"); got != strings.ReplaceAll(sitecore.HomeID, "-", "") {
		t.Errorf("moved parent = %v, want Home", got)
	}
	moved, _ := e.Item(sitecore.HarbourFestivalID)
	if got, _ := sitecore.Field(moved.SharedFields, "__Sortorder"); got != "50" {
		t.Errorf("__Sortorder = %q, want 50", got)
	}

	if got := dig(out, "data", "copyItem", "item", "path"); got != "/sitecore/content/Home/News archive" {
		t.Errorf("copy path = %v", got)
	}
	copyID, _ := dig(out, "data", "copyItem", "item", "itemId").(string)
	if copyID == strings.ReplaceAll(sitecore.NewsID, "-", "") {
		t.Error("copy kept the source's ID")
	}
	if _, ok := e.Item("/sitecore/content/Home/News"); !ok {
		t.Error("copy removed the source")
	}
}

func TestAuthoringAddAndDeleteVersions(t *testing.T) {
	e, srv := startEmulator(t)
	submit := `mutation { executeWorkflowCommand(input: {commandId: "` + sitecore.SubmitCommandID + `", item: {itemId: "` + sitecore.HarbourFestivalID + `", language: "en", version: 1}}) { successful } }`
	noErrors(t, graphQL(t, authoringURL(srv), map[string]any{"query": submit}))

	add := `mutation { addItemVersion(input: {itemId: "` + sitecore.HarbourFestivalID + `", language: "en", version: 1, versionName: "June edition"}) {
  item { version versionName headline: field(name: "Headline") { value } workflow { workflowState { displayName } } } } }`
	out := graphQL(t, authoringURL(srv), map[string]any{"query": add})
	noErrors(t, out)
	item := dig(out, "data", "addItemVersion", "item")
	if dig(item, "version") != float64(2) || dig(item, "versionName") != "June edition" {
		t.Errorf("new version = %v", item)
	}
	if got := dig(item, "headline", "value"); got != "Harbour festival returns" {
		t.Errorf("new version Headline = %v, want a copy of version 1", got)
	}
	if got := dig(item, "workflow", "workflowState", "displayName"); got != "Draft" {
		t.Errorf("new version state = %v, want the initial state Draft", got)
	}
	if state, _ := e.WorkflowState(sitecore.HarbourFestivalID, "en", 1); state.ID != sitecore.AwaitingApprovalStateID {
		t.Errorf("version 1 state = %s, want it unchanged", state.DisplayName)
	}

	del := `mutation { deleteItemVersion(input: {path: "/sitecore/content/Home/News/harbour-festival", language: "en", version: 2}) { successful item { version } } }`
	out = graphQL(t, authoringURL(srv), map[string]any{"query": del})
	noErrors(t, out)
	if got := dig(out, "data", "deleteItemVersion", "item", "version"); got != float64(1) {
		t.Errorf("latest version after delete = %v, want 1", got)
	}
	if it, _ := e.Item(sitecore.HarbourFestivalID); len(it.Versions["en"]) != 1 {
		t.Errorf("versions = %d, want 1", len(it.Versions["en"]))
	}
}

func TestAuthoringItemQueryFields(t *testing.T) {
	_, srv := startEmulator(t)
	query := `{
  item(where: {itemId: "{89169DFE-E040-4376-9D86-BA2D17F0612B}", database: "master", language: "en", version: 1}) {
    itemId name path version language { name }
    parent { itemId }
    template { templateId name }
    fields(ownFields: true) { nodes { name value fieldId } }
    workflow { workflowState { stateId displayName } workflow { displayName } }
  }
}`
	out := graphQL(t, authoringURL(srv), map[string]any{"query": query})
	noErrors(t, out)
	item := dig(out, "data", "item")

	checks := map[string]any{
		"itemId":                 "89169dfee04043769d86ba2d17f0612b",
		"name":                   "harbour-festival",
		"path":                   "/sitecore/content/Home/News/harbour-festival",
		"version":                float64(1),
		"language.name":          "en",
		"parent.itemId":          "0db0ce8c77a34969903f138c626483d1",
		"template.templateId":    "5cdb13e9295a44738f443fd03d3d4740",
		"template.name":          "News Article",
		"workflow.workflowState": map[string]any{"stateId": "190b1c84f1be47edaa41f42193d9c8fc", "displayName": "Draft"},
	}
	for path, want := range checks {
		var keys []any
		for _, k := range strings.Split(path, ".") {
			keys = append(keys, k)
		}
		got, _ := json.Marshal(dig(item, keys...))
		expected, _ := json.Marshal(want)
		if !bytes.Equal(got, expected) {
			t.Errorf("%s = %s, want %s", path, got, expected)
		}
	}

	nodes, _ := dig(item, "fields", "nodes").([]any)
	if len(nodes) != 3 {
		t.Fatalf("own fields = %v, want Headline, Body and Tags", nodes)
	}
	if dig(nodes[0], "name") != "Headline" || dig(nodes[0], "fieldId") != "dd21f6ecad15418abe1aa4db378ca1ff" {
		t.Errorf("first field = %v", nodes[0])
	}

	out = graphQL(t, authoringURL(srv), map[string]any{"query": `{ item(where: {path: "/sitecore/content/nowhere"}) { name } }`})
	noErrors(t, out)
	if data, _ := out["data"].(map[string]any); data == nil || data["item"] != nil {
		t.Errorf("unknown path: %v, want data.item null", out)
	}
}

func TestAuthoringAuthenticationFailures(t *testing.T) {
	_, srv := startEmulator(t)
	payload := `{"query": "{ item(where: {itemId: \"` + sitecore.HomeID + `\"}) { name } }"}`
	cases := map[string]map[string]string{
		"no token":       {"Authorization": ""},
		"unknown token":  {"Authorization": "Bearer intruder"},
		"cookie instead": {"Authorization": "", "Cookie": ".AspNet.Cookies=" + editorToken},
	}
	for name, header := range cases {
		t.Run(name, func(t *testing.T) {
			resp, body := send(t, http.MethodPost, authoringURL(srv), payload, header)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("status %d, want 401; body %s", resp.StatusCode, body)
			}
		})
	}
	resp, _ := send(t, http.MethodPost, srv.URL+sitecore.HorizonPath, `{"query": "{ __typename }"}`, map[string]string{"Authorization": ""})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("Pages endpoint without token: status %d, want 401", resp.StatusCode)
	}
}

// --- Workflow commands ---

func TestWorkflowCommandMovesState(t *testing.T) {
	e, srv := startEmulator(t)
	// The request of BlazorWorkbox's workbox, which declares the item ID as String!.
	query := `mutation ExecuteWorkflowCommand($commandId: String!, $itemId: String!, $version: Int, $language: String, $database: String, $comments: String) {
  executeWorkflowCommand(input: {comments: $comments, commandId: $commandId, item: {database: $database, version: $version, language: $language, itemId: $itemId}}) { successful error }
}`
	variables := map[string]any{
		"commandId": "{CF6A557D-0B86-4432-BF47-302A18238E74}",
		"itemId":    "89169dfee04043769d86ba2d17f0612b",
		"version":   1, "language": "en", "database": "master", "comments": "Ready for review",
	}
	out := graphQL(t, authoringURL(srv), map[string]any{"query": query, "operationName": "ExecuteWorkflowCommand", "variables": variables})
	noErrors(t, out)
	if got := dig(out, "data", "executeWorkflowCommand"); !jsonEqual(got, map[string]any{"successful": true, "error": nil}) {
		t.Errorf("result = %v, want successful true and error null", got)
	}

	state, ok := e.WorkflowState(sitecore.HarbourFestivalID, "en", 1)
	if !ok || state.ID != sitecore.AwaitingApprovalStateID || state.Icon == "" {
		t.Errorf("state = %+v, want Awaiting Approval with an icon", state)
	}
	events := e.WorkflowEvents()
	want := sitecore.WorkflowEvent{
		ItemID: sitecore.HarbourFestivalID, Language: "en", Version: 1, CommandID: sitecore.SubmitCommandID,
		PreviousStateID: sitecore.DraftStateID, NextStateID: sitecore.AwaitingApprovalStateID,
		Comments: "Ready for review", User: editorUser,
	}
	if len(events) != 1 || events[0] != want {
		t.Errorf("events = %+v, want [%+v]", events, want)
	}
}

func TestWorkflowWrongStateRefused(t *testing.T) {
	e, srv := startEmulator(t)
	query := `mutation { executeWorkflowCommand(input: {commandId: "` + sitecore.ApproveCommandID + `", comments: "", item: {itemId: "` + sitecore.HarbourFestivalID + `", language: "en"}}) { successful error } }`
	out := graphQL(t, authoringURL(srv), map[string]any{"query": query})
	noErrors(t, out)

	if got := dig(out, "data", "executeWorkflowCommand", "successful"); got != false {
		t.Errorf("successful = %v, want false", got)
	}
	if msg, _ := dig(out, "data", "executeWorkflowCommand", "error").(string); !strings.Contains(msg, "Draft") {
		t.Errorf("error = %q, want a message naming the current state", msg)
	}
	if state, _ := e.WorkflowState(sitecore.HarbourFestivalID, "en", 1); state.ID != sitecore.DraftStateID {
		t.Errorf("state = %s, want Draft unchanged", state.DisplayName)
	}
	if events := e.WorkflowEvents(); len(events) != 0 {
		t.Errorf("events = %+v, want none", events)
	}
}

func TestWorkflowDefinitionMatchesSample(t *testing.T) {
	e, _ := startEmulator(t)
	wf, ok := e.Workflow("{A5BC37E7-ED96-4C1E-8590-A26E64DB55EA}")
	if !ok {
		t.Fatal("Sample Workflow not found")
	}
	if wf.InitialStateID != sitecore.DraftStateID || len(wf.States) != 3 {
		t.Errorf("workflow = %+v", wf)
	}
	if !wf.States[2].Final || wf.States[0].Final {
		t.Errorf("only Approved should be final: %+v", wf.States)
	}
	want := map[string][2]string{
		"Submit":  {sitecore.DraftStateID, sitecore.AwaitingApprovalStateID},
		"Approve": {sitecore.AwaitingApprovalStateID, sitecore.ApprovedStateID},
		"Reject":  {sitecore.AwaitingApprovalStateID, sitecore.DraftStateID},
	}
	for _, c := range wf.Commands {
		if got := [2]string{c.FromStateID, c.ToStateID}; got != want[c.Name] {
			t.Errorf("command %s: from, to = %v, want %v", c.Name, got, want[c.Name])
		}
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// --- Pages (Horizon) GraphQL ---

func TestPagesExecuteWorkflowCommand(t *testing.T) {
	e, srv := startEmulator(t)
	url := srv.URL + sitecore.HorizonPath + "?sc_horizon=api&sc_headless_mode=api"
	query := `mutation RunCommand($commandId: String!) {
  executeWorkflowCommand(input: {itemId: "89169dfe-e040-4376-9d86-ba2d17f0612b", itemVersion: 1, commandId: $commandId, comments: "", language: "en", site: "harbour"}) {
    completed nextStateId error item { id version workflow { displayName } }
  }
}`
	out := graphQL(t, url, map[string]any{"query": query, "operationName": "RunCommand", "variables": map[string]any{"commandId": "cf6a557d-0b86-4432-bf47-302a18238e74"}})
	noErrors(t, out)
	result := dig(out, "data", "executeWorkflowCommand")
	if dig(result, "completed") != true || dig(result, "error") != nil {
		t.Errorf("result = %v, want completed and no error", result)
	}
	if got := dig(result, "nextStateId"); got != "{46DA5376-10DC-4B66-B464-AFDAA29DE84F}" {
		t.Errorf("nextStateId = %v, want the braced Awaiting Approval ID", got)
	}
	if got := dig(result, "item", "id"); got != "{89169DFE-E040-4376-9D86-BA2D17F0612B}" {
		t.Errorf("item.id = %v", got)
	}

	// Submit again: Awaiting Approval offers no Submit command.
	out = graphQL(t, url, map[string]any{"query": query, "variables": map[string]any{"commandId": sitecore.SubmitCommandID}})
	noErrors(t, out)
	result = dig(out, "data", "executeWorkflowCommand")
	if dig(result, "completed") != false || dig(result, "error") == nil {
		t.Errorf("repeated Submit = %v, want completed false with an error", result)
	}
	if state, _ := e.WorkflowState(sitecore.HarbourFestivalID, "en", 1); state.ID != sitecore.AwaitingApprovalStateID {
		t.Errorf("state = %s, want Awaiting Approval", state.DisplayName)
	}
}

func TestPagesRenameMoveAndAddVersion(t *testing.T) {
	e, srv := startEmulator(t)
	query := `mutation {
  renameItem(input: {path: "/sitecore/content/Home/News/harbour-festival", newName: "harbour-festival-2025", language: "en", site: "harbour"}) { success item { name path } }
  moveItem(input: {itemToMoveId: "` + sitecore.HarbourFestivalID + `", targetId: "` + sitecore.NewsID + `", position: BEFORE, site: "harbour"}) { success }
  addItemVersion(input: {path: "` + sitecore.HarbourFestivalID + `", versionName: "Autumn", baseVersionNumber: 1, language: "en", site: "harbour"}) { success item { version versionName } }
}`
	out := graphQL(t, srv.URL+sitecore.HorizonPath, map[string]any{"query": query})
	noErrors(t, out)

	if got := dig(out, "data", "renameItem", "item", "path"); got != "/sitecore/content/Home/News/harbour-festival-2025" {
		t.Errorf("renamed path = %v", got)
	}
	if got := dig(out, "data", "moveItem", "success"); got != true {
		t.Errorf("moveItem.success = %v", got)
	}
	if got := dig(out, "data", "addItemVersion", "item"); !jsonEqual(got, map[string]any{"version": 2, "versionName": "Autumn"}) {
		t.Errorf("addItemVersion.item = %v, want version 2 named Autumn", got)
	}

	it, _ := e.Item(sitecore.HarbourFestivalID)
	if it.Path != "/sitecore/content/Home/harbour-festival-2025" || it.ParentID != sitecore.HomeID {
		t.Errorf("after move: path %q, parent %s; want a sibling of News below Home", it.Path, it.ParentID)
	}
	if order, _ := sitecore.Field(it.SharedFields, "__Sortorder"); order != "100" {
		t.Errorf("__Sortorder = %q, want 100 (placed before News)", order)
	}
}

// --- Legacy Sitecore GraphQL ---

func TestLegacyCreateItemDecodesValues(t *testing.T) {
	e, srv := startEmulator(t)
	query := `mutation {
  createItem(name: "lighthouse-tour", template: "{5CDB13E9-295A-4473-8F44-3FD03D3D4740}",
    parent: "{0DB0CE8C-77A3-4969-903F-138C626483D1}", language: "en",
    fields: [{ name: "headline", value: "'Lighthouse tour'" }, { name: "Tags", value: "[\"6C985C39-1F70-41D7-AB8D-0AA30784B49C\"]" }]) { path id }
}`
	out := graphQL(t, srv.URL+sitecore.LegacyGraphPath, map[string]any{"query": query})
	noErrors(t, out)
	if got := dig(out, "data", "createItem", "path"); got != "/sitecore/content/Home/News/lighthouse-tour" {
		t.Errorf("path = %v", got)
	}
	id, _ := dig(out, "data", "createItem", "id").(string)
	it, ok := e.Item(id)
	if !ok {
		t.Fatalf("created item %q not found", id)
	}
	if got, _ := sitecore.Field(it.Versions["en"][0].Fields, "Headline"); got != "Lighthouse tour" {
		t.Errorf("Headline = %q, want the text without its quotes", got)
	}
	if got, _ := sitecore.Field(it.SharedFields, "Tags"); got != "{6C985C39-1F70-41D7-AB8D-0AA30784B49C}" {
		t.Errorf("Tags = %q, want a braced ID list", got)
	}
}

// --- Request log and failure switch ---

func TestRequestLogAndFailNext(t *testing.T) {
	e, srv := startEmulator(t)
	e.FailNext(2)
	url := srv.URL + "/sitecore/api/ssc/item/" + sitecore.HomeID + "?language=en"
	for i := 0; i < 2; i++ {
		if resp, _ := send(t, http.MethodGet, url, "", nil); resp.StatusCode != http.StatusInternalServerError {
			t.Errorf("request %d: status %d, want 500", i, resp.StatusCode)
		}
	}
	if resp, _ := send(t, http.MethodPatch, url, `{"Title":"Welcome"}`, nil); resp.StatusCode != http.StatusNoContent {
		t.Errorf("third request: status %d, want 204", resp.StatusCode)
	}

	log := e.Requests()
	if len(log) != 3 {
		t.Fatalf("log has %d requests, want 3", len(log))
	}
	last := log[2]
	if last.Method != http.MethodPatch || last.Path != "/sitecore/api/ssc/item/"+sitecore.HomeID || last.RawQuery != "language=en" {
		t.Errorf("last request = %s %s?%s", last.Method, last.Path, last.RawQuery)
	}
	if string(last.Body) != `{"Title":"Welcome"}` || last.Header.Get("Authorization") != "Bearer "+editorToken {
		t.Errorf("last request body %q, Authorization %q", last.Body, last.Header.Get("Authorization"))
	}
	if log[0].Status != http.StatusInternalServerError || last.Status != http.StatusNoContent {
		t.Errorf("statuses = %d, %d, %d", log[0].Status, log[1].Status, last.Status)
	}

	e.ClearRequests()
	if n := len(e.Requests()); n != 0 {
		t.Errorf("log has %d requests after ClearRequests", n)
	}
}

func TestAuthoringIntrospectionDescribesInputs(t *testing.T) {
	_, srv := startEmulator(t)
	query := `{
  __type(name: "CreateItemInput") { kind inputFields { name type { kind name ofType { name } } } }
  __schema { mutationType { fields { name } } }
}`
	out := graphQL(t, authoringURL(srv), map[string]any{"query": query})
	noErrors(t, out)

	if got := dig(out, "data", "__type", "kind"); got != "INPUT_OBJECT" {
		t.Errorf("kind = %v, want INPUT_OBJECT", got)
	}
	inputs := map[string]any{}
	for _, f := range dig(out, "data", "__type", "inputFields").([]any) {
		inputs[dig(f, "name").(string)] = dig(f, "type")
	}
	if !jsonEqual(inputs["parent"], map[string]any{"kind": "NON_NULL", "name": nil, "ofType": map[string]any{"name": "ID"}}) {
		t.Errorf("parent type = %v, want ID!", inputs["parent"])
	}
	if _, ok := inputs["templateId"]; !ok {
		t.Errorf("input fields = %v, want templateId among them", inputs)
	}

	var mutations []string
	for _, f := range dig(out, "data", "__schema", "mutationType", "fields").([]any) {
		mutations = append(mutations, dig(f, "name").(string))
	}
	if !strings.Contains(strings.Join(mutations, ","), "executeWorkflowCommand") {
		t.Errorf("mutations = %v, want executeWorkflowCommand among them", mutations)
	}
}

func TestGzipResponsesWhenAccepted(t *testing.T) {
	e := sitecore.NewEmulator(sitecore.Options{Tokens: map[string]string{editorToken: editorUser}, GzipResponses: true})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)

	// Setting Accept-Encoding by hand turns off the transport's transparent
	// decompression, so the test sees the body as sent.
	resp, body := send(t, http.MethodPost, authoringURL(srv), `{"query": "{ item(where: {path: \"/sitecore/content/Home\"}) { name } }"}`,
		map[string]string{"Accept-Encoding": "gzip"})
	if got := resp.Header.Get("Content-Encoding"); got != "gzip" {
		t.Fatalf("Content-Encoding = %q, want gzip", got)
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("body is not gzip: %v", err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if string(plain) != `{"data":{"item":{"name":"Home"}}}` {
		t.Errorf("decompressed body = %s", plain)
	}

	resp, body = send(t, http.MethodPatch, srv.URL+"/sitecore/api/ssc/item/"+sitecore.HomeID, `{"Title":"Home"}`,
		map[string]string{"Accept-Encoding": "gzip"})
	if resp.StatusCode != http.StatusNoContent || len(body) != 0 || resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("204 answer: status %d, %d body bytes, Content-Encoding %q; want no body and no encoding",
			resp.StatusCode, len(body), resp.Header.Get("Content-Encoding"))
	}
}

// TestSearchByWorkflowState sends BlazorWorkbox's Workbox search for the
// items in Draft: the seeded article is found with its language and
// version, pages follow pageIndex and pageSize, and a state id spelled
// other than the index stores it finds nothing.
func TestSearchByWorkflowState(t *testing.T) {
	_, srv := startEmulator(t)
	query := `query WorkboxItems($workflowState: String!, $pageSize: Int!, $pageIndex: Int!) {
  search(query: {
    index: "sitecore_master_index"
    paging: { pageSize: $pageSize, pageIndex: $pageIndex }
    latestVersionOnly: false
    filterStatement: { criteria: [{ criteriaType: EXACT, operator: MUST, field: "__workflow_state", value: $workflowState }] }
    sort: { field: "_name", direction: ASCENDING }
  }) {
    totalCount
    results { itemId name language { name } version innerItem { workflow { workflowState { stateId(format: B) } } } }
  }
}`
	run := func(state string, page int) map[string]any {
		out := graphQL(t, authoringURL(srv), map[string]any{"query": query, "variables": map[string]any{
			"workflowState": state, "pageSize": 1, "pageIndex": page,
		}})
		noErrors(t, out)
		return out
	}

	draft := strings.ReplaceAll(sitecore.DraftStateID, "-", "")
	out := run(draft, 0)
	results, _ := dig(out, "data", "search", "results").([]any)
	if len(results) != 1 {
		t.Fatalf("results = %v, want one per page", dig(out, "data", "search"))
	}
	total, _ := dig(out, "data", "search", "totalCount").(float64)
	var ids []string
	for page := 0; page < int(total); page++ {
		r := dig(run(draft, page), "data", "search", "results", 0)
		ids = append(ids, dig(r, "itemId").(string))
		if got := dig(r, "innerItem", "workflow", "workflowState", "stateId"); got != "{"+sitecore.DraftStateID+"}" {
			t.Errorf("result %v is in state %v, want Draft", dig(r, "name"), got)
		}
	}
	if !strings.Contains(strings.Join(ids, " "), strings.ReplaceAll(sitecore.HarbourFestivalID, "-", "")) {
		t.Errorf("items in Draft = %v, want the Harbour festival article among them", ids)
	}

	if got := dig(run("{"+sitecore.DraftStateID+"}", 0), "data", "search", "totalCount"); got != float64(0) {
		t.Errorf("a braced state id found %v items; the index holds 32 digits, so it finds none", got)
	}
}
